"""Settings -> Connections, included by recoup/web/urls.py at /o/<slug>/settings/connections/."""

from django.urls import path

from recoup.connections import views

urlpatterns = [
    path("", views.connections_settings, name="connections_settings"),
    path("<slug:provider>/connect/", views.connect, name="connections_connect"),
    path("<slug:provider>/choose/", views.choose, name="connections_choose"),
    path("<slug:provider>/disconnect/", views.disconnect, name="connections_disconnect"),
    path("<slug:provider>/sync/", views.sync_now, name="connections_sync"),
]
