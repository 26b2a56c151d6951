from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "recoup.collections"
    label = "collections"
    verbose_name = "Collections"
