from django.contrib import admin

from recoup.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only and written by ``audit.record`` alone."""

    list_display = ["at", "org", "verb", "actor_label", "summary"]
    list_filter = ["org", "verb", "actor_kind"]
    search_fields = ["summary", "verb", "actor_label"]
    date_hierarchy = "at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
