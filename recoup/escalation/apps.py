from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "recoup.escalation"
    label = "escalation"
    verbose_name = "Escalation"

    def ready(self) -> None:
        from recoup.escalation.selectors import placed_invoices
        from recoup.messaging import hooks as messaging_hooks

        messaging_hooks.register_invoices_elsewhere(placed_invoices)
