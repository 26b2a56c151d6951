"""The forms of the CSV import: the upload, and the column mapping."""

from __future__ import annotations

from django import forms

from recoup.core.exported_values import ORDER_WORDS, DateOrder, locale_date_order
from recoup.ledger.imports import KINDS, PRESETS, TOOLS
from recoup.ledger.imports.columns import IGNORE
from recoup.ledger.imports.mappings import Guess
from recoup.ledger.imports.presets import Source

OTHER = "Recoup's columns, or any other CSV (you map its columns next)"


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="What the file holds",
                             choices=[(k, k.replace("-", " ").capitalize()) for k in KINDS])
    source = forms.ChoiceField(label="Exported from", required=False,
                               choices=[("", OTHER)] + [(key, f"{tool}'s export") for key, tool in TOOLS.items()],
                               help_text="A tool's standard export needs no mapping; you can still change it.")
    file = forms.FileField(label="CSV file", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))

    def clean(self):
        data = super().clean()
        source, kind = data.get("source") or "", data.get("kind")
        if source and kind and (source, kind) not in PRESETS:
            have = ", ".join(k.replace("-", " ") for (key, k) in PRESETS if key == source)
            self.add_error("source", f"{TOOLS[source]}'s preset reads {have}, not {kind.replace('-', ' ')}: choose "
                                     f"\"{OTHER}\" and map the columns")
        return data


def _label(name: str, spec: Source) -> str:
    field = spec.field(name)
    text = (field.label if field is not None and field.label else name.replace("_", " ")).strip()
    return f"{text} *" if field is not None and field.required else text


class MappingForm(forms.Form):
    """One choice per file column: the field it holds, or left out; and the order of day and month."""

    def __init__(self, *args, guess: Guess, spec: Source, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.guess, self.spec = guess, spec
        choices = [(IGNORE, "— leave out —")] + [(f.name, _label(f.name, spec)) for f in spec.fields]
        for index, (header, chosen) in enumerate(zip(guess.header, guess.fields)):
            samples = ", ".join(repr(s) for s in guess.samples[index] if s.strip())
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header.strip() or f"(column {index + 1}, no name)", choices=choices, initial=chosen,
                help_text=f"e.g. {samples}" if samples else "empty in the first rows")
        order = locale_date_order(locale)
        said = ORDER_WORDS[order] if order != DateOrder.YMD else "year first; day and month from the file"
        self.fields["date_order"] = forms.ChoiceField(
            label="Dates like 03/04/2026 are", required=False, initial=guess.date_order,
            choices=[("", f"as the organization's locale writes them ({locale}: {said})"),
                     ("dmy", "day first: 03/04/2026 is 3 April"), ("mdy", "month first: 03/04/2026 is March 4")],
            help_text="A date that could be either is refused, not guessed, unless you choose here.")

    def columns(self) -> dict[str, str]:
        """The chosen mapping: file column -> field or '-'."""
        return {header: self.cleaned_data[f"col_{i}"] for i, header in enumerate(self.guess.header) if header.strip()}

    def clean(self):
        data = super().clean()
        chosen: dict[str, list[str]] = {}
        for index, header in enumerate(self.guess.header):
            name = data.get(f"col_{index}")
            if name and name != IGNORE:
                chosen.setdefault(name, []).append(header.strip() or f"column {index + 1}")
        parts = {f.name for f in self.spec.fields if f.parts}
        for name, headers in chosen.items():
            if len(headers) > 1 and name not in parts:
                raise forms.ValidationError(f"{name.replace('_', ' ')} is chosen for {len(headers)} columns "
                                            f"({', '.join(headers)}): choose it for one")
        missing = [f.name.replace("_", " ") for f in self.spec.fields if f.required and f.name not in chosen]
        if missing:
            raise forms.ValidationError(f"Choose the column that holds: {', '.join(missing)}")
        return data
