"""The hook tracker.services.assessment_publish calls (one line, inside its
transaction). Import-safe: nothing from this app is imported until it runs."""

from __future__ import annotations


def emit_status_changed(assessment) -> None:
    """Queue a signed webhook event for every active partner endpoint; the
    deliveries are written in the publishing transaction and sent after it
    commits (a rolled-back publication sends nothing)."""
    from .tasks import enqueue_delivery
    from .webhooks import create_status_events

    for delivery in create_status_events(assessment):
        enqueue_delivery(delivery.pk)
