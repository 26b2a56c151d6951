from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "recoup.orgs"
    label = "orgs"
    verbose_name = "Organizations"
