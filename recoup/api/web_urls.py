"""Settings → API pages, included by recoup/web/urls.py at /o/<slug>/settings/api/."""

from django.urls import path

from recoup.api import views

urlpatterns = [
    path("", views.api_settings, name="api_settings"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_view, name="api_token_revoke"),
    path("webhooks/<int:pk>/toggle/", views.endpoint_toggle, name="api_endpoint_toggle"),
    path("deliveries/<int:pk>/resend/", views.delivery_resend_view, name="api_delivery_resend"),
    path("exports/<slug:what>.csv", views.export_download, name="api_export"),
]
