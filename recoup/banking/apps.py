from django.apps import AppConfig


class BankingConfig(AppConfig):
    name = "recoup.banking"
    label = "banking"
    verbose_name = "Banking"
