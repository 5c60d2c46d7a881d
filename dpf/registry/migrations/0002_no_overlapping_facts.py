"""Exclusion constraints: the same fact never holds twice for overlapping dates (PostgreSQL)."""

from django.db import migrations

from dpf.core.migration_ops import PostgresOnlySQL, exclusion_no_overlap


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [
        PostgresOnlySQL(
            sql="CREATE EXTENSION IF NOT EXISTS btree_gist",
            reverse_sql=migrations.RunSQL.noop,
        ),
        exclusion_no_overlap("registry_certificate", "certificate_no_overlap", ["person_id"]),
        exclusion_no_overlap("registry_residence", "residence_no_overlap", ["person_id"]),
        exclusion_no_overlap(
            "registry_householdstatus", "householdstatus_no_overlap", ["household_id"]
        ),
        exclusion_no_overlap(
            "registry_insuranceenrolment", "insurance_no_overlap", ["person_id", "kind"]
        ),
        exclusion_no_overlap(
            "registry_outsidepayment", "outsidepayment_no_overlap", ["person_id", "kind"]
        ),
        exclusion_no_overlap("registry_schoolenrolment", "school_no_overlap", ["person_id"]),
        exclusion_no_overlap(
            "registry_guardianlink", "guardian_no_overlap", ["guardian_id", "dependant_id"]
        ),
    ]
