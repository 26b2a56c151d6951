from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "recoup.compliance"
    label = "compliance"
    verbose_name = "Compliance"
