"""Stored message bodies keep no portal link: each one becomes its placeholder.

Links already sent keep working (their tokens are untouched); they are only no longer readable
from the database, the UI, the API, exports or backups. Bodies are rewritten in batches by id.
"""

from django.db import migrations

BATCH = 500


def redact_bodies(apps, schema_editor):
    from recoup.messaging.links import redact

    Message = apps.get_model("messaging", "Message")
    last = 0
    while True:
        rows = list(Message.objects.filter(pk__gt=last).order_by("pk")
                    .values_list("pk", "body_text", "body_html")[:BATCH])
        if not rows:
            return
        for pk, text, html in rows:
            new_text, new_html = redact(text), redact(html)
            if (new_text, new_html) != (text, html):
                Message.objects.filter(pk=pk).update(body_text=new_text, body_html=new_html)
        last = rows[-1][0]


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0005_portal_channel"),
    ]

    operations = [
        migrations.RunPython(redact_bodies, migrations.RunPython.noop, elidable=True),
    ]
