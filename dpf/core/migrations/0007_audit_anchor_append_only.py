"""The audit anchors refuse UPDATE and DELETE at the database (PostgreSQL), like the log."""

from django.db import migrations

from dpf.core.migration_ops import PostgresOnlySQL

FUNCTION = """
CREATE OR REPLACE FUNCTION core_auditanchor_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit anchors are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditanchor_append_only
    BEFORE UPDATE OR DELETE ON core_auditanchor
    FOR EACH ROW EXECUTE FUNCTION core_auditanchor_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS core_auditanchor_append_only ON core_auditanchor;
DROP FUNCTION IF EXISTS core_auditanchor_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0006_audit_anchor")]

    operations = [PostgresOnlySQL(sql=FUNCTION, reverse_sql=REVERSE)]
