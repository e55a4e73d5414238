"""create_demo_accounts is idempotent: run again (every `make run`), it keeps
what is already right (password hash, so open sessions; authenticator;
recovery codes) and puts back only what was changed."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker.management.commands.create_demo_accounts import demo_totp_key

pytestmark = pytest.mark.django_db


def _run() -> str:
    out = StringIO()
    call_command("create_demo_accounts", stdout=out)
    return out.getvalue()


def _state(username: str):
    user = get_user_model().objects.get(username=username)
    return (
        user.password,
        list(TOTPDevice.objects.filter(user=user).values_list("pk", "key", "confirmed")),
        sorted(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)),
    )


def test_a_second_run_changes_nothing_and_prints_the_same_codes():
    first_output = _run()
    before = {name: _state(name) for name in ("demo-editor", "demo-reviewer", "demo-admin")}
    assert _run() == first_output
    assert {name: _state(name) for name in before} == before
    password, devices, codes = before["demo-editor"]
    assert [d[1:] for d in devices] == [(demo_totp_key("demo-editor"), True)]
    assert codes and any(code in first_output for code in codes)  # a usable one is printed


def test_a_changed_account_is_put_back():
    _run()
    user = get_user_model().objects.get(username="demo-reviewer")
    user.set_password("something-else-entirely-42")
    user.save()
    TOTPDevice.objects.filter(user=user).update(key="00" * 20)
    old_codes = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    _run()
    user.refresh_from_db()
    assert user.check_password("reviewer-demo-2026!")
    assert list(TOTPDevice.objects.filter(user=user).values_list("key", flat=True)) == [
        demo_totp_key("demo-reviewer")
    ]
    new_codes = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert new_codes and not (new_codes & old_codes)
