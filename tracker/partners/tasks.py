"""Background delivery of webhooks, through the project's task queue
(tracker.tasks: django-q2; eager in tests).

`deliver_webhook(delivery_id)` is a plain function; `enqueue_delivery` queues
it once the publishing transaction commits. Retries are not queued: a failed
attempt sets `next_attempt_at` (exponential back-off) and `deliver_due`, run
every minute by the django-q schedule that `deliver_webhooks
--install-schedule` creates (or by cron running `deliver_webhooks`), sends
whatever is due.
"""

from __future__ import annotations

from django.utils import timezone

from .webhooks import deliver_webhook, due_delivery_ids

DELIVER_PATH = "tracker.partners.webhooks.deliver_webhook"


def enqueue_delivery(delivery_id: int) -> None:
    try:
        from tracker.tasks import enqueue_on_commit
    except ImportError:  # no task queue: `deliver_webhooks` sends it when due
        return
    enqueue_on_commit(DELIVER_PATH, delivery_id)


def deliver_due(limit: int = 100) -> tuple[int, int]:
    """One pass over the due deliveries: (delivered, failed attempts)."""
    sent = failed = 0
    for delivery_id in due_delivery_ids(timezone.now(), limit):
        delivery = deliver_webhook(delivery_id)
        if delivery is None:
            continue
        if delivery.state == delivery.State.SUCCEEDED:
            sent += 1
        else:
            failed += 1
    return sent, failed
