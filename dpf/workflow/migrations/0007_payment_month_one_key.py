"""A payment month's foreign keys in one (issue 21, payment lists on PostgreSQL).

A month named its line, its person and its benefit by three foreign keys, each checked
per row when the list's transaction commits: with hundreds of thousands of arrears months
in a month's lists, most of the lists' commit time. On PostgreSQL one composite key now
checks them all, (line, person, benefit) → the line's (id, person, benefit), which also
guarantees what the three did not: a month's person and benefit are its line's. SQLite
keeps the line's key (``PostgresOnlySQL``: the service writes the line's person and
benefit there).
"""

import django.db.models.deletion
from django.db import migrations, models

from dpf.core.migration_ops import PostgresOnlySQL

# The single-column key on line_id, by whatever name Django gave it.
DROP_LINE_KEY = """
DO $$
DECLARE name text;
BEGIN
    SELECT c.conname INTO STRICT name FROM pg_constraint c
    WHERE c.conrelid = 'workflow_paymentmonth'::regclass AND c.contype = 'f'
      AND c.conkey = ARRAY[(SELECT attnum FROM pg_attribute
                            WHERE attrelid = 'workflow_paymentmonth'::regclass
                              AND attname = 'line_id')]::smallint[];
    EXECUTE format('ALTER TABLE workflow_paymentmonth DROP CONSTRAINT %I', name);
END $$
"""

ONE_KEY = """
ALTER TABLE workflow_paymentmonth ADD CONSTRAINT paymentmonth_line_person_benefit
    FOREIGN KEY (line_id, person_id, benefit_id)
    REFERENCES workflow_paymentline (id, person_id, benefit_id)
    DEFERRABLE INITIALLY DEFERRED
"""

LINE_KEY_AGAIN = """
ALTER TABLE workflow_paymentmonth ADD CONSTRAINT paymentmonth_line_id_fk
    FOREIGN KEY (line_id) REFERENCES workflow_paymentline (id) DEFERRABLE INITIALLY DEFERRED
"""


class Migration(migrations.Migration):
    dependencies = [
        ("benefits", "0010_entitlement_fixed_amount"),
        ("workflow", "0006_payment_list_drafted_by_schedule"),
    ]

    operations = [
        migrations.AlterField(
            model_name="paymentmonth",
            name="benefit",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="benefits.benefititem",
            ),
        ),
        migrations.AlterField(
            model_name="paymentmonth",
            name="person",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registry.person",
            ),
        ),
        migrations.AddConstraint(
            model_name="paymentline",
            constraint=models.UniqueConstraint(
                fields=("id", "person", "benefit"), name="paymentline_id_person_benefit"
            ),
        ),
        PostgresOnlySQL(
            sql=[ONE_KEY, DROP_LINE_KEY],
            reverse_sql=[
                LINE_KEY_AGAIN,
                "ALTER TABLE workflow_paymentmonth DROP CONSTRAINT paymentmonth_line_person_benefit",
            ],
        ),
    ]
