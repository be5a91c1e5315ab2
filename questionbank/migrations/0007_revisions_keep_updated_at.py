"""Give question revisions stored before updated_at was kept an updated_at: the revision's date.

A revert saves the stored row as it is (the admin's revert preview even with signals muted), and
``updated_at`` is NOT NULL, so those older revisions could not be reverted or previewed.
"""

import json

from django.db import migrations

CHUNK = 500


def add_updated_at(apps, schema_editor):
    Version = apps.get_model("reversion", "Version")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type = ContentType.objects.filter(app_label="questionbank", model="question").first()
    if content_type is None:
        return
    versions = (
        Version.objects.filter(content_type=content_type, format="json")
        .select_related("revision")
        .only("serialized_data", "revision__date_created")
    )
    changed = []
    for version in versions.iterator(chunk_size=CHUNK):
        rows = json.loads(version.serialized_data)
        missing = [row for row in rows if "updated_at" not in row["fields"]]
        if not missing:
            continue
        for row in missing:
            row["fields"]["updated_at"] = version.revision.date_created.isoformat()
        version.serialized_data = json.dumps(rows)
        changed.append(version)
        if len(changed) >= CHUNK:
            Version.objects.bulk_update(changed, ["serialized_data"])
            changed = []
    Version.objects.bulk_update(changed, ["serialized_data"])


class Migration(migrations.Migration):
    dependencies = [
        ("questionbank", "0006_bank_state"),
        ("reversion", "0002_add_index_on_version_for_content_type_and_db"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_updated_at, migrations.RunPython.noop)]
