"""Bank statements and reconciliation (issue 6)."""

from django.urls import path

from recoup.banking import views

urlpatterns = [
    path("", views.index, name="bank_home"),
    path("confirm-account/", views.account_confirm, name="bank_account_confirm"),
    path("statements/<int:pk>/", views.statement_detail, name="bank_statement"),
    path("review/", views.review, name="bank_review"),
    path("lines/<int:pk>/confirm/", views.line_confirm, name="bank_line_confirm"),
    path("lines/<int:pk>/reject/", views.line_reject, name="bank_line_reject"),
    path("lines/<int:pk>/undo/", views.line_undo, name="bank_line_undo"),
    path("settings/", views.settings, name="bank_settings"),
]
