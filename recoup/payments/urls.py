"""Mounted at /hooks/payments/: the providers' webhooks, one URL per organization."""

from django.urls import path

from recoup.payments import views

urlpatterns = [
    path("<slug:provider>/<slug:slug>/", views.webhook, name="payments_webhook"),
]
