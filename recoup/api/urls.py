"""The REST API (issue 10)."""

urlpatterns: list = []
