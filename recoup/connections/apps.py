from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "recoup.connections"
    label = "connections"
    verbose_name = "Connections to the books (Xero, QuickBooks Online, Stripe Billing)"

    def ready(self) -> None:
        # The lower layers publish hooks; this app fills them (arrows point down).
        from recoup.collections.hooks import register_before_cycle, register_cycle_hold
        from recoup.connections import health as books_health
        from recoup.connections import hooks
        from recoup.ledger.guards import register_customer_guard, register_invoice_guard
        from recoup.lib import health, metrics

        register_invoice_guard(hooks.invoice_guard)
        register_customer_guard(hooks.customer_guard)
        register_before_cycle(hooks.sync_before_cycle)
        register_cycle_hold(hooks.stale_books_hold)
        health.register("sync", books_health.sync_problems)
        metrics.register("sync", books_health.sync_metrics)
