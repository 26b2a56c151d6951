from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "recoup.ops"
    label = "ops"
