"""Cheaper bulk writes of matches (docs/performance.md, sixth round).

- ``created_at``/``updated_at`` get a database default, so a rematch's ``COPY`` of new
  rows names neither column: PostgreSQL parsed two timestamps per row otherwise.
- The wants' index holds the want alone: a listing has a few dozen matches, sorted in
  memory, and keeping the score in the index cost every written row an ordered insert.
"""

import django.db.models.functions.datetime
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0004_match_components_as_text"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="match",
            name="matching_ma_want_id_ffe642_idx",
        ),
        migrations.AlterField(
            model_name="match",
            name="created_at",
            field=models.DateTimeField(
                auto_now_add=True, db_default=django.db.models.functions.datetime.Now()
            ),
        ),
        migrations.AlterField(
            model_name="match",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True, db_default=django.db.models.functions.datetime.Now()
            ),
        ),
        migrations.AddIndex(
            model_name="match",
            index=models.Index(fields=["want"], name="match_want"),
        ),
    ]
