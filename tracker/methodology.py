"""The status scale: the one place where statuses and their meaning live.

After the implementation scale used by the independent observer of the 2015
Algiers agreement and the Peace Accords Matrix. Every assessment records the
methodology version it was made under, so a later change of the scale does not
rewrite history: add a new entry to VERSIONS, never edit a published one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    INITIATED = "initiated", _("Initiated")
    IN_PROGRESS = "in_progress", _("In progress")
    NEARLY_COMPLETE = "nearly_complete", _("Nearly complete")
    COMPLETED = "completed", _("Completed")
    STALLED = "stalled", _("Stalled")
    ABANDONED = "abandoned", _("Abandoned")
    UNCLEAR = "unclear", _("Unclear")


# Implementation levels and the progress each one stands for. The band of a
# level runs from its value up to (not including) the next level's value.
LEVEL_PROGRESS: dict[str, int] = {
    Status.NOT_STARTED: 0,
    Status.INITIATED: 25,
    Status.IN_PROGRESS: 50,
    Status.NEARLY_COMPLETE: 75,
    Status.COMPLETED: 100,
}
# States that are not levels: they keep the last level's progress.
NON_LEVEL_STATUSES = (Status.STALLED, Status.ABANDONED, Status.UNCLEAR)


@dataclass(frozen=True)
class StatusDefinition:
    status: Status
    meaning: str
    progress: str


CURRENT_VERSION = "1.0"

VERSIONS: dict[str, dict] = {
    "1.0": {
        "adopted": "2026-11-23",
        "definitions": (
            StatusDefinition(Status.NOT_STARTED, _("No verifiable action."), "0%"),
            StatusDefinition(
                Status.INITIATED,
                _("First steps only: announced, drafted, budgeted, talks opened."),
                "25%",
            ),
            StatusDefinition(Status.IN_PROGRESS, _("Substantial implementation under way."), "50%"),
            StatusDefinition(Status.NEARLY_COMPLETE, _("Most of it done, some parts missing."), "75%"),
            StatusDefinition(Status.COMPLETED, _("Fully implemented, verified."), "100%"),
            StatusDefinition(
                Status.STALLED,
                _("No movement for a long time, or blocked; keeps the last level."),
                _("last level"),
            ),
            StatusDefinition(
                Status.ABANDONED,
                _("Withdrawn, terminated or superseded (e.g. provisions of a terminated agreement)."),
                _("last level"),
            ),
            StatusDefinition(Status.UNCLEAR, _("Not enough evidence to judge."), _("last level")),
        ),
    },
}


def progress_band(status: str) -> tuple[int, int] | None:
    """The progress range allowed for a level, or None for a non-level state."""
    if status not in LEVEL_PROGRESS:
        return None
    low = LEVEL_PROGRESS[status]
    higher = sorted(v for v in LEVEL_PROGRESS.values() if v > low)
    high = higher[0] - 1 if higher else 100
    return low, high
