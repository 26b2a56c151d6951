from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "recoup.collections"
    label = "collections"
    verbose_name = "Collections"

    def ready(self) -> None:
        from recoup.collections import health as cycle_health
        from recoup.lib import health, metrics

        health.register("cycle", cycle_health.cycle_problems)

        from recoup.collections.overtaken import decisions_back
        from recoup.messaging import hooks as messaging_hooks

        messaging_hooks.register_message_withdrawn(decisions_back)
        metrics.register("cycle", cycle_health.cycle_metrics)
