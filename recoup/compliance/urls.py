"""Legal rules, rates, interest and limitation dates (issue 4)."""

from django.urls import path

from recoup.compliance import views

urlpatterns = [
    path("", views.index, name="rules_home"),
]
