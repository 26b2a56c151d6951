from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "recoup.messaging"
    label = "messaging"
