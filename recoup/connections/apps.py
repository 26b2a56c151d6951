from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "recoup.connections"
    label = "connections"
    verbose_name = "Connections to the books (Xero, QuickBooks Online, Stripe Billing)"
