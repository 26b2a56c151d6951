"""Escalation: reviews, letters before action, agencies, evidence packs, cases, write-offs (issue 7)."""

from django.urls import path

from recoup.escalation import views

urlpatterns = [
    path("", views.index, name="escalation_home"),
]
