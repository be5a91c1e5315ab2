"""The editors' and reviewers' groups with their permissions.

Permissions are normally created after migrate (post_migrate); on a fresh database they do not exist yet
when this runs, so the content types and permissions are created here if missing.
"""

from django.db import migrations

PERMISSIONS = {
    # (model, codename): name
    ("question", "add_question"): "Can add question",
    ("question", "change_question"): "Can change question",
    ("question", "view_question"): "Can view question",
    ("question", "import_question"): "Can import questions",
    ("question", "review_question"): "Can approve, return and retire questions",
    ("tag", "view_tag"): "Can view tag",
    ("tag", "add_tag"): "Can add tag",
}
EDITORS = "Question editors"
REVIEWERS = "Question reviewers"
EDITOR_CODENAMES = [
    "add_question",
    "change_question",
    "view_question",
    "import_question",
    "view_tag",
    "add_tag",
]
REVIEWER_CODENAMES = [*EDITOR_CODENAMES, "review_question"]


def create_groups(apps, schema_editor):
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    perms = {}
    for (model, codename), name in PERMISSIONS.items():
        ct, _ = ContentType.objects.using(db).get_or_create(app_label="questionbank", model=model)
        perms[codename], _ = Permission.objects.using(db).get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for group_name, codenames in ((EDITORS, EDITOR_CODENAMES), (REVIEWERS, REVIEWER_CODENAMES)):
        group, _ = Group.objects.using(db).get_or_create(name=group_name)
        group.permissions.add(*(perms[c] for c in codenames))


def delete_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=[EDITORS, REVIEWERS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("questionbank", "0003_search_index"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
