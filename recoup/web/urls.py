from django.contrib.auth import views as auth_views
from django.urls import include, path

from recoup.web.views import aging, customers, dashboard, home, imports, invoices, payments, statements

org_patterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/statement.pdf", statements.statement_pdf, name="statement_pdf"),
    path("customers/<int:pk>/payments/new/", payments.payment_new, name="payment_new"),
    path("customers/<int:pk>/credit-notes/new/", payments.credit_note_new, name="credit_note_new"),
    path("invoices/<int:pk>/", invoices.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/write-off/", payments.write_off_new, name="write_off_new"),
    path("aging/", aging.aging_report, name="aging"),
    path("aging/customers/<int:pk>/", aging.aging_customer, name="aging_customer"),
    path("imports/", imports.import_upload, name="import_upload"),
    path("imports/confirm/", imports.import_confirm, name="import_confirm"),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("o/<slug:slug>/", include(org_patterns)),
]
