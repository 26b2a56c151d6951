from django.contrib import admin

from recoup.lib.admin import ReadOnlyAdmin
from recoup.messaging.models import ContactPointStatus, LetterBatch, Message, Task


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """Read-only: messages change only through messaging actions and delivery."""

    list_display = ["created_at", "org", "channel", "to_address", "subject", "status", "attempts"]
    list_filter = ["org", "channel", "status", "source"]
    search_fields = ["to_address", "subject", "message_id", "idempotency_key"]


@admin.register(LetterBatch)
class LetterBatchAdmin(ReadOnlyAdmin):
    list_display = ["date", "org", "status", "posted_at"]
    list_filter = ["org", "status"]


@admin.register(ContactPointStatus)
class ContactPointStatusAdmin(ReadOnlyAdmin):
    list_display = ["unusable_since", "org", "contact", "channel", "address", "reason"]
    list_filter = ["org", "channel"]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "org", "customer", "kind", "status", "text"]
    list_filter = ["org", "kind", "status"]
