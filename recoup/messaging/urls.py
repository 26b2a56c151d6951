from django.urls import path

from recoup.messaging import views

urlpatterns = [
    path("email/inbound/", views.inbound_webhook, name="inbound_webhook"),
]
