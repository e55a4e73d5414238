"""Evidence and assessments (dated, reviewed verdicts on a commitment)."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from tracker.methodology import CURRENT_VERSION, Status

from .base import Bilingual, DatePrecision, DateRangeMixin, Language, TimeStampedModel, format_partial_date
from .commitments import Commitment
from .history import M2MHistoricalRecords
from .organisations import Organisation
from .reference import Institution


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    """Random stored names: the uploader's file name is never used on disk."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"evidence/{uuid.uuid4().hex}{suffix}"


class EvidenceQuerySet(models.QuerySet):
    def public(self):
        """Public visibility and cited by at least one published assessment:
        evidence reaches readers only after a reviewer has seen it."""
        cited = Assessment.evidence.through.objects.filter(
            evidence_id=OuterRef("pk"), assessment__review_state=Assessment.ReviewState.PUBLISHED
        )
        return self.filter(Exists(cited), visibility=Evidence.Visibility.PUBLIC)


class Evidence(DateRangeMixin, TimeStampedModel):
    past_date_fields = ("published_on",)

    class Kind(models.TextChoices):
        OFFICIAL_TEXT = "official_text", _("official text (law, decree, budget line)")
        GOVERNMENT_STATEMENT = "government_statement", _("government statement")
        NEWS_REPORT = "news_report", _("news report")
        CIVIL_SOCIETY_REPORT = "civil_society_report", _("civil-society report")
        INTERNATIONAL_REPORT = "international_report", _("international report")
        FIELD_OBSERVATION = "field_observation", _("field observation")
        DATASET = "dataset", _("dataset")

    class Reliability(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        CREDIBLE = "credible", _("credible")
        UNVERIFIED = "unverified", _("unverified")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("public")
        CONFIDENTIAL = "confidential", _("confidential (editors only)")

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.PROTECT, related_name="evidence"
    )
    key = models.SlugField(
        _("key"),
        max_length=80,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Stable identifier used by imports and the seed record."),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind)
    publisher = models.CharField(_("publisher"), max_length=300)
    title = models.CharField(_("title"), max_length=500)
    published_on = models.DateField(_("date"), null=True, blank=True)
    published_on_precision = models.CharField(
        _("precision of the date"), max_length=10, choices=DatePrecision, default=DatePrecision.DAY
    )
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    file = models.FileField(_("file"), upload_to=evidence_upload_to, blank=True)
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True, editable=False)
    source_document = models.CharField(
        _("source document"),
        max_length=200,
        blank=True,
        help_text=_("File name of the source text in the seed corpus, if any."),
    )
    excerpt = models.TextField(_("excerpt"), max_length=1000, blank=True)
    language = models.CharField(_("language"), max_length=5, choices=Language, default=Language.FRENCH)
    reliability = models.CharField(
        _("reliability"), max_length=20, choices=Reliability, default=Reliability.CREDIBLE
    )
    visibility = models.CharField(
        _("visibility"), max_length=20, choices=Visibility, default=Visibility.PUBLIC
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Optimistic locking: bumped by every update (tracker.services.locking).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "pk"]
        verbose_name = _("evidence")
        # Its own msgid: French needs the plural ("preuves") where English does not.
        verbose_name_plural = pgettext_lazy("plural", "evidence")
        constraints = [
            models.CheckConstraint(
                condition=Q(file="") | ~Q(file_sha256=""), name="tracker_evidence_file_has_hash"
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=["public", "confidential"]),
                name="tracker_evidence_visibility_valid",
            ),
        ]
        indexes = [
            # Commitment page: a commitment's evidence by date.
            models.Index(fields=["commitment", "published_on"], name="tracker_evi_commitment_date"),
        ]

    def __str__(self) -> str:
        return f"{self.publisher}: {self.title}"

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC


class AssessmentQuerySet(models.QuerySet):
    def published(self):
        return self.filter(review_state=Assessment.ReviewState.PUBLISHED)

    def as_of(self, date):
        return self.filter(as_of__lte=date)

    def latest_first(self):
        return self.order_by("-as_of", "-published_at", "-pk")


