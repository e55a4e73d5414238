"""Tasks of the dashboard's insights (django-q2, through tracker.tasks)."""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def warm_dashboard() -> int:
    """Compute and cache today's dashboard figures (every language). Queued by
    `version.schedule_warming` after a write commits; returns the entries written."""
    from tracker import dashboard
    from tracker.insights import tally, version

    cache.delete(version.warming_key())  # a write from now on queues another run
    tally.compact()  # the writes' tally rows folded, one per group
    return len(dashboard.warm())
