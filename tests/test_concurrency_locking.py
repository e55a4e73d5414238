"""No lost edits (issue 6): optimistic locking checked under a row lock.

Many threads save the same record at once: exactly one wins, every other one
is refused with a message saying who changed what meanwhile. Runs on SQLite
by default and on PostgreSQL with DATABASE_URL (use your own database name)."""

import datetime as dt
import importlib
import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, connections
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst, slugify

from tests import factories as f
from tracker import services
from tracker.models import Commitment, Institution, Region

THREADS = 12


@pytest.fixture
def groups_after_flush():
    """Transactional tests start from a flushed database: put back the groups
    the data migrations create (serialized_rollback breaks on SQLite when a
    non-transactional test ran before)."""
    from django.contrib.auth.models import Group, Permission

    tracker = importlib.import_module("tracker.migrations.0002_search_index_and_groups")
    roles = importlib.import_module("tracker.migrations.0003_editorial_versions_and_roles")
    editors = tracker.EDITOR_PERMS
    reviewers = editors + tracker.REVIEWER_EXTRA
    for name, codenames in (
        ("Editors", editors),
        ("Reviewers", reviewers),
        ("Administrators", reviewers + roles.ADMIN_TRACKER_EXTRA),
    ):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
        )


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _waiting(save, i):
    """SQLite's in-memory test database is shared between threads in
    "shared-cache" mode, where a writer finds the table locked instead of
    waiting for it (a file database waits: the busy timeout in settings).
    Retrying the whole service call, in a new transaction, is that wait."""
    for _attempt in range(400):
        try:
            return save(i)
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(0.005)
    raise AssertionError("the table stayed locked")


