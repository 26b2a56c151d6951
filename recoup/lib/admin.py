"""Read-only Django admin classes: for rows that only actions (checked, audited) may change."""

from django.contrib import admin


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


class ReadOnlyStackedInline(ReadOnlyMixin, admin.StackedInline):
    extra = 0


class ReadOnlyTabularInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
