"""The statement-level integrity check of new matches probes the listings' key.

Migration 0003's check joined the statement's rows with every listing: the planner does
not know a transition table's size, and hashed the whole listing table for each chunk of a
rematch (50 ms of 110 at 100k listings). Given as an array to ``EXECUTE``, the ids plan
as index probes of just those listings. The guarantee is the same: the listings are
locked ``FOR KEY SHARE`` (a concurrent delete waits for this transaction, and then sees
its matches), and the statement fails if any is missing.
"""

from django.db import migrations

BODY = """
CREATE OR REPLACE FUNCTION matching_match_listings_exist() RETURNS trigger
LANGUAGE plpgsql SET work_mem = '64MB' SET jit = off AS $$
DECLARE
    ids bigint[];
    present bigint;
BEGIN
    ids := ARRAY(SELECT offer_id FROM new_rows UNION SELECT want_id FROM new_rows);
    EXECUTE 'SELECT count(*) FROM (SELECT 1 FROM matching_listing l WHERE l.id = ANY($1)
                                   FOR KEY SHARE OF l) locked'
    INTO present USING ids;
    IF present <> cardinality(ids) THEN
        RAISE EXCEPTION 'a match names a listing that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION matching_match_listings_exist() RETURNS trigger
LANGUAGE plpgsql SET work_mem = '64MB' SET jit = off AS $$
DECLARE
    missing bigint;
BEGIN
    EXECUTE '
        WITH ids AS (SELECT offer_id AS id FROM new_rows UNION SELECT want_id FROM new_rows),
             locked AS (SELECT l.id FROM matching_listing l JOIN ids ON ids.id = l.id
                        FOR KEY SHARE OF l)
        SELECT (SELECT count(*) FROM ids) - (SELECT count(*) FROM locked)'
    INTO missing;
    IF missing <> 0 THEN
        RAISE EXCEPTION 'a match names a listing that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0005_match_bulk_copy_defaults"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(BODY), _on_postgresql(PREVIOUS)),
    ]
