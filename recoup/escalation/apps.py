from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "recoup.escalation"
    label = "escalation"
    verbose_name = "Escalation"
