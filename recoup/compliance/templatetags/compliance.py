"""``{% load compliance %}{% limitation_box invoice today %}``: an invoice's limitation date."""

from __future__ import annotations

from datetime import date

from django import template

from recoup.compliance.selectors import limitation_summary

register = template.Library()


@register.inclusion_tag("compliance/_limitation.html", takes_context=True)
def limitation_box(context, invoice, on: date) -> dict:
    """The limitation box of ``invoice`` as of ``on`` (see compliance/_limitation.html); days in the org's format."""
    return {"limitation": limitation_summary(invoice, on=on), "org": context.get("org") or invoice.org}
