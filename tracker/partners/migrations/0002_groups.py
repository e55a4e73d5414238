"""The Partners group (partners' service users: submit evidence and proposed
assessments) and the Reviewers' rights over keys and webhooks."""

from django.db import migrations

PARTNER_PERMS = [("tracker", "add_evidence"), ("tracker", "add_assessment"), ("tracker", "change_assessment")]
REVIEWER_PERMS = [
    ("partners", "view_apikey"),
    ("partners", "add_apikey"),
    ("partners", "change_apikey"),
    ("partners", "view_webhookendpoint"),
    ("partners", "add_webhookendpoint"),
    ("partners", "view_webhookdelivery"),
    ("partners", "view_idempotencyrecord"),
]


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(pairs):
        found = [Permission.objects.get(content_type__app_label=a, codename=c) for a, c in pairs]
        return found

    partners, _ = Group.objects.get_or_create(name="Partners")
    partners.permissions.add(*perms(PARTNER_PERMS))
    reviewers, _ = Group.objects.get_or_create(name="Reviewers")
    reviewers.permissions.add(*perms(REVIEWER_PERMS))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Partners").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0001_initial"),
        ("tracker", "0002_search_index_and_groups"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
