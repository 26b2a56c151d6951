"""Forms of the worklist and the communication log: they parse; messaging actions write."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from recoup.ledger.models import Contact, Customer
from recoup.messaging.models import SENDING_CHANNELS, CallOutcome, Direction, MessageChannel
from recoup.orgs.models import Organization

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


class CallOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=CallOutcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="What was said or agreed, e.g. the promised date.")


class TaskCloseForm(forms.Form):
    note = forms.CharField(required=False, max_length=1000, label="Note (optional)")
    # Replies only: also lift the pause the reply put on the customer's collection.
    resume = forms.BooleanField(required=False)


class ContactLogForm(forms.Form):
    """A contact made or received outside Recoup; the time is read in the organization's time zone."""

    channel = forms.ChoiceField(choices=[c for c in MessageChannel.choices if c[0] in SENDING_CHANNELS],
                                initial=MessageChannel.CALL)
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.OUT,
                                  help_text="Outgoing: you contacted them. Incoming: they contacted you.")
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False,
                                     empty_label="(no one in particular)")
    at = forms.DateTimeField(label="When", input_formats=[LOCAL_MINUTE, "%Y-%m-%d %H:%M"],
                             widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE))
    summary = forms.CharField(max_length=300, help_text="A line for the log, e.g. “Promised to pay by Friday”.")
    content = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}),
                              help_text="The full text: call notes, the letter or e-mail as sent or received.")

    def __init__(self, *args, org: Organization, customer: Customer, now: datetime, **kwargs):
        self.zone = ZoneInfo(org.timezone or "UTC")
        kwargs.setdefault("initial", {})["at"] = now.astimezone(self.zone).strftime(LOCAL_MINUTE)
        super().__init__(*args, **kwargs)
        self.fields["at"].help_text = f"Local time ({self.zone.key})."
        # Only this customer's contacts: another customer's id is "not a valid choice".
        self.fields["contact"].queryset = Contact.objects.for_org(org).filter(customer=customer)

    def clean_at(self) -> datetime:
        value = self.cleaned_data["at"]
        # Django made the wall-clock time aware in the server's zone; re-read it in the organization's.
        local = timezone.make_naive(value, timezone.get_current_timezone())
        return local.replace(tzinfo=self.zone)
