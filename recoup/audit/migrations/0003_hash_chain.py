"""Chain every organization's events by hash; existing events are chained in (at, id) order."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from recoup.audit.chain import GENESIS, event_hash, normalize_data


def chain_existing(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditHead = apps.get_model("audit", "AuditHead")
    org_ids = AuditEvent.objects.values_list("org_id", flat=True).distinct()
    for org_id in sorted(set(org_ids)):
        seq, prev = 0, GENESIS
        for event in AuditEvent.objects.filter(org_id=org_id).order_by("at", "id").iterator():
            seq += 1
            event.data = normalize_data(event.data)
            event.seq, event.prev_hash = seq, prev
            event.hash = event_hash(
                org_id=org_id, seq=seq, at=event.at, actor_kind=event.actor_kind, actor_label=event.actor_label,
                verb=event.verb, subject_type=event.subject_type, subject_id=event.subject_id,
                customer_id=event.customer_id, summary=event.summary, data=event.data, prev_hash=prev)
            event.save(update_fields=["seq", "prev_hash", "hash", "data"])
            prev = event.hash
        AuditHead.objects.create(org_id=org_id, seq=seq, hash=prev)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_initial"),
        ("ledger", "0001_initial"),
        ("orgs", "0002_org_cycle_time"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                ("org", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                             related_name="+", serialize=False, to="orgs.organization")),
                ("seq", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(default=GENESIS, max_length=64)),
            ],
        ),
        migrations.AddField("auditevent", "seq", models.PositiveBigIntegerField(null=True)),
        migrations.AddField("auditevent", "prev_hash", models.CharField(default="", max_length=64), preserve_default=False),
        migrations.AddField("auditevent", "hash", models.CharField(default="", max_length=64), preserve_default=False),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField("auditevent", "seq", models.PositiveBigIntegerField(help_text="1, 2, 3... per organization")),
        migrations.AlterField(
            "auditevent", "actor_user",
            models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            "auditevent", "customer",
            models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                              to="ledger.customer"),
        ),
        migrations.AddConstraint(
            "auditevent", models.UniqueConstraint(fields=("org", "seq"), name="audit_one_event_per_seq"),
        ),
    ]
