from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "recoup.portal"
    label = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        # Messaging (a lower app) fills a message's link placeholders as it leaves, through this hook.
        from recoup.messaging import links
        from recoup.portal.links import message_urls

        links.register(message_urls)
