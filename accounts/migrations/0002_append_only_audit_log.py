"""On PostgreSQL the database itself refuses UPDATE and DELETE on the PHI access log."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION accounts_phiaccesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'accounts_phiaccesslog is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_phiaccesslog_no_update_or_delete
    BEFORE UPDATE OR DELETE ON accounts_phiaccesslog
    FOR EACH ROW EXECUTE FUNCTION accounts_phiaccesslog_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS accounts_phiaccesslog_no_update_or_delete ON accounts_phiaccesslog;
DROP FUNCTION IF EXISTS accounts_phiaccesslog_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
