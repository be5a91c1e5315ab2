"""Search indexes for the admin, on PostgreSQL only (a no-op on SQLite).

* pg_trgm GIN index on ``UPPER(search_text)``: Django's ``search_text__icontains`` is
  ``UPPER(search_text) LIKE UPPER('%fragment%')`` on PostgreSQL, which uses it for fragments of three or
  more characters, Chinese included (Chinese has no spaces, so the ``simple`` full-text configuration
  cannot find a word inside a run of Chinese text).
* GIN expression index on ``to_tsvector('simple', COALESCE(search_text, ''))``: the exact expression
  Django's ``search_text__search=SearchQuery(..., config="simple")`` produces, for web-search syntax on
  Latin-script words.
"""

from django.db import migrations

TRIGRAM_INDEX = "question_search_text_trgm"
FTS_INDEX = "question_search_text_fts"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON questionbank_question "
        "USING gin (UPPER(search_text) gin_trgm_ops)"
    )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {FTS_INDEX} ON questionbank_question "
        "USING gin (to_tsvector('simple'::regconfig, COALESCE(search_text, '')))"
    )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {FTS_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("questionbank", "0002_alter_question_options_question_author_and_more"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