def race(save, n=THREADS):
    """Run `save(i)` in n threads released at the same instant."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        try:
            with translation.override("en"):
                barrier.wait(timeout=10)
                results[i] = ("ok", _waiting(save, i))
        except ValidationError as exc:
            results[i] = ("refused", exc)
        except Exception as exc:  # pragma: no cover - reported by the assertion
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def check_exactly_one_wins(results, label):
    errors = [r for r in results if r[0] == "error"]
    assert not errors, errors
    winners = [r[1] for r in results if r[0] == "ok"]
    refused = [r[1] for r in results if r[0] == "refused"]
    assert len(winners) == 1 and len(refused) == THREADS - 1, results
    for exc in refused:
        assert exc.code == "stale_version"
        assert exc.messages[0].startswith(f"Someone else saved this {label} while you were editing it")
        assert "your version 1, now 2" in exc.messages[0]
    return winners[0], refused


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("groups_after_flush")
def test_many_threads_save_the_same_evidence_exactly_one_wins():
    editor = f.make_editor()
    commitment = f.make_commitment(actor=editor)
    evidence = f.make_evidence(commitment, actor=editor, title="Original")
    editor.has_perm("tracker.change_evidence")  # load the permission cache once

    results = race(
        lambda i: services.evidence_update(
            actor=editor, evidence=evidence, expected_version=1, title=f"Title from thread {i}"
        )
    )
    winner, refused = check_exactly_one_wins(results, "evidence")
    evidence.refresh_from_db()
    assert (evidence.version, evidence.title) == (2, winner.title)
    for exc in refused:
        assert f"Title: “Original” → “{winner.title}”" in exc.details
        assert editor.username in exc.details
    # The winner's save, and only it, is in the history.
    assert evidence.history.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("groups_after_flush")
def test_many_threads_save_the_same_commitment_exactly_one_wins():
    editor = f.make_editor()
    commitment = f.make_commitment(actor=editor, title_en="Original")
    editor.has_perm("tracker.change_commitment")
    results = race(
        lambda i: services.commitment_update(
            actor=editor, commitment=commitment, expected_version=1, title_en=f"Thread {i}"
        )
    )
    winner, refused = check_exactly_one_wins(results, "commitment")
    commitment = Commitment.objects.get(pk=commitment.pk)
    assert (commitment.version, commitment.title_en) == (2, winner.title_en)
    assert all(f"Title (English): “Original” → “{winner.title_en}”" in exc.details for exc in refused)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("groups_after_flush")
def test_many_threads_save_the_same_institution_exactly_one_wins():
    admin_user = f.make_user("Administrators")
    institution = services.institution_create(actor=admin_user, slug="pn", name_fr="Police")
    admin_user.has_perm("tracker.change_institution")
    results = race(
        lambda i: services.institution_update(
            actor=admin_user, institution=institution, expected_version=1, acronym=f"P{i}"
        )
    )
    winner, _ = check_exactly_one_wins(results, "institution")
    assert Institution.objects.get(pk=institution.pk).acronym == winner.acronym


@pytest.mark.django_db
def test_stale_evidence_form_is_refused_with_what_changed(client):
    editor, colleague = f.make_editor(), f.make_editor()
    org = colleague.membership.organisation
    editor.membership.organisation = org
    editor.membership.save()
    commitment = f.make_commitment(actor=editor)
    evidence = f.make_evidence(commitment, actor=editor, title="Original", publisher="Le Journal")
    services.evidence_update(
        actor=colleague, evidence=evidence, expected_version=1, title="Colleague's title"
    )
    f.login_staff(client, editor)
    data = {
        "kind": "news_report",
        "publisher": "Le Journal",
        "title": "My title",
        "published_on": "2024-05-01",
        "published_on_precision": "day",
        "language": "fr",
        "reliability": "credible",
        "visibility": "public",
        "expected_version": 1,
    }
    response = client.post(reverse("admin:tracker_evidence_change", args=[evidence.pk]), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors[0].startswith(
        "Someone else saved this evidence while you were editing it (your version 1, now 2)"
    )
    assert f"Saved meanwhile by {colleague.username}" in errors[1]
    assert "Title: “Original” → “Colleague's title”" in errors[1]
    evidence.refresh_from_db()
    assert evidence.title == "Colleague's title"
    # Reloaded (the current version), the same edit goes through.
    data["expected_version"] = 2
    response = client.post(reverse("admin:tracker_evidence_change", args=[evidence.pk]), data)
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert (evidence.title, evidence.version) == ("My title", 3)


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["indicator", "institution", "framework"])
def test_stale_forms_of_other_records_are_refused(client, model):
    user = f.make_user("Administrators")
    commitment = f.make_commitment(actor=user)
    if model == "indicator":
        obj = services.indicator_create(actor=user, commitment=commitment, key="k", name_fr="Avant")
        services.indicator_update(actor=user, indicator=obj, name_fr="Pendant")
        data = {"name_fr": "Après", "unit": "count"}
    elif model == "institution":
        obj = services.institution_create(actor=user, slug="pn", name_fr="Avant")
        services.institution_update(actor=user, institution=obj, name_fr="Pendant")
        data = {"name_fr": "Après", "kind": "other"}
    else:
        obj = services.framework_create(actor=user, code="lps", name_fr="Avant")
        services.framework_update(actor=user, framework=obj, name_fr="Pendant")
        data = {"name_fr": "Après", "kind": "other", "status": "in_force", "adopted_on_precision": "day"}
    f.login_staff(client, user)
    data["expected_version"] = 1
    response = client.post(reverse(f"admin:tracker_{model}_change", args=[obj.pk]), data)
    assert response.status_code == 200, response
    errors = response.context["adminform"].form.non_field_errors()
    assert "your version 1, now 2" in errors[0]
    assert "“Avant” → “Pendant”" in errors[1]
    obj.refresh_from_db()
    assert obj.name_fr == "Pendant"


def _reference_record(model, actor, name):
    """A pillar, region, organisation or membership named `name` (a
    membership is named by its organisation), and the field an edit changes."""
    if model == "pillar":
        return services.pillar_create(actor=actor, slug="police", name_fr=name), "name_fr"
    if model == "region":
        return services.region_create(actor=actor, slug="mopti", name=name), "name"
    organisation = services.organisation_create(actor=actor, slug=f"org-{slugify(name)}", name=name)
    if model == "organisation":
        return organisation, "name"
    person = get_user_model().objects.create_user(username=f"member-{slugify(name)}", is_staff=True)
    return services.membership_create(actor=actor, user=person, organisation=organisation), "organisation"


def _value(model, actor, field, name):
    if field != "organisation":
        return name
    return services.organisation_create(actor=actor, slug=f"org-{slugify(name)}", name=name)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("groups_after_flush")
@pytest.mark.parametrize("model", ["pillar", "region", "organisation", "membership"])
def test_many_threads_save_the_same_reference_record_exactly_one_wins(model):
    admin_user = f.make_user("Administrators")
    obj, field = _reference_record(model, admin_user, "Original")
    values = [_value(model, admin_user, field, f"Thread{i}") for i in range(THREADS)]
    admin_user.has_perm(f"tracker.change_{model}")
    update = getattr(services, f"{model}_update")
    results = race(
        lambda i: update(actor=admin_user, **{model: obj}, expected_version=1, **{field: values[i]})
    )
    winner, refused = check_exactly_one_wins(results, model)
    saved = type(obj).objects.get(pk=obj.pk)
    assert (saved.version, getattr(saved, field)) == (2, getattr(winner, field))
    label = capfirst(type(obj)._meta.get_field(field).verbose_name)
    for exc in refused:
        assert f"{label}: “Original” → “{getattr(winner, field)}”" in exc.details
        assert f"Saved meanwhile by {admin_user.username}" in exc.details
    # The winner's save, and only it, is in the history, with its actor.
    assert [(r.version, r.history_user) for r in saved.history.order_by("history_id")] == [
        (1, admin_user),
        (2, admin_user),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model, data",
    [
        ("pillar", {"order": 0}),
        ("region", {"kind": "region"}),
        # The members are listed in a read-only inline: its management form.
        (
            "organisation",
            {"kind": "civil_society", "memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0},
        ),
        ("membership", {}),
    ],
)
def test_stale_reference_forms_are_refused_with_what_changed(client, model, data):
    user = f.make_user("Administrators")
    obj, field = _reference_record(model, user, "Avant")
    update = getattr(services, f"{model}_update")
    update(actor=user, **{model: obj}, **{field: _value(model, user, field, "Pendant")})
    after = _value(model, user, field, "Après")
    data = {**data, field: getattr(after, "pk", after), "expected_version": 1}
    f.login_staff(client, user)
    response = client.post(reverse(f"admin:tracker_{model}_change", args=[obj.pk]), data)
    assert response.status_code == 200, response
    errors = response.context["adminform"].form.non_field_errors()
    assert "your version 1, now 2" in errors[0]
    assert "“Avant” → “Pendant”" in errors[1]
    obj.refresh_from_db()
    assert str(getattr(obj, field)) == "Pendant"
    # Reloaded at the current version, the same edit goes through and is recorded.
    data["expected_version"] = 2
    response = client.post(reverse(f"admin:tracker_{model}_change", args=[obj.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    obj.refresh_from_db()
    assert (str(getattr(obj, field)), obj.version) == ("Après", 3)
    newest = obj.history.order_by("-history_id").first()
    assert (newest.version, newest.history_user) == (3, user)


@pytest.mark.django_db
def test_reference_records_are_created_through_the_admin_with_history(client):
    user = f.make_user("Administrators")
    f.login_staff(client, user)
    response = client.post(
        reverse("admin:tracker_region_add"), {"slug": "kidal", "name": "Kidal", "kind": "region"}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    region = Region.objects.get(slug="kidal")
    assert [(r.history_type, r.history_user, r.version) for r in region.history.all()] == [("+", user, 1)]
    # The slug is in public URLs: fixed once created.
    response = client.post(
        reverse("admin:tracker_region_change", args=[region.pk]),
        {"slug": "other", "name": "Kidal", "kind": "district", "expected_version": 1},
    )
    assert response.status_code == 302
    region.refresh_from_db()
    assert (region.slug, region.kind, region.version) == ("kidal", "district", 2)


def test_the_postgresql_run_uses_its_own_database():
    """Documentation by test: the concurrency tests above ran on the database
    DATABASE_URL names (SQLite in memory by default)."""
    assert connection.vendor in ("sqlite", "postgresql")


@pytest.mark.django_db
def test_stale_measurement_form_is_refused_with_what_changed(client):
    """Measurements have no version column: the form carries the time the
    editor read the row, checked under the row lock (two editors, two tabs)."""
    editor, colleague = f.make_editor(), f.make_editor()
    commitment = f.make_commitment(actor=editor)
    indicator = services.indicator_create(actor=editor, commitment=commitment, key="k", name_fr="Recrues")
    measurement = services.measurement_record(
        actor=editor, indicator=indicator, measured_on=dt.date(2024, 5, 1), value=100
    )
    url = reverse("admin:tracker_measurement_change", args=[measurement.pk])
    f.login_staff(client, editor)
    form = client.get(url).context["adminform"].form
    read_stamp = form.initial["read_stamp"]
    services.measurement_update(actor=colleague, measurement=measurement, note="Colleague's note")
    data = {
        "measured_on": "2024-05-01",
        "measured_on_precision": "day",
        "value": "150",
        "note": "",
        "read_stamp": read_stamp,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors[0] == (
        "Someone else saved this measurement while you were editing it (its fields or the evidence "
        "it cites). Reload it to see the changes, then make yours again."
    )
    assert f"Saved meanwhile by {colleague.username}" in errors[1]
    assert "Note: “—” → “Colleague's note”" in errors[1]
    measurement.refresh_from_db()
    assert (measurement.value, measurement.note) == (100, "Colleague's note")  # nothing lost
    # Reloaded, the same edit goes through and keeps the colleague's note.
    data["read_stamp"] = client.get(url).context["adminform"].form.initial["read_stamp"]
    data["note"] = "Colleague's note"
    assert client.post(url, data).status_code == 302
    measurement.refresh_from_db()
    assert (measurement.value, measurement.note) == (150, "Colleague's note")


@pytest.mark.django_db
def test_stale_assessment_draft_form_from_another_tab_is_refused(client):
    editor = f.make_editor()
    commitment = f.make_commitment(actor=editor)
    assessment = f.make_assessment(commitment, author=editor)
    url = reverse("admin:tracker_assessment_change", args=[assessment.pk])
    f.login_staff(client, editor)
    read_stamp = client.get(url).context["adminform"].form.initial["read_stamp"]
    services.assessment_update(actor=editor, assessment=assessment, summary_fr="Onglet 1")
    data = {
        "status": assessment.status,
        "as_of": assessment.as_of.isoformat(),
        "as_of_precision": "day",
        "summary_fr": "Onglet 2",
        "delay_reason": assessment.delay_reason,
        "read_stamp": read_stamp,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors[0].startswith("Someone else saved this assessment while you were editing it (")
    assessment.refresh_from_db()
    assert assessment.summary_fr == "Onglet 1"


@pytest.mark.django_db
@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+05:00", "not a date"])
def test_a_forged_read_stamp_is_refused_not_a_500(client, stamp):
    """A read stamp that is no real save time (out of range once in UTC, or
    not a date) is taken as stale: a form error, nothing written."""
    editor = f.make_editor()
    assessment = f.make_assessment(f.make_commitment(actor=editor), author=editor, summary_fr="Avant")
    url = reverse("admin:tracker_assessment_change", args=[assessment.pk])
    f.login_staff(client, editor)
    data = {
        "status": assessment.status,
        "as_of": assessment.as_of.isoformat(),
        "as_of_precision": "day",
        "summary_fr": "Après",
        "delay_reason": assessment.delay_reason,
        "read_stamp": stamp,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors[0].startswith("Someone else saved this assessment while you were editing it (")
    assessment.refresh_from_db()
    assert assessment.summary_fr == "Avant"
