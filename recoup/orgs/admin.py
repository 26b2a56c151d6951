from django.contrib import admin

from recoup.orgs.models import Membership, Organization


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["slug", "legal_name", "country", "base_currency", "timezone"]
    search_fields = ["slug", "legal_name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "org", "role"]
    list_filter = ["role", "org"]
    search_fields = ["user__username", "org__slug"]
    autocomplete_fields = ["user", "org"]
