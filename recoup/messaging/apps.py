from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "recoup.messaging"
    label = "messaging"

    def ready(self) -> None:
        # Connects the inbound-mail handler to anymail's signal at start-up.
        from recoup.messaging import views  # noqa: F401
