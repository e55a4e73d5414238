"""No data lost: a crash in the middle of a multi-row write leaves nothing
half-written; concurrent conflicting edits give exactly one success; a lost
or restarted database gives a clean 503 with Retry-After (never a 500) and
service comes back by itself."""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
import threading
import time

import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connection
from django.test import Client, RequestFactory

from tests import factories
from tracker import services
from tracker.errors import server_error
from tracker.models import Assessment, Commitment, CommitmentInstitution

RECOVERY_LIMIT_SECONDS = 10


@pytest.fixture
def groups_after_flush():
    """Transactional tests start from a flushed database: put back the groups
    the data migrations create (serialized_rollback breaks on SQLite when a
    non-transactional test ran before)."""
    from django.contrib.auth.models import Group, Permission

    tracker = importlib.import_module("tracker.migrations.0002_search_index_and_groups")
    for name, codenames in (
        ("Editors", tracker.EDITOR_PERMS),
        ("Reviewers", tracker.EDITOR_PERMS + tracker.REVIEWER_EXTRA),
    ):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
        )


# --- Crash in the middle of a multi-row write ------------------------------------------


@pytest.mark.django_db
def test_crash_after_first_row_of_commitment_create_leaves_nothing(editor, monkeypatch):
    lead, support = factories.make_institution(), factories.make_institution()
    framework, pillar = factories.make_framework(), factories.make_pillar()
    commitments, links = Commitment.objects.count(), CommitmentInstitution.objects.count()
    history = Commitment.history.count()
    original_save = CommitmentInstitution.save
    calls = []

    def crash_on_second_row(self, *args, **kwargs):
        calls.append(self)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(CommitmentInstitution, "save", crash_on_second_row)
    with pytest.raises(RuntimeError, match="power cut"):
        services.commitment_create(
            actor=editor,
            reference="CRASH-1",
            framework=framework,
            pillar=pillar,
            title_fr="Engagement",
            lead_institution=lead,
            supporting_institutions=[support],
        )
    assert len(calls) == 2  # the commitment and its lead were written before the crash
    assert Commitment.objects.count() == commitments
    assert CommitmentInstitution.objects.count() == links
    assert Commitment.history.count() == history
    assert not Commitment.objects.filter(reference="CRASH-1").exists()


