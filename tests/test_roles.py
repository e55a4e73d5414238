"""The role groups survive a flush (transactional tests, `manage.py flush`)."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from tracker.roles import ROLES


def _codenames(name: str) -> set[str]:
    return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))


@pytest.mark.django_db
def test_every_role_has_every_permission_it_is_defined_with():
    for name, pairs in ROLES.items():
        assert {codename for _, codename in pairs} <= _codenames(name), name


@pytest.mark.django_db(transaction=True)
def test_roles_come_back_after_a_flush():
    call_command("flush", "--noinput", verbosity=0)
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
    assert "review_assessment" in _codenames("Reviewers")
    assert "review_assessment" not in _codenames("Editors")
    assert "view_apikey" in _codenames("Administrators")