class Assessment(DateRangeMixin, TimeStampedModel):
    """A dated verdict on one commitment. Append-only once published: a
    correction is a new assessment that supersedes the old one."""

    past_date_fields = ("as_of",)

    summary = Bilingual("summary")

    class ReviewState(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted for review")
        PUBLISHED = "published", _("published")
        RETURNED = "returned", _("returned to author")

    class DelayReason(models.TextChoices):
        NONE = "", _("none")
        FUNDING = "funding", _("funding")
        POLITICAL_WILL = "political_will", _("political will")
        INSECURITY = "insecurity", _("insecurity")
        CAPACITY = "capacity", _("capacity")
        DISPUTE = "dispute", _("dispute between parties")
        OTHER = "other", _("other")

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status)
    progress = models.PositiveSmallIntegerField(_("progress (%)"))
    as_of = models.DateField(_("as of"), help_text=_("The date the verdict describes."))
    as_of_precision = models.CharField(
        _("precision of the date"), max_length=10, choices=DatePrecision, default=DatePrecision.DAY
    )
    summary_fr = models.TextField(_("summary (French)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    delay_reason = models.CharField(
        _("reason for delay"), max_length=20, choices=DelayReason, blank=True, default=""
    )
    delay_note = models.TextField(_("note on the delay"), blank=True)
    blocking_party = models.ForeignKey(
        Institution,
        verbose_name=_("blocking party"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="blocked_assessments",
    )
    evidence = models.ManyToManyField(
        Evidence, verbose_name=_("evidence"), blank=True, related_name="assessments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="authored_assessments",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_assessments",
    )
    review_state = models.CharField(
        _("review state"), max_length=20, choices=ReviewState, default=ReviewState.DRAFT
    )
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    methodology_version = models.CharField(_("methodology version"), max_length=10, default=CURRENT_VERSION)
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("supersedes"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    history = M2MHistoricalRecords(m2m_fields=[evidence])  # tracker/models/history.py

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-as_of", "-pk"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        permissions = [
            ("review_assessment", _("Can publish or return assessments")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100),
                name="tracker_assessment_progress_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="tracker_assessment_status_valid"
            ),
            # Four eyes: the reviewer is never the author.
            models.CheckConstraint(
                condition=Q(reviewer__isnull=True) | ~Q(reviewer=models.F("author")),
                name="tracker_assessment_reviewer_not_author",
                violation_error_message=_("The reviewer cannot be the author."),
            ),
            models.CheckConstraint(
                condition=~Q(review_state="published")
                | (Q(reviewer__isnull=False) & Q(published_at__isnull=False)),
                name="tracker_assessment_published_has_reviewer",
            ),
            models.CheckConstraint(
                # Assessment.ReviewState and Assessment.DelayReason (not reachable
                # from Meta; tests/test_found_constraints.py keeps them in step).
                condition=Q(review_state__in=["draft", "submitted", "published", "returned"])
                & Q(
                    delay_reason__in=[
                        "",
                        "funding",
                        "political_will",
                        "insecurity",
                        "capacity",
                        "dispute",
                        "other",
                    ]
                ),
                name="tracker_assessment_states_valid",
            ),
            # A correction supersedes another assessment, never itself.
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(supersedes=models.F("pk")),
                name="tracker_assessment_not_own_supersede",
            ),
        ]
        indexes = [
            # Latest published assessment per commitment; time travel ("as of").
            models.Index(fields=["commitment", "review_state", "as_of"], name="tracker_ass_com_state_asof"),
            # "Status as of a date" (tracker.stats.with_status_as_of, time travel):
            # the latest published assessment of a commitment on or before a date.
            models.Index(
                "commitment",
                models.F("as_of").desc(),
                models.F("published_at").desc(),
                models.F("id").desc(),
                condition=Q(review_state="published"),
                name="tracker_ass_published_latest",
            ),
            # Review queue and latest changes.
            models.Index(fields=["review_state", "published_at"], name="tracker_ass_state_published"),
            # The dashboard's latest changes (tracker.stats.latest_changes: published,
            # latest first, optionally up to a date) and the trend's first published date.
            models.Index(
                models.F("as_of").desc(),
                models.F("published_at").desc(),
                models.F("id").desc(),
                condition=Q(review_state="published"),
                name="tracker_ass_published_recent",
            ),
        ]

    def date_errors(self, exclude=()) -> dict[str, list]:
        # Submitting and publishing validate only the fields they change
        # (review_state, published_at): the verdict's date is checked with
        # them, so an assessment written before the date rule (dated 2099)
        # cannot go out.
        if "review_state" not in exclude and self.review_state in (
            self.ReviewState.SUBMITTED,
            self.ReviewState.PUBLISHED,
        ):
            exclude = set(exclude) - {"as_of"}
        return super().date_errors(exclude)

    def __str__(self) -> str:
        # "PSIRC-2017-01 · Initiated · 20 November 2026" (the admin loads the commitment with it).
        when = format_partial_date(self.as_of, self.as_of_precision)
        return f"{self.commitment.reference} · {self.get_status_display()} · {when}"
