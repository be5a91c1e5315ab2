"""A token that changes with every write to the bank's questions or their tags, kept by triggers.

Draws keep an index of the drawable questions per bank state (``questionbank.draws``) and rebuild it
when the token differs. Triggers, not signals, because imports, bulk actions and ``QuerySet.update``
write without signals, and a stale index would draw a retired question. The token is random, not a
counter: a transaction that changed the bank and rolled back must not leave a value that a later change
could produce again.

PostgreSQL: one statement-level trigger per table and write. The token row stays locked from a
transaction's first write to the bank until it commits, so writes to the bank take turns (imports
included); reads never wait. SQLite: row triggers (SQLite has no statement triggers); its writers take
turns anyway.
"""

from django.db import migrations

TABLES = ("questionbank_question", "questionbank_taggedquestion")
STATE = "questionbank_bankstate"

POSTGRES_INSTALL = [
    f"CREATE TABLE {STATE} (id smallint PRIMARY KEY CHECK (id = 1), token varchar(40) NOT NULL)",
    f"INSERT INTO {STATE} (id, token) VALUES (1, gen_random_uuid()::text)",
    f"""CREATE FUNCTION questionbank_bank_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {STATE} SET token = gen_random_uuid()::text WHERE id = 1;
  RETURN NULL;
END $$""",
    *(
        f"CREATE TRIGGER {table}_bank_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION questionbank_bank_changed()"
        for table in TABLES
    ),
]
POSTGRES_REMOVE = [
    *(f"DROP TRIGGER IF EXISTS {table}_bank_changed ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS questionbank_bank_changed()",
    f"DROP TABLE IF EXISTS {STATE}",
]
SQLITE_INSTALL = [
    f"CREATE TABLE {STATE} (id integer PRIMARY KEY CHECK (id = 1), token varchar(40) NOT NULL)",
    f"INSERT INTO {STATE} (id, token) VALUES (1, lower(hex(randomblob(16))))",
    *(
        f"CREATE TRIGGER {table}_{event.lower()}_bank_changed AFTER {event} ON {table} "
        f"BEGIN UPDATE {STATE} SET token = lower(hex(randomblob(16))) WHERE id = 1; END"
        for table in TABLES
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
]
SQLITE_REMOVE = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_{event.lower()}_bank_changed"
        for table in TABLES
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
    f"DROP TABLE IF EXISTS {STATE}",
]
STATEMENTS = {
    "postgresql": (POSTGRES_INSTALL, POSTGRES_REMOVE),
    "sqlite": (SQLITE_INSTALL, SQLITE_REMOVE),
}


def install(apps, schema_editor):
    # Other databases get no token; draws then rebuild their index every time (correct, slower).
    for statement in STATEMENTS.get(schema_editor.connection.vendor, ((), ()))[0]:
        schema_editor.execute(statement)


def remove(apps, schema_editor):
    for statement in STATEMENTS.get(schema_editor.connection.vendor, ((), ()))[1]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("questionbank", "0005_question_image_description"),
    ]

    operations = [migrations.RunPython(install, remove)]
