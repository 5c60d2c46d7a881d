"""A trigram index on persons' names (PostgreSQL only), so the search box's "name contains"
(``name LIKE '%…%'``) reads the index instead of every row. SQLite keeps its plain scan.

The extension is trusted (PostgreSQL 13+): the database's owner may create it. Going back
drops the index and leaves the extension (other objects may use it).
"""

from django.db import migrations

from dpf.core.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("registry", "0011_medical_settlements")]

    operations = [
        PostgresOnlySQL(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX IF NOT EXISTS person_name_trgm "
                "ON registry_person USING gin (name gin_trgm_ops)",
            ],
            reverse_sql=["DROP INDEX IF EXISTS person_name_trgm"],
        ),
    ]
