"""The OAuth callback and the providers' webhooks (outside /o/<slug>/: one URL per provider app)."""

from django.urls import path

from recoup.connections import views

urlpatterns = [
    path("connections/callback/", views.callback, name="connections_callback"),
    path("hooks/connections/<slug:provider>/", views.webhook, name="connections_webhook"),
]
