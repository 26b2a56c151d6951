from django.contrib.auth import views as auth_views
from django.urls import include, path

from recoup.web.views import (
    aging, credit, customer_edit, customers, dashboard, home, imports, invoice_entry, invoice_pdf, invoices, payments, statements,
)
from recoup.web.views import settings as settings_pages
from recoup.web.views import communications, worklist
from recoup.web.views import policies

org_patterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/new/", customer_edit.customer_new, name="customer_new"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", customer_edit.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/contacts/new/", customer_edit.contact_new, name="contact_new"),
    path("customers/<int:pk>/contacts/<int:contact_pk>/", customer_edit.contact_edit, name="contact_edit"),
    path("customers/<int:pk>/contacts/<int:contact_pk>/delete/", customer_edit.contact_delete, name="contact_delete"),
    path("customers/<int:pk>/credit/apply/", credit.credit_apply_view, name="credit_apply"),
    path("customers/<int:pk>/statement.pdf", statements.statement_pdf, name="statement_pdf"),
    path("customers/<int:pk>/payments/new/", payments.payment_new, name="payment_new"),
    path("customers/<int:pk>/credit-notes/new/", payments.credit_note_new, name="credit_note_new"),
    path("invoices/", invoice_entry.invoice_list, name="invoice_list"),
    path("invoices/new/", invoice_entry.invoice_new, name="invoice_new"),
    path("invoices/<int:pk>/", invoices.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/document.pdf", invoice_pdf.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/write-off/", payments.write_off_new, name="write_off_new"),
    path("customers/<int:pk>/messages/", communications.message_list, name="customer_messages"),
    path("customers/<int:pk>/messages.csv", communications.message_csv, name="customer_messages_csv"),
    path("customers/<int:pk>/messages/new/", communications.contact_new, name="contact_log_new"),
    path("customers/<int:pk>/messages/<int:message_pk>/", communications.message_detail, name="message_detail"),
    path("customers/<int:pk>/messages/<int:message_pk>/attachments/<int:attachment_pk>/",
         communications.message_attachment, name="message_attachment"),
    path("worklist/", worklist.worklist, name="worklist"),
    path("worklist/calls/<int:pk>/outcome/", worklist.call_outcome, name="worklist_call_outcome"),
    path("worklist/tasks/<int:pk>/close/", worklist.task_done, name="worklist_task_done"),
    path("worklist/letters/<int:pk>/letters.pdf", worklist.batch_pdf, name="worklist_batch_pdf"),
    path("worklist/letters/<int:pk>/posted/", worklist.batch_posted, name="worklist_batch_posted"),
    path("policies/", policies.policy_list, name="policy_list"),
    path("policies/install/", policies.policies_install, name="policies_install"),
    path("policies/<int:pk>/", policies.policy_detail, name="policy_detail"),
    path("policies/<int:pk>/rules/new/", policies.rule_new, name="policy_rule_new"),
    path("policies/<int:pk>/rules/<int:rule_pk>/delete/", policies.rule_delete, name="policy_rule_delete"),
    path("policies/<int:pk>/policy.yaml", policies.policy_yaml, name="policy_yaml"),
    path("policies/<int:pk>/steps/new/", policies.step_new, name="policy_step_new"),
    path("policies/<int:pk>/steps/<slug:key>/", policies.step_edit, name="policy_step_edit"),
    path("policies/<int:pk>/steps/<slug:key>/delete/", policies.step_delete, name="policy_step_delete"),
    path("policies/<int:pk>/steps/<slug:key>/preview/", policies.step_preview, name="policy_step_preview"),
    path("cycle/", policies.cycle, name="cycle_run"),
    path("aging/", aging.aging_report, name="aging"),
    path("aging/customers/<int:pk>/", aging.aging_customer, name="aging_customer"),
    path("imports/", imports.import_upload, name="import_upload"),
    path("imports/confirm/", imports.import_confirm, name="import_confirm"),
    path("settings/", settings_pages.org_settings, name="settings_org"),
    path("settings/terms/", settings_pages.terms_list, name="settings_terms"),
    path("settings/terms/new/", settings_pages.terms_new, name="settings_terms_new"),
    path("settings/terms/<int:pk>/", settings_pages.terms_edit, name="settings_terms_edit"),
    path("settings/members/", settings_pages.member_list, name="settings_members"),
    path("settings/members/<int:pk>/role/", settings_pages.member_role, name="settings_member_role"),
    path("settings/members/<int:pk>/remove/", settings_pages.member_delete, name="settings_member_remove"),
    path("bank/", include("recoup.banking.urls")),
    path("rules/", include("recoup.compliance.urls")),
    path("arrangements/", include("recoup.arrangements.urls")),
    path("insight/", include("recoup.insight.urls")),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("o/<slug:slug>/", include(org_patterns)),
    path("p/", include("recoup.portal.urls")),
]
