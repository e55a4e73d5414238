"""Notifications (issue 6): readers follow by e-mail with double opt-in and
one-click unsubscribe; editors hear when their work is returned or published;
reviewers when something waits. Tasks run synchronously here (TASKS_EAGER);
e-mail goes to the locmem outbox."""

import re

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tracker import services
from tracker.editorial import services as editorial
from tracker.editorial.models import NotificationLog, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.SITE_URL = "https://tracker.example"
    cache.clear()  # the follow form's rate limits count in the cache
    with translation.override("en"):
        yield


def link_in(message, name):
    path = reverse(f"editorial:{name}", args=["TOKEN"]).replace("TOKEN/", "")
    match = re.search(re.escape("https://tracker.example" + path) + r"([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(0).replace("https://tracker.example", "")


def follow(client, commitment, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            reverse("editorial:follow", args=["commitment", commitment.reference]), {"email": email}
        )


def test_follow_needs_confirmation_then_gets_updates_and_can_stop(client, django_capture_on_commit_callbacks):
    editor = f.make_editor(email="author@example.org")
    commitment = f.make_commitment(actor=editor, reference="LPS-2017-04")
    response = follow(client, commitment, "Reader@Example.org", django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["reader@example.org"]
    subscription = Subscription.objects.get()
    assert subscription.confirmed_at is None

    # Not confirmed: a publication sends the reader nothing.
    with django_capture_on_commit_callbacks(execute=True):
        f.make_published_assessment(commitment, author=editor)
    assert [m.to for m in mail.outbox[1:]] == [["author@example.org"]]

    confirm = link_in(mail.outbox[0], "follow-confirm")
    assert client.get(confirm).status_code == 200
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        f.make_published_assessment(commitment, author=editor, status="initiated", as_of="2025-01-01")
    to_reader = [m for m in mail.outbox if m.to == ["reader@example.org"]]
    assert len(to_reader) == 1
    message = to_reader[0]
    assert message.subject == "New assessment: LPS-2017-04 is now “Initiated”"
    stop = link_in(message, "unsubscribe")
    assert message.extra_headers["List-Unsubscribe"] == f"<https://tracker.example{stop}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # A link scanner's GET changes nothing; the one-click POST (no CSRF token) stops it.
    assert client.get(stop).status_code == 200
    assert Subscription.objects.exists()
    from django.test import Client

    assert Client(enforce_csrf_checks=True).post(stop, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not Subscription.objects.exists()


def test_followers_of_pillar_and_institution_are_told_once(django_capture_on_commit_callbacks):
    editor = f.make_editor()
    lead = f.make_institution()
    commitment = f.make_commitment(actor=editor, lead_institution=lead)
    for target in (commitment.pillar, lead, commitment):
        s = Subscription.objects.create(
            email="same@example.org", confirmed_at="2024-01-01T00:00Z", **{target._meta.model_name: target}
        )
        assert s.target == target
    Subscription.objects.create(
        email="other@example.org", pillar=f.make_pillar(), confirmed_at="2024-01-01T00:00Z"
    )
    with django_capture_on_commit_callbacks(execute=True):
        f.make_published_assessment(commitment, author=editor)
    readers = [m.to[0] for m in mail.outbox if m.subject.startswith("New assessment")]
    assert readers == ["same@example.org"]


def test_bad_or_expired_tokens_are_clear_400s(client, settings):
    assert client.get(reverse("editorial:follow-confirm", args=["nonsense"])).status_code == 400
    assert client.get(reverse("editorial:unsubscribe", args=["nonsense"])).status_code == 400
    editor = f.make_editor()
    subscription = Subscription.objects.create(
        email="a@example.org", commitment=f.make_commitment(actor=editor)
    )
    token = signing.dumps(subscription.pk, salt=editorial.CONFIRM_SALT)
    settings.SECRET_KEY = settings.SECRET_KEY + "-rotated"
    response = client.get(reverse("editorial:follow-confirm", args=[token]))
    assert response.status_code == 400 and "This link is not valid." in response.content.decode()


def test_follow_form_rejects_a_bad_address_and_unknown_pages(client):
    commitment = f.make_commitment()
    response = client.post(
        reverse("editorial:follow", args=["commitment", commitment.reference]), {"email": "x"}
    )
    assert response.status_code == 400 and "Enter a valid email address." in response.content.decode()
    assert client.get(reverse("editorial:follow", args=["commitment", "NOPE"])).status_code == 404
    assert client.get(reverse("editorial:follow", args=["planet", "x"])).status_code == 404
    pillar = f.make_pillar()
    assert client.get(reverse("editorial:follow", args=["pillar", pillar.slug])).status_code == 200


def test_reviewers_are_told_when_something_waits_but_not_the_author(django_capture_on_commit_callbacks):
    author = f.make_reviewer(email="author@example.org")
    other_reviewer = f.make_reviewer(email="rev@example.org")
    f.make_reviewer(email="", username="no-email-reviewer")
    inactive = f.make_reviewer(email="gone@example.org")
    inactive.is_active = False
    inactive.save()
    f.make_editor(email="editor@example.org")
    assessment = f.make_assessment(f.make_commitment(actor=author), author=author)
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(actor=author, assessment=assessment)
    waiting = [m for m in mail.outbox if "waits for review" in m.subject]
    assert [m.to for m in waiting] == [[other_reviewer.email]]
    assert reverse("admin:tracker_assessment_change", args=[assessment.pk]) in waiting[0].body


def test_editor_is_told_when_returned_and_when_published(django_capture_on_commit_callbacks):
    editor, reviewer = f.make_editor(email="ed@example.org"), f.make_reviewer()
    commitment = f.make_commitment(actor=editor, reference="PAG-1")
    assessment = f.make_assessment(commitment, author=editor)
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(actor=editor, assessment=assessment)
        services.assessment_return(actor=reviewer, assessment=assessment, comment="Add the decree.")
    returned = [m for m in mail.outbox if m.to == ["ed@example.org"]]
    assert [m.subject for m in returned] == ["Your assessment of PAG-1 was returned"]
    assert "Add the decree." in returned[0].body
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(actor=editor, assessment=assessment)
        services.assessment_publish(actor=reviewer, assessment=assessment)
    subjects = [m.subject for m in mail.outbox if m.to == ["ed@example.org"]]
    assert subjects[-1] == "Your assessment of PAG-1 was published"


def test_a_retried_task_sends_nothing_twice(django_capture_on_commit_callbacks):
    from tracker.editorial.notifications import notify_published

    editor = f.make_editor(email="ed@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        assessment = f.make_published_assessment(f.make_commitment(actor=editor), author=editor)
    sent = len(mail.outbox)
    notify_published(assessment.pk)
    assert len(mail.outbox) == sent
    assert NotificationLog.objects.filter(kind="published", recipient="ed@example.org").count() == 1


def test_nothing_is_sent_for_a_rolled_back_change():
    editor = f.make_editor(email="ed@example.org")
    reviewer = f.make_reviewer(email="rev@example.org")
    assessment = f.make_assessment(f.make_commitment(actor=editor), author=editor)
    services.assessment_submit(actor=editor, assessment=assessment)  # on_commit never fires here
    assert not mail.outbox
    assert reviewer


def test_enqueue_uses_the_database_queue_when_not_eager(settings, monkeypatch):
    from django_q.conf import Conf
    from django_q.models import OrmQ

    from tracker.tasks import enqueue

    settings.TASKS_EAGER = False
    monkeypatch.setattr(Conf, "SYNC", False)
    task_id = enqueue("tracker.editorial.notifications.notify_published", 12345)
    assert task_id and OrmQ.objects.count() == 1
    assert not mail.outbox


def test_tasks_reuse_one_queue_connection_per_process(settings, monkeypatch):
    """django-q2 would open a queue connection per task: `tasks.broker()` keeps
    one per process, and a forked process (another pid) makes its own."""
    from django_q import brokers
    from django_q.conf import Conf
    from django_q.models import OrmQ

    from tracker import tasks

    settings.TASKS_EAGER = False
    monkeypatch.setattr(Conf, "SYNC", False)
    made = []
    real = brokers.get_broker
    monkeypatch.setattr(brokers, "get_broker", lambda *a: made.append(1) or real(*a))
    monkeypatch.setattr(tasks, "_brokers", {})
    for n in range(3):
        assert tasks.enqueue("tracker.editorial.notifications.notify_published", n)
    assert len(made) == 1 and OrmQ.objects.count() == 3
    first = tasks.broker()
    monkeypatch.setattr(tasks.os, "getpid", lambda: -1)  # as in a forked worker
    assert tasks.broker() is not first and len(made) == 2


def test_follows_and_notification_log_are_read_only_in_the_admin(client, django_capture_on_commit_callbacks):
    superuser = f.make_user(None, is_superuser=True)
    editor = f.make_editor(email="ed@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        f.make_published_assessment(f.make_commitment(actor=editor), author=editor)
    f.login_staff(client, superuser)
    assert client.get(reverse("admin:editorial_notificationlog_changelist")).status_code == 200
    assert client.get(reverse("admin:editorial_subscription_changelist")).status_code == 200
    log = NotificationLog.objects.first()
    page = client.get(reverse("admin:editorial_notificationlog_change", args=[log.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(reverse("admin:editorial_notificationlog_delete", args=[log.pk])).status_code == 403
