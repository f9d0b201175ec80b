"""Match → listing integrity by statement-level triggers instead of per-row foreign keys.

A full rematch writes a million or more matches; PostgreSQL checked the two foreign keys
of each one at commit (about 6 µs per key and row, 18 s at 100k listings). These triggers
give the same guarantee with one join per statement:

- a statement inserting matches first locks their listings ``FOR KEY SHARE`` (so a
  concurrent delete waits for this transaction) and then fails if any is missing;
- a match whose offer or want is changed is checked the same way, row by row (rare);
- a statement deleting listings, or changing their ids, fails while matches name them.

Errors carry SQLSTATE 23503 (foreign_key_violation), as the constraints' did. Django's
``on_delete=CASCADE`` still removes a listing's matches before the listing. SQLite (the
development default) has neither constraint nor trigger.
"""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
CREATE FUNCTION matching_match_listings_exist() RETURNS trigger
LANGUAGE plpgsql SET work_mem = '64MB' SET jit = off AS $$
DECLARE
    missing bigint;
BEGIN
    -- One join locks the rows' listings FOR KEY SHARE (a concurrent delete then waits
    -- for this transaction, and sees its matches) and counts those that are gone.
    -- EXECUTE plans for this statement's rows: a plan cached from a million-row rematch
    -- would scan every listing for a single listing's forty matches.
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

CREATE TRIGGER matching_match_listings_exist
AFTER INSERT ON matching_match REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION matching_match_listings_exist();

CREATE FUNCTION matching_match_pair_exists() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM matching_listing l WHERE l.id IN (NEW.offer_id, NEW.want_id)
       FOR KEY SHARE;
    IF NOT EXISTS (SELECT 1 FROM matching_listing WHERE id = NEW.offer_id)
       OR NOT EXISTS (SELECT 1 FROM matching_listing WHERE id = NEW.want_id)
    THEN
        RAISE EXCEPTION 'a match names a listing that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER matching_match_pair_exists
AFTER UPDATE OF offer_id, want_id ON matching_match FOR EACH ROW
WHEN (OLD.offer_id IS DISTINCT FROM NEW.offer_id OR OLD.want_id IS DISTINCT FROM NEW.want_id)
EXECUTE FUNCTION matching_match_pair_exists();

CREATE FUNCTION matching_listing_unmatched() RETURNS trigger
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    named boolean;
BEGIN
    EXECUTE '
        SELECT EXISTS (SELECT 1 FROM old_rows o JOIN matching_match m ON m.offer_id = o.id)
            OR EXISTS (SELECT 1 FROM old_rows o JOIN matching_match m ON m.want_id = o.id)'
    INTO named;
    IF named THEN
        RAISE EXCEPTION 'a listing named by matches cannot be deleted'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER matching_listing_unmatched
AFTER DELETE ON matching_listing REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION matching_listing_unmatched();

CREATE FUNCTION matching_listing_id_unmatched() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM matching_match WHERE offer_id = OLD.id OR want_id = OLD.id)
    THEN
        RAISE EXCEPTION 'a listing named by matches cannot change its id'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER matching_listing_id_unmatched
BEFORE UPDATE OF id ON matching_listing FOR EACH ROW
WHEN (OLD.id IS DISTINCT FROM NEW.id)
EXECUTE FUNCTION matching_listing_id_unmatched();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS matching_listing_id_unmatched ON matching_listing;
DROP FUNCTION IF EXISTS matching_listing_id_unmatched();
DROP TRIGGER IF EXISTS matching_listing_unmatched ON matching_listing;
DROP FUNCTION IF EXISTS matching_listing_unmatched();
DROP TRIGGER IF EXISTS matching_match_pair_exists ON matching_match;
DROP FUNCTION IF EXISTS matching_match_pair_exists();
DROP TRIGGER IF EXISTS matching_match_listings_exist ON matching_match;
DROP FUNCTION IF EXISTS matching_match_listings_exist();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("matching", "0002_match_drop_redundant_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="match",
            name="offer",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="matches_as_offer",
                to="matching.listing",
            ),
        ),
        migrations.AlterField(
            model_name="match",
            name="want",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="matches_as_want",
                to="matching.listing",
            ),
        ),
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD)),
    ]
