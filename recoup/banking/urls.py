"""Bank statements and reconciliation (issue 6)."""

from django.urls import path

from recoup.banking import views

urlpatterns = [
    path("", views.index, name="bank_home"),
]
