from django.contrib import admin

from recoup.audit.models import AuditEvent
from recoup.lib.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the audit trail is append-only and written by ``audit.record`` alone."""

    list_display = ["at", "org", "verb", "actor_label", "summary"]
    list_filter = ["org", "verb", "actor_kind"]
    search_fields = ["summary", "verb", "actor_label"]
    date_hierarchy = "at"
