"""Forms of the banking pages."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from recoup.banking.accounts import OWN_ACCOUNT, account_choices
from recoup.banking.models import BankAccount, CsvProfile
from recoup.banking.parsers import BUILT_IN
from recoup.banking.selectors import upload_limits


class UploadForm(forms.Form):
    file = forms.FileField(label="Statement file",
                           help_text="camt.052/053/054 (or a zip of them), OFX, MT940/MT942 or CSV")
    account = forms.ChoiceField(required=False, label="Bank account",
                                help_text="A CSV file does not say which account it is for: choose it here")
    profile = forms.ChoiceField(required=False, label="CSV profile", help_text="Only for CSV files; "
                                "without one, the first profile whose columns the file has is used")

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        self.fields["account"].choices = [("", "The account named in the file"), *account_choices(org)]
        names = sorted({*CsvProfile.objects.for_org(org).values_list("name", flat=True), *BUILT_IN})
        self.fields["profile"].choices = [("", "Find it from the columns")] + [(n, n) for n in names]

    def clean_account(self) -> BankAccount | str | None:
        """None (the account named in the file), OWN_ACCOUNT, or one of the organization's accounts."""
        value = self.cleaned_data["account"]
        if value in ("", OWN_ACCOUNT):
            return value or None
        account = BankAccount.objects.for_org(self.org).filter(pk=int(value)).first()  # a choice: the org's
        if account is None:
            raise forms.ValidationError("That bank account no longer exists; choose another.")
        return account

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = upload_limits().max_upload
        if upload.size > limit:
            raise forms.ValidationError(f"The file is larger than the {limit // 2**20} MB one upload may be.")
        return upload


class AccountForm(forms.Form):
    name = forms.CharField(max_length=100)
    iban = forms.CharField(max_length=42, required=False, label="IBAN")
    currency = forms.CharField(max_length=3, required=False)


class SettingsForm(forms.Form):
    auto_threshold = forms.DecimalField(min_value=Decimal("0.50"), max_value=Decimal("1.00"), decimal_places=2,
                                        label="Apply matches automatically from this confidence")


class ChooseInvoicesForm(forms.Form):
    invoices = forms.CharField(label="Invoice numbers", help_text="One or more, separated by commas")
