from django.apps import AppConfig


class ArrangementsConfig(AppConfig):
    name = "recoup.arrangements"
    label = "arrangements"
    verbose_name = "Arrangements"

    def ready(self) -> None:
        # Plans and promises end when the ledger settles their invoices, by whatever path.
        from recoup.arrangements.settled import close_settled
        from recoup.ledger.hooks import register_invoices_settled

        register_invoices_settled(close_settled)
