"""The PostgreSQL full-text index, and the Editors and Reviewers groups."""

from django.db import migrations

# Used by tracker.querysets.search on PostgreSQL: the expression must match
# to_tsvector('simple'::regconfig, search_document) exactly for the planner
# to use the index. SQLite has no GIN index and searches the folded text.
CREATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS tracker_com_search_gin ON tracker_commitment "
    "USING gin (to_tsvector('simple'::regconfig, search_document))"
)
DROP_INDEX = "DROP INDEX IF EXISTS tracker_com_search_gin"

EDITOR_PERMS = [
    "view_commitment", "add_commitment", "change_commitment",
    "view_commitmentinstitution", "add_commitmentinstitution",
    "change_commitmentinstitution", "delete_commitmentinstitution",
    "view_assessment", "add_assessment", "change_assessment",
    "view_evidence", "add_evidence", "change_evidence",
    "view_indicator", "add_indicator", "change_indicator",
    "view_measurement", "add_measurement", "change_measurement",
    "view_framework", "view_pillar", "view_institution", "view_region",
    "view_organisation", "view_membership",
]
REVIEWER_EXTRA = [
    "review_assessment",
    "add_framework", "change_framework",
    "add_pillar", "change_pillar",
    "add_institution", "change_institution",
    "add_region", "change_region",
]


def forwards_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_INDEX)


def backwards_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_INDEX)


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (
        ("Editors", EDITOR_PERMS),
        ("Reviewers", EDITOR_PERMS + REVIEWER_EXTRA),
    ):
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
        missing = set(codenames) - set(perms.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Missing permissions: {sorted(missing)}")
        group.permissions.add(*perms)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editors", "Reviewers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(forwards_index, backwards_index),
        migrations.RunPython(create_groups, remove_groups),
    ]
