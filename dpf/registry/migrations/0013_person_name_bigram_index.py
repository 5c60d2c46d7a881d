"""A bigram index on persons' names (PostgreSQL only), for the search box's "name contains"
with two characters (张海), where the trigram index finds nothing to read: the function
``dpf_name_bigrams`` lists a name's pairs of adjacent characters, and a GIN index over it
finds the names holding a given pair. The search keeps ``name LIKE '%…%'`` beside it, so
the matches are the same (``dpf.registry.search_selectors._matching``). SQLite keeps its
plain scan.
"""

from django.db import migrations

from dpf.core.migration_ops import PostgresOnlySQL

BIGRAMS = """
CREATE OR REPLACE FUNCTION dpf_name_bigrams(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(name, i, 2)), '{}')
    FROM generate_series(1, char_length(name) - 1) AS i
$$
"""


class Migration(migrations.Migration):
    dependencies = [("registry", "0012_person_name_trigram_index")]

    operations = [
        PostgresOnlySQL(
            sql=[
                BIGRAMS,
                "CREATE INDEX IF NOT EXISTS person_name_bigrams "
                "ON registry_person USING gin (dpf_name_bigrams(name))",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS person_name_bigrams",
                "DROP FUNCTION IF EXISTS dpf_name_bigrams(text)",
            ],
        ),
    ]
