from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "recoup.insight"
    label = "insight"
    verbose_name = "Insight"

    def ready(self) -> None:
        from recoup.collections.hooks import register_after_cycle
        from recoup.insight.actions import snapshot_after_cycle

        register_after_cycle(snapshot_after_cycle)
