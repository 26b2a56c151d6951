"""On PostgreSQL the audit table also refuses TRUNCATE (a statement trigger; row triggers do not fire on it).

The function of 0004 raises for any operation, naming it. Like the row trigger, it does not fire
for a session in ``session_replication_role = replica`` (a superuser's deliberate act; the test
suite's flush between transactional tests is one).
"""

from django.db import migrations

FORWARD = """
CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_append_only();
"""

BACKWARD = "DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):

    dependencies = [("audit", "0004_append_only_postgres")]

    operations = [migrations.RunPython(forward, backward)]
