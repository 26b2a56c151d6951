from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

# Staff sign in to the admin with their authenticator code too.
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("recoup.api.urls")),
    path("hooks/payments/", include("recoup.payments.urls")),
    path("", include("recoup.connections.hook_urls")),
    path("hooks/", include("recoup.messaging.urls")),
    path("", include("recoup.web.urls")),
]

# Recoup's own error pages (recoup/web/views/errors.py): its look, its menu, the portal's look under /p/.
handler403 = "recoup.web.views.errors.permission_denied"
handler404 = "recoup.web.views.errors.page_not_found"
handler500 = "recoup.web.views.errors.server_error"
