from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "recoup.accounts"
    label = "accounts"

    def ready(self) -> None:
        from recoup.accounts import checks  # noqa: F401  (registers the deployment checks)
