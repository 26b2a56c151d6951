from django.apps import AppConfig


class ArrangementsConfig(AppConfig):
    name = "recoup.arrangements"
    label = "arrangements"
    verbose_name = "Arrangements"
