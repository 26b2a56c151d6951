"""Collection metrics, risk, prediction and forecast (issue 8)."""

from django.urls import path

from recoup.insight import views

urlpatterns = [
    path("", views.index, name="insight_home"),
]
