"""Exclusion constraints (PostgreSQL): rule versions, amount standards and active
entitlements never overlap in time for the same key. SQLite gets the same guarantee from
the service layer under its single-writer lock."""

from django.db import migrations

from dpf.core.migration_ops import PostgresOnlySQL, exclusion_no_overlap


class Migration(migrations.Migration):
    dependencies = [("benefits", "0001_catalogue_rules_entitlements_scan")]

    operations = [
        PostgresOnlySQL(
            sql="CREATE EXTENSION IF NOT EXISTS btree_gist",
            reverse_sql=migrations.RunSQL.noop,
        ),
        exclusion_no_overlap(
            "benefits_ruleversion", "ruleversion_no_overlap", ["benefit_id", "region_code", "mode"]
        ),
        PostgresOnlySQL(
            sql=(
                "ALTER TABLE benefits_amountstandard ADD CONSTRAINT amountstandard_no_overlap "
                "EXCLUDE USING gist (benefit_id WITH =, region_code WITH =, "
                "(COALESCE(level, 0)) WITH =, daterange(valid_from, valid_to, '[]') WITH &&)"
            ),
            reverse_sql="ALTER TABLE benefits_amountstandard DROP CONSTRAINT amountstandard_no_overlap",
        ),
        PostgresOnlySQL(
            sql=(
                "ALTER TABLE benefits_entitlement ADD CONSTRAINT entitlement_active_no_overlap "
                "EXCLUDE USING gist (person_id WITH =, benefit_id WITH =, "
                "daterange(valid_from, valid_to, '[]') WITH &&) WHERE (status = 'active')"
            ),
            reverse_sql="ALTER TABLE benefits_entitlement DROP CONSTRAINT entitlement_active_no_overlap",
        ),
    ]
