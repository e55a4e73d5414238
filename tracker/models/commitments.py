"""Commitments: the promises the tracker follows."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from tracker.methodology import Status

from .base import Bilingual, DatePrecision, DateRangeMixin, TimeStampedModel
from .history import M2MHistoricalRecords
from .reference import Framework, Institution, Pillar, Region

# Kept at module level: the services set a new commitment's many-to-many
# relations first and then write its one "created" history row with them
# (tracker.services.commitments.commitment_create). The many-to-many history
# rows are copied by the database (tracker/models/history.py).
commitment_history = M2MHistoricalRecords(
    excluded_fields=["search_document"], m2m_fields=["regions", "related"]
)


class CommitmentQuerySet(models.QuerySet):
    def overdue(self, today):
        """Due before `today` and not finished (completed or abandoned)."""
        return self.filter(due_date__lt=today).exclude(
            current_status__in=[Status.COMPLETED, Status.ABANDONED]
        )

    def top_level(self):
        return self.filter(parent__isnull=True)


class Commitment(DateRangeMixin, TimeStampedModel):
    # Due dates may be in the future; neither date before 1960.
    any_date_fields = ("start_date", "due_date")

    title = Bilingual("title")
    description = Bilingual("description")

    reference = models.CharField(
        _("reference code"),
        max_length=40,
        unique=True,
        help_text=_("Stable public code, e.g. LPS-2017-04. Never reused."),
    )
    framework = models.ForeignKey(
        Framework, verbose_name=_("framework"), on_delete=models.PROTECT, related_name="commitments"
    )
    pillar = models.ForeignKey(
        Pillar, verbose_name=_("pillar"), on_delete=models.PROTECT, related_name="commitments"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent commitment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("For milestones and sub-commitments."),
    )
    title_fr = models.CharField(_("title (French)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    provision = models.CharField(
        _("provision"), max_length=300, blank=True, help_text=_("Article or line of the framework.")
    )
    institutions = models.ManyToManyField(
        Institution,
        through="CommitmentInstitution",
        verbose_name=_("responsible institutions"),
        related_name="commitments",
    )
    regions = models.ManyToManyField(
        Region, verbose_name=_("regions"), blank=True, related_name="commitments"
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    start_date_precision = models.CharField(
        _("precision of the start date"),
        max_length=10,
        choices=DatePrecision,
        default=DatePrecision.DAY,
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    due_date_precision = models.CharField(
        _("precision of the due date"),
        max_length=10,
        choices=DatePrecision,
        default=DatePrecision.DAY,
    )
    budget_amount = models.DecimalField(_("budget"), max_digits=18, decimal_places=0, null=True, blank=True)
    budget_currency = models.CharField(
        _("budget currency"), max_length=3, default="XOF", help_text=_("ISO 4217; XOF is FCFA.")
    )
    wps_marker = models.BooleanField(
        _("women, peace and security"),
        default=False,
        help_text=_("The commitment concerns women, peace and security (UNSCR 1325)."),
    )
    related = models.ManyToManyField(
        "self",
        verbose_name=_("related commitments"),
        blank=True,
        symmetrical=True,
        help_text=_("The same promise made in other frameworks."),
    )
    # Denormalised from the latest published assessment; written only by
    # tracker.services.assessment_publish (and commitment_refresh_status).
    current_status = models.CharField(
        _("current status"), max_length=20, choices=Status, default=Status.NOT_STARTED, editable=False
    )
    current_progress = models.PositiveSmallIntegerField(_("current progress (%)"), default=0, editable=False)
    status_as_of = models.DateField(_("status as of"), null=True, blank=True, editable=False)
    # Accent- and case-folded titles, descriptions and reference, written by the
    # services; searched with a full-text index on PostgreSQL.
    search_document = models.TextField(_("search document"), blank=True, editable=False)
    # Optimistic locking: bumped by every update; a save made from an older
    # version is refused (tracker.services.commitment_update).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Regions and related commitments are part of every history row, so the
    # diff and the public change log show "regions: Mopti → Mopti, Ségou".
    history = commitment_history

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [
            models.CheckConstraint(
                condition=Q(current_progress__gte=0) & Q(current_progress__lte=100),
                name="tracker_commitment_progress_range",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(due_date__isnull=True)
                | Q(due_date__gte=models.F("start_date")),
                name="tracker_commitment_due_after_start",
                violation_error_message=_("The due date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(budget_amount__isnull=True) | Q(budget_amount__gte=0),
                name="tracker_commitment_budget_not_negative",
                violation_error_message=_("The budget cannot be negative."),
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="tracker_commitment_not_own_parent"
            ),
            models.CheckConstraint(
                condition=Q(current_status__in=Status.values),
                name="tracker_commitment_status_valid",
            ),
        ]
        indexes = [
            # The public list filtered by status / overdue (due_date) and sorted.
            # INCLUDE id (PostgreSQL): a deep page's keys (tracker.views.KeysFirstPaginator,
            # OFFSET n) are read from the index alone, without visiting the n rows skipped
            # (page 1,076 of the in-progress list at 100k: 248 ms -> 8 ms).
            models.Index(
                fields=["current_status", "reference"], include=("id",), name="tracker_com_status_ref_id"
            ),
            models.Index(fields=["due_date"], name="tracker_com_due"),
            models.Index(
                fields=["framework", "reference"], include=("id",), name="tracker_com_framework_ref_id"
            ),
            models.Index(fields=["pillar", "reference"], include=("id",), name="tracker_com_pillar_ref_id"),
            # The trend's point for today (tracker.stats._from_groups): the few commitments
            # whose latest published assessment is dated after the day shown.
            models.Index(fields=["status_as_of"], name="tracker_com_status_as_of"),
            # The dashboard's scans of every commitment (tracker.stats.commitment_groups,
            # and the breakdowns by institution and region joining to it) read this
            # narrow index instead of the wide rows (PostgreSQL: index-only scans).
            models.Index(
                fields=["pillar", "framework", "current_status"],
                include=["id", "current_progress", "due_date", "status_as_of"],
                name="tracker_com_dashboard",
            ),
            # The full-text index on search_document exists on PostgreSQL only; it
            # is created by migration 0002 (SQLite has no GIN indexes).
        ]

    def __str__(self) -> str:
        return f"{self.reference} – {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("tracker:commitment-detail", args=[self.reference])

    def is_overdue(self, today) -> bool:
        return bool(
            self.due_date
            and self.due_date < today
            and self.current_status not in (Status.COMPLETED, Status.ABANDONED)
        )


class CommitmentInstitution(TimeStampedModel):
    class Role(models.TextChoices):
        LEAD = "lead", _("lead")
        SUPPORTING = "supporting", _("supporting")

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="responsibilities")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="responsibilities")
    role = models.CharField(_("role"), max_length=20, choices=Role, default=Role.SUPPORTING)
    history = HistoricalRecords()

    class Meta:
        ordering = ["role", "institution__name_fr"]
        verbose_name = _("responsible institution")
        verbose_name_plural = _("responsible institutions")
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "institution"], name="tracker_commitmentinstitution_unique"
            ),
            models.UniqueConstraint(
                fields=["commitment"],
                condition=Q(role="lead"),
                name="tracker_commitmentinstitution_one_lead",
                violation_error_message=_("A commitment has exactly one lead institution."),
            ),
        ]
        indexes = [
            # Institution pages and the institution filter: commitments by institution.
            models.Index(fields=["institution", "role"], name="tracker_ci_institution_role"),
        ]

    def __str__(self) -> str:
        return f"{self.commitment_id}: {self.institution} ({self.get_role_display()})"
