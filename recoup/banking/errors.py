"""The error banking's actions raise."""


class BankingError(ValueError):
    """A request banking refuses, with a message fit to show the operator."""
