from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "recoup.messaging"
    label = "messaging"

    def ready(self) -> None:
        # Connects the inbound-mail handler to anymail's signal at start-up.
        from recoup.messaging import views  # noqa: F401

        from recoup.lib import health, metrics
        from recoup.messaging import health as outbox_health
        from recoup.messaging import hooks, tasks

        hooks.register("delivery_requested", tasks.request_delivery_on_commit)

        health.register("outbox", outbox_health.outbox_problems)
        metrics.register("outbox", outbox_health.outbox_metrics)
