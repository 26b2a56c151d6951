"""Forms of the customers worklist: its filters and sort, the bulk actions, and one invoice's next step."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from recoup.core.money import parse_amount, to_minor
from recoup.orgs.models import Organization, Role
from recoup.web.customer_worklist import SORTS, WorklistFilters
from recoup.web.forms import CustomerFilterForm, DateInput

FLAG_LABELS = {"promise": "Promise open", "plan": "Payment plan", "dispute": "Dispute open", "paused": "Paused",
               "placed": "With an agency"}
SORT_CHOICES = [("", "Name"), *((key, key) for key in SORTS), *((f"-{key}", f"-{key}") for key in SORTS)]


def collectors(org: Organization):
    """The users who may be given accounts: owners and collectors of ``org``."""
    return get_user_model().objects.filter(
        memberships__org=org, memberships__role__in=[Role.OWNER, Role.COLLECTOR]).order_by("username")


class WorklistForm(CustomerFilterForm):
    assignee = forms.ChoiceField(required=False, label="Assigned to")
    flag = forms.ChoiceField(required=False, label="Flag", choices=[
        ("", "Any flag"), *FLAG_LABELS.items(), ("none", "No flag")])
    min_overdue = forms.CharField(required=False, label="Overdue at least", widget=forms.TextInput(
        attrs={"inputmode": "decimal", "size": 8}))
    min_days_late = forms.IntegerField(required=False, min_value=0, label="Days late at least")
    no_contact_days = forms.IntegerField(required=False, min_value=0, label="No contact for days")
    next_by = forms.DateField(required=False, label="Next step by", widget=DateInput())
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, widget=forms.HiddenInput)

    def __init__(self, *args, org: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        self.fields["assignee"].choices = [("", "Anyone"), ("me", "Me (my accounts)"), ("none", "Nobody"),
                                           *((str(u.pk), u.get_username()) for u in collectors(org))]

    def overdue_currency(self) -> str:
        return (self.cleaned_data.get("currency") if self.is_bound and self.is_valid() else "") \
            or self.org.base_currency

    def clean_min_overdue(self) -> int | None:
        text = (self.cleaned_data.get("min_overdue") or "").strip()
        if not text:
            return None
        currency = self.cleaned_data.get("currency") or self.org.base_currency
        try:
            return to_minor(parse_amount(text, currency), currency)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def worklist_filters(self) -> WorklistFilters:
        data = self.cleaned_data
        return WorklistFilters(assignee=data.get("assignee") or "", flag=data.get("flag") or "",
                               min_overdue_minor=data.get("min_overdue"), min_days_late=data.get("min_days_late"),
                               no_contact_days=data.get("no_contact_days"), next_by=data.get("next_by"))


BULK_ACTIONS = [("pause", "Pause collection"), ("tag", "Add a tag"), ("assign", "Assign to"),
                ("statement", "Send a statement now")]


class BulkActionForm(forms.Form):
    customers = forms.TypedMultipleChoiceField(coerce=int, label="Customers",
                                               error_messages={"required": "Tick at least one customer."})
    action = forms.ChoiceField(choices=BULK_ACTIONS)
    reason = forms.CharField(required=False, max_length=500, label="Pause reason")
    until = forms.DateField(required=False, label="Pause until", widget=DateInput())
    tag = forms.CharField(required=False, max_length=50)
    assignee = forms.ChoiceField(required=False, label="Collector")

    def __init__(self, *args, org: Organization, customer_ids: list[int], **kwargs):
        # Its own ids: the filter form on the same page has an "assignee" too.
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        self.fields["customers"].choices = [(pk, pk) for pk in customer_ids]
        self.people = {str(u.pk): u for u in collectors(org)}
        self.fields["assignee"].choices = [("", "Nobody"), *((k, u.get_username()) for k, u in self.people.items())]

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == "pause" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Give the reason for the pause.")
        if action == "tag" and not (data.get("tag") or "").strip():
            self.add_error("tag", "Give the tag to add.")
        return data

    def assignee_user(self):
        return self.people.get(self.cleaned_data.get("assignee") or "")


class SnoozeForm(forms.Form):
    until = forms.DateField(label="Snooze until", widget=DateInput())


class StepForm(forms.Form):
    """The step the operator saw (so a step that moved meanwhile is refused)."""

    step = forms.CharField(max_length=64)
    number = forms.IntegerField(min_value=0)

