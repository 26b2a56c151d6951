"""Django admin for staff. Ledger rows are read-only here: every change goes
through the ledger actions (web forms, imports, CLI) so it is checked and
audited."""

from django.contrib import admin

from recoup.ledger import models as m
from recoup.lib.admin import ReadOnlyAdmin, ReadOnlyStackedInline, ReadOnlyTabularInline


class ContactInline(ReadOnlyStackedInline):
    model = m.Contact


@admin.register(m.Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["ref", "legal_name", "display_name", "org", "kind", "status"]
    list_filter = ["org", "kind", "status"]
    search_fields = ["ref", "legal_name", "display_name"]
    inlines = [ContactInline]


@admin.register(m.PaymentTerms)
class PaymentTermsAdmin(admin.ModelAdmin):
    list_display = ["name", "org", "net_days", "end_of_month", "discount_percent", "late_fee_kind"]
    list_filter = ["org"]


class InvoiceLineInline(ReadOnlyTabularInline):
    model = m.InvoiceLine


@admin.register(m.Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "org", "customer", "issue_date", "due_date", "currency", "total_minor", "open_minor", "status"]
    list_filter = ["org", "status", "currency"]
    search_fields = ["number", "customer__ref", "customer__legal_name"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline]


@admin.register(m.Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["date", "org", "customer", "amount_minor", "currency", "method", "reference", "unapplied_minor"]
    list_filter = ["org", "method", "currency"]
    search_fields = ["reference", "payer", "customer__ref"]


@admin.register(m.CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "org", "customer", "date", "amount_minor", "currency", "unapplied_minor"]
    list_filter = ["org", "currency"]
    search_fields = ["number", "customer__ref"]


@admin.register(m.Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["date", "org", "invoice", "payment", "credit_note", "amount_minor"]
    list_filter = ["org"]


@admin.register(m.Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = ["date", "org", "invoice", "kind", "amount_minor"]
    list_filter = ["org", "kind"]


@admin.register(m.ChargeWaiver)
class ChargeWaiverAdmin(ReadOnlyAdmin):
    list_display = ["date", "org", "charge", "amount_minor", "reason"]
    list_filter = ["org"]


@admin.register(m.WriteOff)
class WriteOffAdmin(ReadOnlyAdmin):
    list_display = ["date", "org", "invoice", "amount_minor", "reason"]
    list_filter = ["org"]
