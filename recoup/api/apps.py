from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "recoup.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from recoup.api.webhooks.metrics import webhook_metrics
        from recoup.lib import metrics

        metrics.register("webhooks", webhook_metrics)
