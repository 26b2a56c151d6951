"""The template editor's form: the parts of one template (per its channel) and the customer to preview on.
What a part may contain is ``messaging.template_sandbox``'s to say, shown back on the part's field."""

from __future__ import annotations

from django import forms

from recoup.messaging.template_store import PARTS, Wording

LABELS = {"subject": "Subject", "body_text": "Plain text", "body_html": "HTML"}
HELP = {"body_html": "The HTML part of an e-mail, or a letter's content. Everything shown is escaped."}


class TemplateForm(forms.Form):
    customer = forms.TypedChoiceField(label="Preview for", coerce=int, required=False)

    def __init__(self, *args, channel: str, customers: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.parts = PARTS[channel]
        self.fields["customer"].choices = customers
        for part in self.parts:
            rows = 2 if part == "subject" else 18
            self.fields[part] = forms.CharField(
                label=LABELS[part], help_text=HELP.get(part, ""), strip=False, max_length=20_000,
                widget=forms.Textarea(attrs={"rows": rows, "spellcheck": "true", "class": "template-source"}))

    def wording(self) -> Wording:
        """The parts as typed (those that fail their own field's check are left empty)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return Wording(**{part: data.get(part) or "" for part in self.parts})

    def add_part_errors(self, errors: dict[str, str]) -> None:
        for part, message in errors.items():
            self.add_error(part if part in self.fields else None, message)
