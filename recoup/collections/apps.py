from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "recoup.collections"
    label = "collections"
    verbose_name = "Collections"

    def ready(self) -> None:
        from recoup.collections import health as cycle_health
        from recoup.lib import health, metrics

        health.register("cycle", cycle_health.cycle_problems)

        from recoup.collections import messaging_hooks

        messaging_hooks.register()
        metrics.register("cycle", cycle_health.cycle_metrics)

        from recoup.collections import hooks, tasks

        hooks.register_part_queue(hooks.PartQueue(enqueue=tasks.part_enqueue, waiting=tasks.parts_in_queue))
