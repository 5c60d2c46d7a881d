"""The verification status as database facts: known values; a pending request is open and
undecided; a decision has a time, a rejection a reason; one current verified account and one
pending request per person; on PostgreSQL, verified periods of a person never overlap."""

from django.db import migrations, models

from dpf.core.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("workflow", "0004_payee_accounts_on_file_verified")]

    operations = [
        migrations.AddConstraint(
            model_name="payeeaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["pending", "verified", "rejected", "superseded"])
                ),
                name="payee_status_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="payeeaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "pending"), _negated=True),
                    models.Q(("decided_at__isnull", True), ("valid_to__isnull", True)),
                    _connector="OR",
                ),
                name="payee_pending_undecided",
            ),
        ),
        migrations.AddConstraint(
            model_name="payeeaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status__in", ["verified", "rejected"]), _negated=True),
                    ("decided_at__isnull", False),
                    _connector="OR",
                ),
                name="payee_decided_when",
            ),
        ),
        migrations.AddConstraint(
            model_name="payeeaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "rejected"), _negated=True),
                    models.Q(("decision_note", ""), _negated=True),
                    _connector="OR",
                ),
                name="payee_rejection_has_reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="payeeaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status__in", ["rejected", "superseded"]), _negated=True),
                    ("valid_to__isnull", False),
                    _connector="OR",
                ),
                name="payee_ended_is_closed",
            ),
        ),
        migrations.AddConstraint(
            model_name="payeeaccount",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "verified"), ("valid_to__isnull", True)),
                fields=("person",),
                name="payee_one_current",
            ),
        ),
        migrations.AddConstraint(
            model_name="payeeaccount",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "pending")),
                fields=("person",),
                name="payee_one_pending",
            ),
        ),
        PostgresOnlySQL(
            sql="CREATE EXTENSION IF NOT EXISTS btree_gist",
            reverse_sql=migrations.RunSQL.noop,
        ),
        PostgresOnlySQL(
            sql=(
                "ALTER TABLE workflow_payeeaccount ADD CONSTRAINT payee_verified_no_overlap "
                "EXCLUDE USING gist (person_id WITH =, "
                "daterange(valid_from, valid_to, '[]') WITH &&) WHERE (status = 'verified')"
            ),
            reverse_sql="ALTER TABLE workflow_payeeaccount DROP CONSTRAINT payee_verified_no_overlap",
        ),
    ]
