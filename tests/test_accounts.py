"""Accounts (issue 6): two-factor authentication for every staff account,
lockout keyed on username and address, password rules, session timeouts,
disabling ends sessions, security events logged."""

import logging
import re
import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken

from tests import factories as f
from tracker import services
from tracker.editorial.middleware import AUTH_AT, SEEN_AT
from tracker.services.accounts import user_otp_provision

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password-123"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def current_code(device) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def login_post(client, username, password=PASSWORD, token="", ip="10.0.0.1"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "otp_token": token, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


# --- Two-factor authentication ------------------------------------------------


def test_password_alone_does_not_open_the_admin(client):
    editor = f.make_editor()
    user_otp_provision(user=editor)
    response = login_post(client, editor.username)
    assert response.status_code == 200  # the form again, with an error
    assert client.get(reverse("admin:index")).status_code == 302
    # A session logged in by password only (no second factor) is not enough either.
    client.force_login(editor)
    response = client.get(reverse("admin:tracker_commitment_changelist"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_password_and_totp_code_open_the_admin(client):
    editor = f.make_editor()
    device, _codes = user_otp_provision(user=editor)
    response = login_post(client, editor.username, token=current_code(device))
    assert response.status_code == 302, response.context["form"].errors
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_wrong_code_is_refused(client):
    editor = f.make_editor()
    device, _codes = user_otp_provision(user=editor)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = login_post(client, editor.username, token=wrong)
    assert response.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_recovery_code_works_once(client):
    editor = f.make_editor()
    _device, codes = user_otp_provision(user=editor)
    assert len(codes) == 10
    assert login_post(client, editor.username, token=codes[0]).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    client.logout()
    assert login_post(client, editor.username, token=codes[0]).status_code == 200
    assert not StaticToken.objects.filter(token=codes[0]).exists()


def test_staff_without_a_device_cannot_log_in(client):
    editor = f.make_editor()
    assert login_post(client, editor.username, token="123456").status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_demo_accounts_get_a_known_authenticator_secret(client, settings):
    settings.DEBUG = True
    call_command("create_demo_accounts", stdout=open("/dev/null", "w"))
    from io import StringIO

    out = StringIO()
    call_command("otp_code", "demo-editor", stdout=out)
    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    response = login_post(client, "demo-editor", password="editor-demo-2026!", token=code)
    assert response.status_code == 302
    settings.DEBUG = False
    with pytest.raises(Exception, match="Only for the demo"):
        call_command("otp_code", "demo-editor")


def test_otp_setup_command_prints_secret_and_recovery_codes():
    from io import StringIO

    editor = f.make_editor(username="amina")
    out = StringIO()
    call_command("otp_setup", "amina", "--no-qr", stdout=out)
    text = out.getvalue()
    assert "otpauth://totp/" in text and "recovery codes" in text
    assert editor.totpdevice_set.filter(confirmed=True).count() == 1


# --- Self-service set-up of the second factor -----------------------------------

SETUP = "/editorial/account/two-factor/"


def test_first_login_sets_up_the_app_then_shows_recovery_codes_once(client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    editor = f.make_editor()
    response = login_post(client, editor.username)  # no code: there is no device yet
    assert response.status_code == 302
    response = client.get(response["Location"], follow=True)
    assert response.redirect_chain[-1][0] == reverse("editorial:otp-setup") == SETUP
    page = response.content.decode()
    device = TOTPDevice.objects.get(user=editor, confirmed=False)
    assert escape(device.config_url) in page and "<svg" in page and "otpauth://totp/" in page
    secret = response.context["secret"]
    assert secret in page
    # CSP-safe: the QR code is SVG in the page, no inline script, no outside image.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert "<img" not in page.split('id="content-main"')[1]
    # Reloaded, the page shows the same secret (one pending device).
    assert client.get(SETUP).context["secret"] == secret
    assert TOTPDevice.objects.filter(user=editor).count() == 1
    # Still no admin: the session has not passed a second factor.
    assert client.get(reverse("admin:index")).status_code == 302

    response = client.post(SETUP, {"token": current_code(device)})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and all(code in response.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("admin:index")).status_code == 200  # this session is verified
    # Shown once: the set-up page is gone for this account.
    again = client.get(SETUP)
    assert again.status_code == 302 and again["Location"] == reverse("admin:index")

    # A recovery code works once.
    client.logout()
    assert login_post(client, editor.username, token=codes[3]).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    client.logout()
    assert login_post(client, editor.username, token=codes[3]).status_code == 200
    # And the password alone no longer leads anywhere.
    client.logout()
    response = login_post(client, editor.username)
    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.parametrize(
    "language, message",
    [
        (
            "en",
            "This code is not valid. Check that your phone's clock is right "
            "and type the code the app shows now.",
        ),
        (
            "fr",
            "Ce code n’est pas valable. Vérifiez que l’horloge de votre téléphone est à l’heure "
            "et tapez le code que l’application affiche maintenant.",
        ),
    ],
)
def test_a_wrong_set_up_code_is_a_translated_form_error(client, language, message):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    editor = f.make_editor()
    client.force_login(editor)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=editor)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    with translation.override(language):
        response = client.post(SETUP, {"token": wrong}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert response.context["form"].errors["token"] == [message]
    device.refresh_from_db()
    assert not device.confirmed and device.throttling_failure_count == 1  # the failure is kept
    assert client.get(reverse("admin:index")).status_code == 302


def test_nobody_skips_the_second_factor(client):
    from django_otp.plugins.otp_static.models import StaticDevice

    # Logged in by password only, without a device: every editor page sends
    # to the log-in, which sends to the set-up page.
    editor = f.make_editor()
    client.force_login(editor)
    for url in (reverse("admin:index"), reverse("admin:tracker_commitment_changelist"), "/editorial/"):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0] == SETUP, url
    # An account that has a device cannot use the set-up page to add another
    # (that would be a second factor from the password alone).
    protected = f.make_editor()
    device, _codes = user_otp_provision(user=protected)
    client.force_login(protected)
    response = client.post(SETUP, {"token": current_code(device)})
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert protected.totpdevice_set.count() == 1
    assert client.get(reverse("admin:index")).status_code == 302
    # Recovery codes alone count as a device: a reset is an administrator's act.
    recovery_only = f.make_editor()
    StaticDevice.objects.create(user=recovery_only, name="codes", confirmed=True)
    client.force_login(recovery_only)
    assert client.get(SETUP).status_code == 302
    assert not recovery_only.totpdevice_set.exists()
    # Not staff, or not logged in: the log-in page.
    client.logout()
    assert reverse("admin:login") in client.get(SETUP)["Location"]
    reader = f.make_user(None, is_staff=False)
    client.force_login(reader)
    assert reverse("admin:login") in client.get(SETUP)["Location"]
    assert not reader.totpdevice_set.exists()


# --- Lockout --------------------------------------------------------------------


def test_lockout_after_repeated_failures_is_per_username_and_address(client, settings, caplog):
    settings.AXES_FAILURE_LIMIT = 3
    editor = f.make_editor()
    device, _codes = user_otp_provision(user=editor)
    with caplog.at_level(logging.INFO, logger="tracker.security"):
        for _ in range(3):
            login_post(client, editor.username, password="wrong-password-xx", ip="203.0.113.9")
        # Locked from that address, even with the right password and code.
        response = login_post(client, editor.username, token=current_code(device), ip="203.0.113.9")
        assert response.status_code == 429
        assert client.get(reverse("admin:index")).status_code == 302
    assert any(r.getMessage().startswith(f"login failed: {editor.username}") for r in caplog.records)
    assert any(r.getMessage().startswith(f"lockout: {editor.username}") for r in caplog.records)
    # The editor, from their own address, still gets in.
    response = login_post(client, editor.username, token=current_code(device), ip="198.51.100.7")
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


# --- Passwords ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "password,message",
    [
        ("Sh0rt-pass", "This password is too short. It must contain at least 12 characters."),
        ("password1234", "This password is too common."),
        ("123456789012345", "This password is entirely numeric."),
    ],
)
def test_weak_passwords_are_refused(password, message):
    with pytest.raises(ValidationError) as exc:
        validate_password(password)
    assert message in exc.value.messages


def test_a_long_uncommon_password_is_accepted():
    validate_password("velvet-baobab-harmattan-42")


# --- Sessions -----------------------------------------------------------------------


def test_idle_session_ends(client, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    editor = f.make_editor()
    f.login_staff(client, editor)
    assert client.get(reverse("admin:index")).status_code == 200
    session = client.session
    session[SEEN_AT] = int(time.time()) - 61
    session.save()
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_active_session_still_ends_at_the_absolute_timeout(client, settings):
    settings.SESSION_ABSOLUTE_TIMEOUT = 3600
    editor = f.make_editor()
    f.login_staff(client, editor)
    assert client.get(reverse("admin:index")).status_code == 200
    session = client.session
    session[AUTH_AT] = int(time.time()) - 3601
    session[SEEN_AT] = int(time.time())  # active a moment ago
    session.save()
    assert client.get(reverse("admin:index")).status_code == 302


def test_disabling_an_account_ends_all_its_sessions(client):
    from django.test import Client

    administrator, editor = f.make_user("Administrators"), f.make_editor()
    other_device = Client()
    f.login_staff(client, editor)
    f.login_staff(other_device, editor)
    assert client.get(reverse("admin:index")).status_code == 200
    services.user_deactivate(actor=administrator, user=editor)
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(editor.pk)]
    for c in (client, other_device):
        assert c.get(reverse("admin:index")).status_code == 302
    editor.refresh_from_db()
    assert not editor.is_active


def test_only_administrators_disable_accounts_and_never_themselves():
    administrator, editor = f.make_user("Administrators"), f.make_editor()
    with pytest.raises(Exception, match="permission"):
        services.user_deactivate(actor=editor, user=administrator)
    with pytest.raises(ValidationError):
        services.user_deactivate(actor=administrator, user=administrator)


def test_only_a_superuser_disables_a_superuser():
    """The rule is the service's, whatever calls it (the admin action relied
    on its own check)."""
    from django.contrib.auth import get_user_model

    administrator = f.make_user("Administrators")
    root = get_user_model().objects.create_superuser("root-user", password="a-long-test-password-123")
    with pytest.raises(PermissionDenied) as exc:
        services.user_deactivate(actor=administrator, user=root)
    assert str(exc.value) == "Only a superuser can disable a superuser's account."
    root.refresh_from_db()
    assert root.is_active
    other_root = get_user_model().objects.create_superuser("root-2", password="a-long-test-password-123")
    services.user_deactivate(actor=other_root, user=root)
    root.refresh_from_db()
    assert not root.is_active


def test_admin_action_names_the_account_it_could_not_disable(client):
    from django.contrib.auth import get_user_model

    administrator = f.make_user("Administrators")
    root = get_user_model().objects.create_superuser("root-user", password="a-long-test-password-123")
    f.login_staff(client, administrator)
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate_accounts", "_selected_action": [root.pk]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "root-user: Only a superuser can disable a superuser's account."
    ]
    assert get_user_model().objects.get(pk=root.pk).is_active