@pytest.mark.django_db
def test_crash_during_publish_leaves_assessment_submitted_and_status_unchanged(
    commitment, editor, monkeypatch
):
    reviewer = factories.make_reviewer()
    assessment = factories.make_assessment(commitment, author=editor)
    services.assessment_submit(actor=editor, assessment=assessment)
    status_before = Commitment.objects.get(pk=commitment.pk).current_status

    def crash(*args, **kwargs):
        # The assessment row is already written as published at this point.
        saved = Assessment.objects.get(pk=assessment.pk)
        assert saved.review_state == Assessment.ReviewState.PUBLISHED
        raise RuntimeError("worker killed")

    # The step after the assessment's row is written: the commitment's status.
    monkeypatch.setattr("tracker.services.assessments._write_status", crash)
    with pytest.raises(RuntimeError, match="worker killed"):
        services.assessment_publish(actor=reviewer, assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.review_state == Assessment.ReviewState.SUBMITTED
    assert assessment.reviewer is None and assessment.published_at is None
    assert Commitment.objects.get(pk=commitment.pk).current_status == status_before


# --- Concurrent conflicting edits ----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("groups_after_flush")
def test_twenty_concurrent_conflicting_edits_give_exactly_one_success():
    editor = factories.make_editor()
    commitment = factories.make_commitment(actor=editor)
    version = commitment.version
    history_before = commitment.history.count()
    threads_n = 20
    barrier = threading.Barrier(threads_n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def edit(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            services.commitment_update(
                actor=editor, commitment=commitment, expected_version=version, title_fr=f"Titre {i}"
            )
            result = "ok"
        except ValidationError as exc:
            result = exc.code or "invalid"
        except Exception as exc:  # noqa: BLE001 - reported below
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["ok"] + ["stale_version"] * (threads_n - 1)
    commitment.refresh_from_db()
    assert commitment.version == version + 1
    assert commitment.history.count() == history_before + 1


# --- Database outage -------------------------------------------------------------


def wsgi_get(path: str = "/commitments/") -> tuple[int, dict]:
    """A request through Django's real WSGI handler, with the request signals
    that close broken connections (the test client disconnects them)."""
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="GET")
    seen: dict = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = int(status[:3]), dict(headers)

    result = WSGIHandler()(environ, start_response)
    try:
        b"".join(result)
    finally:
        result.close()
    return seen["status"], seen["headers"]


def assert_503(status: int, headers: dict) -> None:
    assert status == 503, status
    assert int(headers["Retry-After"]) > 0
    assert "no-store" in headers["Cache-Control"]


@pytest.mark.django_db
def test_database_error_in_a_view_is_a_503_with_retry_after(settings):
    settings.ROOT_URLCONF = "tests.security_urls"
    response = Client(raise_request_exception=False).get("/__test__/db-down/")
    assert_503(response.status_code, response.headers)
    assert "Traceback" not in response.text and "Connection refused" not in response.text


def test_database_error_outside_views_is_a_503_not_a_500():
    request = RequestFactory().get("/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(request)
    assert_503(response.status_code, response.headers)
    try:
        raise RuntimeError("bug")
    except RuntimeError:
        assert server_error(request).status_code == 500


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _poll_until_ok(limit: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        status, headers = wsgi_get()
        if status == 200:
            return time.monotonic() - started
        assert_503(status, headers)
        time.sleep(0.2)
    pytest.fail(f"service did not come back within {limit} s")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("groups_after_flush")
def test_killed_persistent_connections_reconnect_without_a_500():
    factories.make_commitment()
    assert wsgi_get()[0] == 200
    dbname = connection.settings_dict["NAME"]
    with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [dbname],
        ).fetchone()[0]
    assert killed >= 1
    assert wsgi_get()[0] == 200  # health check notices the dead connection and reconnects


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("groups_after_flush")
def test_unreachable_database_gives_503_then_recovers_by_itself(record_property):
    factories.make_commitment()
    assert wsgi_get()[0] == 200
    original = connection.settings_dict["PORT"]
    try:
        connection.close()
        connection.settings_dict["PORT"] = str(_free_port())  # nothing listens there
        for _ in range(3):
            assert_503(*wsgi_get())
    finally:
        connection.settings_dict["PORT"] = original
    seconds = _poll_until_ok(RECOVERY_LIMIT_SECONDS)
    record_property("seconds_to_recover", round(seconds, 2))
    assert seconds < RECOVERY_LIMIT_SECONDS


def _admin_dsn() -> str:
    s = connection.settings_dict
    return f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} user={s['USER']} dbname=postgres"


def _pg_ctl(action: str) -> None:
    subprocess.run(  # noqa: S603 - fixed argv
        # The running server's major version names its Debian cluster (15 here).
        ["pg_ctlcluster", "--skip-systemctl-redirect", str(connection.pg_version // 10000), "main", action],  # noqa: S607
        check=True,
        timeout=30,
        capture_output=True,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("groups_after_flush")
@pytest.mark.skipif(
    os.environ.get("CI", "").lower() != "true" and not os.environ.get("SECURITY_PG_RESTART"),
    reason="stops the shared PostgreSQL: runs under CI=true or with SECURITY_PG_RESTART=1",
)
def test_real_postgresql_restart_gives_503_then_recovers(record_property):
    factories.make_commitment()
    assert wsgi_get()[0] == 200
    try:
        _pg_ctl("stop")
        assert_503(*wsgi_get())
    finally:
        _pg_ctl("start")  # ALWAYS bring the shared database back
    seconds = _poll_until_ok(RECOVERY_LIMIT_SECONDS)
    record_property("seconds_to_recover", round(seconds, 2))
    print(f"recovered {seconds:.2f} s after PostgreSQL started", file=sys.stderr)
    assert seconds < RECOVERY_LIMIT_SECONDS
