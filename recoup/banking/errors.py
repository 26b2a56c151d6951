"""The error banking's actions raise."""


class BankingError(ValueError):
    """A request banking refuses, with a message fit to show the operator."""


class UnknownAccount(BankingError):
    """A statement of an account that is not the organization's, not yet confirmed by the operator.

    ``identifiers`` are the accounts as stored (compact IBAN or account number), to pass back as
    ``add_accounts`` once confirmed; ``shown_as`` the same as people read them."""

    def __init__(self, *, file_name: str, identifiers: list[str], shown_as: list[str], org_name: str,
                 known: list[str]):
        self.file_name, self.identifiers, self.shown_as, self.org_name, self.known = \
            file_name, identifiers, shown_as, org_name, known
        which = ", ".join(shown_as)
        plural = "s" if len(identifiers) > 1 else ""
        super().__init__(f"{file_name}: the statement is for account{plural} {which}, not one of {org_name}'s "
                         f"accounts ({'; '.join(known) or 'none yet'})")