def test_admin_action_disables_accounts(client):
    from django.contrib.auth import get_user_model

    administrator, editor = f.make_user("Administrators"), f.make_editor()
    f.login_staff(client, administrator)
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate_accounts", "_selected_action": [editor.pk]},
        follow=True,
    )
    assert "1 account(s) disabled" in response.content.decode()
    assert not get_user_model().objects.get(pk=editor.pk).is_active


# --- Security log ---------------------------------------------------------------------


def test_permission_denied_is_logged(client, caplog):
    editor = f.make_editor()
    commitment = f.make_commitment(actor=editor)
    record = commitment.history.first()
    f.login_staff(client, editor)
    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        url = reverse("admin:tracker_commitment_simple_history", args=[commitment.pk, record.history_id])
        assert client.post(url, {}).status_code == 403
    assert any(
        r.getMessage().startswith(f"permission denied: {editor.username} POST") for r in caplog.records
    )


def test_successful_login_is_logged(client, caplog):
    editor = f.make_editor()
    device, _ = user_otp_provision(user=editor)
    with caplog.at_level(logging.INFO, logger="tracker.security"):
        login_post(client, editor.username, token=current_code(device), ip="192.0.2.4")
    assert any(r.getMessage() == f"login: {editor.username} from 192.0.2.4" for r in caplog.records)


def test_login_page_asks_for_the_code_in_one_step(client):
    page = client.get(reverse("admin:login")).content.decode()
    assert 'name="otp_token"' in page and 'autocomplete="one-time-code"' in page
    assert "otp_device" not in page and "otp_challenge" not in page
