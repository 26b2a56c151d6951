"""Sign-in with an optional authenticator code, two-factor setup and check, password reset."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login

from recoup.accounts.actions import login_recorded, two_factor_enable
from recoup.accounts.forms import CodeForm, LoginForm
from recoup.accounts.totp import confirmed_device, pending_device, qr_svg_data_uri, secret_text


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        login_recorded(user=user, now=timezone.now(), two_factor=getattr(user, "otp_device", None) is not None,
                       address=self.request.META.get("REMOTE_ADDR", ""))
        return response


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse_lazy("home")


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Show a QR code for an authenticator app; the first right code turns two-factor on."""
    if confirmed_device(request.user):
        return render(request, "accounts/two_factor_on.html", {"next": _next(request)})
    device = pending_device(request.user)
    form = CodeForm(request.POST if request.method == "POST" else None, device=device)
    if request.method == "POST" and form.is_valid():
        two_factor_enable(user=request.user, device=device, now=timezone.now())
        otp_login(request, device)
        messages.success(request, "Two-factor sign-in is on: you will be asked for a code each time.")
        return redirect(_next(request))
    return render(request, "accounts/two_factor_setup.html", {
        "form": form, "qr": qr_svg_data_uri(device), "secret": secret_text(device), "next": _next(request),
    })


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Ask a signed-in user for a code (when an organization starts requiring one mid-session)."""
    device = confirmed_device(request.user)
    if device is None:
        return redirect(f"{reverse_lazy('two_factor_setup')}?next={_next(request)}")
    form = CodeForm(request.POST if request.method == "POST" else None, device=device)
    if request.method == "POST" and form.is_valid():
        otp_login(request, device)
        return redirect(_next(request))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next(request)})


password_reset = auth_views.PasswordResetView.as_view(
    template_name="accounts/password_reset_form.html",
    email_template_name="accounts/password_reset_email.txt",
    subject_template_name="accounts/password_reset_subject.txt",
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html")
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html")
