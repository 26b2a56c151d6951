"""Forms of the review pages: they parse; ``recoup.collections.review`` does the writing."""

from __future__ import annotations

from django import forms

from recoup.collections.review import MAX_SUBJECT


class IdsField(forms.Field):
    """Message ids ticked in a list (``<input type=checkbox name=... value=ID>`` rows)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        try:
            return [int(v) for v in value]
        except (TypeError, ValueError):
            raise forms.ValidationError("choose drafts from the list") from None


class DraftSelectionForm(forms.Form):
    """The review list: the drafts ticked and what to do with them. "Approve all" approves every draft
    waiting up to ``upto`` (the newest one the page listed), never one that arrived after the page was shown."""

    ACTIONS = (("approve", "Approve selected"), ("approve_all", "Approve all"), ("skip", "Skip selected"))

    action = forms.ChoiceField(choices=ACTIONS)
    drafts = IdsField(required=False)
    upto = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action in ("approve", "skip") and not cleaned.get("drafts"):
            self.add_error("drafts", "tick at least one draft")
        if action == "approve_all" and cleaned.get("upto") is None:
            self.add_error("upto", "reload the page and try again")
        return cleaned


class DraftEditForm(forms.Form):
    """A draft's subject and text as the operator wants them sent; ``seen`` is the version the page showed,
    so a change made meanwhile (another tab) is not overwritten."""

    ACTIONS = (("save", "Save changes"), ("approve", "Approve"), ("skip", "Skip"))

    subject = forms.CharField(max_length=MAX_SUBJECT, required=False, label="Subject")
    body_text = forms.CharField(label="Text", required=False, widget=forms.Textarea(attrs={"rows": 18}))
    seen = forms.CharField(max_length=64, widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=ACTIONS)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") in ("save", "approve") and not (cleaned.get("body_text") or "").strip():
            self.add_error("body_text", "the message needs some text")
        return cleaned
