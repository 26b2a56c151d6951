"""Forms for the policy pages: a step, a template preview and a run of the cycle.

The forms only parse what the browser sends; the rules a step must keep (offsets in
order, at least one channel, repeats) are the core Policy's, checked by
``recoup.collections.actions.policy_update`` and shown back on the field they name.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django import forms

from recoup.collections.actions import PolicySpecError
from recoup.core.policy import CHANNELS, CUSTOMER_KINDS, Step, StepAction
from recoup.messaging import rendering

TEMPLATES_DIR = Path(rendering.__file__).resolve().parent / "templates" / "messaging"
_STEP_ERROR = re.compile(r"steps\[(\d+)\]\.(\w+)(?:\[\d+\])?")
_ACTION_LABELS = {
    StepAction.NONE: "None: send the messages only",
    StepAction.LATE_FEE: "Apply the late fee of the invoice's terms",
    StepAction.INTEREST: "Apply interest under the invoice's terms",
    StepAction.CREDIT_HOLD: "Put the customer on credit hold",
    StepAction.ESCALATION_REVIEW: "Open an escalation review for the operator",
}


@lru_cache(maxsize=1)
def template_names() -> tuple[str, ...]:
    """The message templates Recoup ships (folders under messaging/templates/messaging/)."""
    return tuple(sorted(p.name for p in TEMPLATES_DIR.iterdir() if p.is_dir() and not p.name.startswith("_")))


def _whole(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 5}), **kwargs)


class StepForm(forms.Form):
    key = forms.CharField(max_length=50, help_text="a-z, 0-9 and '-'; names the step in the cycle's records and "
                                                  "cannot change later")
    name = forms.CharField(max_length=100)
    offset_days = _whole(label="Offset (days)", help_text="From the due date; negative means before it")
    business_days = forms.BooleanField(required=False, label="Count business days (the customer's country)")
    channels = forms.MultipleChoiceField(choices=[(c, c.capitalize()) for c in CHANNELS], required=False,
                                         widget=forms.CheckboxSelectMultiple)
    fallback = forms.CharField(required=False, max_length=100, label="If a channel fails, try",
                               help_text="Channels in order, comma-separated, e.g. \"sms, letter\": used when a "
                                         "channel above has no usable contact point or fails for good")
    mode = forms.ChoiceField(choices=[("", "As the organization's setting"), ("automatic", "Automatic"),
                                      ("review", "Review as drafts first"), ("off", "Off")],
                             required=False, label="Sending")
    action = forms.ChoiceField(choices=[(a.value, _ACTION_LABELS[a]) for a in StepAction])
    min_overdue = forms.DecimalField(label="Minimum overdue", initial=Decimal(0),
                                     help_text="In the invoice's currency; 0 for every amount",
                                     widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}))
    customer_kinds = forms.MultipleChoiceField(choices=[(k, k.capitalize()) for k in CUSTOMER_KINDS],
                                               required=False, widget=forms.CheckboxSelectMultiple,
                                               label="Customer kinds", help_text="None ticked: every kind")
    tags = forms.CharField(required=False, max_length=500,
                           help_text="Comma-separated; only customers with one of these tags (empty: all)")
    repeat_every_days = _whole(required=False, label="Repeat every (days)", help_text="Empty: never repeats")
    repeat_max = _whole(initial=0, label="Repeat at most (times)")
    template = forms.ChoiceField(required=False, help_text="The e-mail, SMS, letter or call script to use")

    def __init__(self, *args, step: Step | None = None, **kwargs):
        if step is not None:
            kwargs.setdefault("initial", {
                **{name: getattr(step, name) for name in self.base_fields
                   if name not in ("tags", "action", "fallback")},
                "action": step.action.value, "tags": ", ".join(step.tags), "fallback": ", ".join(step.fallback),
            })
        super().__init__(*args, **kwargs)
        self.step = step
        names = list(template_names())
        if step is not None and step.template and step.template not in names:
            names.append(step.template)
        self.fields["template"].choices = [("", "Same name as the key")] + [(n, n) for n in names]
        if step is not None:
            del self.fields["key"]  # decisions already recorded refer to it

    def step_dict(self) -> dict:
        """The step as plain data for ``Policy.from_dict`` (channels in the usual order)."""
        data = self.cleaned_data
        return {
            "key": self.step.key if self.step is not None else data["key"].strip(),
            "name": data["name"],
            "offset_days": data["offset_days"],
            "business_days": data["business_days"],
            "channels": [c for c in CHANNELS if c in data["channels"]],
            "fallback": [c.strip().lower() for c in data["fallback"].split(",") if c.strip()],
            "mode": data["mode"],
            "action": data["action"],
            "min_overdue": f"{data['min_overdue']:f}",
            "customer_kinds": [k for k in CUSTOMER_KINDS if k in data["customer_kinds"]],
            "tags": list(dict.fromkeys(t.strip().lower() for t in data["tags"].split(",") if t.strip())),
            "repeat_every_days": data["repeat_every_days"],
            "repeat_max": data["repeat_max"],
            "template": data["template"],
        }

    def add_spec_error(self, error: PolicySpecError, position: int, steps: list[dict]) -> None:
        """Show a policy error on the field it names when it is about this step, else above the form.

        ``position``: this step's index in ``steps``, the list that was validated.
        """
        match = _STEP_ERROR.fullmatch(error.path)
        field = match and match.group(2)
        if field not in self.fields or (int(match.group(1)) != position and field not in ("key", "offset_days")):
            self.add_error(None, str(error))
            return
        mine = steps[position]
        clash = next((s for i, s in enumerate(steps) if i != position and field in ("key", "offset_days")
                      and s[field] == mine[field]), None)
        if field == "offset_days" and clash is not None:
            self.add_error(field, f"“{clash['name']}” is already at {mine[field]} days; each step needs its own "
                                  f"offset.")
        elif field == "key" and clash is not None:
            self.add_error(field, f"“{clash['name']}” already uses the key {mine[field]}.")
        else:
            self.add_error(field, error.message)


class PreviewForm(forms.Form):
    channel = forms.ChoiceField()
    customer = forms.TypedChoiceField(coerce=int, required=False)
    language = forms.ChoiceField(required=False)

    def __init__(self, *args, channels: tuple[str, ...], customers: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(c, c.capitalize()) for c in channels]
        self.fields["customer"].choices = customers
        self.fields["language"].choices = [("", "The customer's language")] + [
            (code, code) for code in rendering.available_languages()]


class CycleForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), help_text="The day to run the cycle for")
    dry_run = forms.BooleanField(required=False, initial=True,
                                 label="Dry run: show what would happen and change nothing")

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict:
        cleaned = super().clean()
        on = cleaned.get("date")
        if on is not None and on > self.today and not cleaned.get("dry_run"):
            self.add_error("date", f"A real run can be for today ({self.today}) or earlier; use a dry run to "
                                   f"look ahead.")
        return cleaned
