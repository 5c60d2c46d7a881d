"""Exclusion constraint: a person's family-doctor contracts never overlap (PostgreSQL)."""

from django.db import migrations

from dpf.core.migration_ops import PostgresOnlySQL, exclusion_no_overlap


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_rosters_batches_suspects_tokens")]

    operations = [
        PostgresOnlySQL(
            sql="CREATE EXTENSION IF NOT EXISTS btree_gist",
            reverse_sql=migrations.RunSQL.noop,
        ),
        exclusion_no_overlap(
            "exchange_familydoctorcontract", "familydoctor_no_overlap", ["person_id"]
        ),
    ]
