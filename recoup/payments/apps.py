from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "recoup.payments"
    label = "payments"
    verbose_name = "Payments"
