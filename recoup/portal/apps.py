from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "recoup.portal"
    label = "portal"
    verbose_name = "Portal"
