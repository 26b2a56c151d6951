from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "recoup.insight"
    label = "insight"
    verbose_name = "Insight"
