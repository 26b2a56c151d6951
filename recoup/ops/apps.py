from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "recoup.ops"
    label = "ops"

    def ready(self) -> None:
        from recoup.collections.hooks import register_workers_alive, register_workers_gone
        from recoup.lib import metrics
        # startup registers the base-URL system check
        from recoup.ops import heartbeats, readiness, startup  # noqa: F401

        readiness.register_checks()
        metrics.register("processes", readiness.process_metrics)
        metrics.register("tasks", readiness.task_queue_metrics)
        metrics.register("readiness", readiness.readiness_metrics)
        # A part of a split day claimed by a worker that stopped beating is taken again (collections.cycle_parts).
        register_workers_gone(lambda: heartbeats.silent("worker"))
        # A day is split only while some worker beats; without one the scheduler runs it whole.
        register_workers_alive(lambda: heartbeats.fresh("worker", within=heartbeats.stale_after()).exists())
