"""The debtor's no-login portal (issue 5)."""

urlpatterns: list = []
