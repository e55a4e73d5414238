"""The role groups and their permissions: one definition.

Data migrations created the groups when each app was installed; this module
is the current definition, applied (idempotently, adding only) after every
`migrate` and after every `flush` through Django's `post_migrate` signal, the
way django.contrib.auth creates permissions. That keeps the roles in place
after a test database is flushed, and on a database migrated long ago when a
new permission appears. Removing a permission from a role is a data migration.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.db.models import Q

# (app label, codename) pairs. Editors draft and submit; reviewers also
# publish/return and manage reference data and partners' keys; administrators
# also manage people and organisations; partners (API service users) submit.
EDITORS = (
    [
        ("tracker", codename)
        for model in ("commitment", "assessment", "evidence", "indicator", "measurement")
        for codename in (f"view_{model}", f"add_{model}", f"change_{model}")
    ]
    + [("tracker", f"{action}_commitmentinstitution") for action in ("view", "add", "change", "delete")]
    + [
        ("tracker", f"view_{model}")
        for model in ("framework", "pillar", "institution", "region", "organisation", "membership")
    ]
)
REVIEWERS = EDITORS + [
    ("tracker", "review_assessment"),
    *[
        ("tracker", f"{action}_{model}")
        for model in ("framework", "pillar", "institution", "region")
        for action in ("add", "change")
    ],
    ("partners", "view_apikey"),
    ("partners", "add_apikey"),
    ("partners", "change_apikey"),
    ("partners", "view_webhookendpoint"),
    ("partners", "add_webhookendpoint"),
    ("partners", "view_webhookdelivery"),
    ("partners", "view_idempotencyrecord"),
]
ADMINISTRATORS = REVIEWERS + [
    ("tracker", "add_organisation"),
    ("tracker", "change_organisation"),
    ("tracker", "add_membership"),
    ("tracker", "change_membership"),
    ("tracker", "view_historicalcommitment"),
    ("auth", "view_user"),
    ("auth", "add_user"),
    ("auth", "change_user"),
    ("auth", "view_group"),
]
PARTNERS = [
    ("tracker", "view_commitment"),
    ("tracker", "view_evidence"),
    ("tracker", "add_evidence"),
    ("tracker", "view_assessment"),
    ("tracker", "add_assessment"),
    ("tracker", "change_assessment"),
]
ROLES: dict[str, list[tuple[str, str]]] = {
    "Editors": EDITORS,
    "Reviewers": REVIEWERS,
    "Administrators": ADMINISTRATORS,
    "Partners": PARTNERS,
}


def ensure_role_groups(apps=global_apps, using: str = "default") -> None:
    """Create the groups and give them their permissions (adds, never removes).
    Permissions of apps not migrated yet are skipped; they are added on the
    next run."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, pairs in ROLES.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        wanted = Q()
        for app_label, codename in pairs:
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.add(*Permission.objects.using(using).filter(wanted))


def on_post_migrate(sender, app_config=None, using: str = "default", apps=global_apps, **kwargs) -> None:
    if sender.label in {"tracker", "partners", "editorial"}:
        ensure_role_groups(apps=apps, using=using)
