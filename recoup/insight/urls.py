"""Collection metrics, risk, prediction and forecast (issue 8)."""

from django.urls import path

from recoup.insight import views

urlpatterns = [
    path("", views.index, name="insight_home"),
    path("forecast/", views.forecast, name="insight_forecast"),
    path("export/<str:table>.<str:fmt>", views.export, name="insight_export"),
    path("credit-checks/", views.credit_checks, name="insight_credit_checks"),
    path("credit-checks/new/", views.credit_check_new, name="insight_credit_check_new"),
]
