"""The editors' admin. Every save goes through tracker.services (see forms.py);
the commitment's status and progress are read-only here: they follow the
latest published assessment."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from tracker import services
from tracker.models import (
    Assessment,
    Commitment,
    CommitmentInstitution,
    Evidence,
    Framework,
    Indicator,
    Institution,
    Measurement,
    Membership,
    Organisation,
    Pillar,
    Region,
)
from tracker.querysets import search_commitments
from tracker.services import permissions as scope

from .filters import OrganisationKindFilter, WrittenByFilter
from .forms import (
    AssessmentForm,
    CommitmentForm,
    EvidenceForm,
    FrameworkForm,
    IndicatorForm,
    InstitutionForm,
    MeasurementForm,
    MembershipForm,
    OrganisationForm,
    PillarForm,
    RegionForm,
    ReturnForm,
)
from .history import HistoryAdmin
from .imports import (
    CommitmentResource,
    EvidenceResource,
    ImportExportServiceMixin,
    IndicatorResource,
    InstitutionResource,
)
from .otp import TrackerAdminSite, TrackerOTPAuthenticationForm

# Two-factor authentication for every staff account: the admin's login asks
# for a TOTP code (or a recovery code) and every admin view needs a verified
# session (django-otp); an account with no device yet is sent to set one up.
admin.site.__class__ = TrackerAdminSite
admin.site.login_form = TrackerOTPAuthenticationForm
admin.site.login_template = "editorial/otp_login.html"
admin.site.site_header = _("SSR Commitment Tracker – editors")
admin.site.site_title = _("SSR Commitment Tracker")
admin.site.index_title = _("Record")
admin.site.index_template = "editorial/admin_index.html"


class ServiceAdmin(HistoryAdmin):
    """Gives the service form its user; deletions are not offered (history
    and published records refer to these rows)."""

    # The add page's title, e.g. _("New assessment"): Django builds "Add %s"
    # from the verbose name, which French renders "Ajout de évaluation".
    add_title = None

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def add_view(self, request, form_url="", extra_context=None):
        if self.add_title:
            extra_context = {"title": self.add_title, **(extra_context or {})}
        return super().add_view(request, form_url, extra_context)

    # Django's "Change %s", "View %s" and "Select %s to change" read
    # "Modification de évaluation" in French: the model's name as the title
    # (the record's name is the subtitle).
    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {"title": capfirst(self.model._meta.verbose_name), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": capfirst(self.model._meta.verbose_name_plural),
            "add_title": self.add_title,  # the "add" button (admin/change_list_object_tools.html)
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change) -> None:
        pass  # saved by the form's service call

    def save_related(self, request, form, formsets, change) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Pillar)
class PillarAdmin(ServiceAdmin):
    add_title = _("New pillar")
    form = PillarForm
    readonly_fields = ["version"]
    list_display = ["name_fr", "name_en", "slug", "order"]
    search_fields = ["name_fr", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(Region)
class RegionAdmin(ServiceAdmin):
    add_title = _("New region")
    form = RegionForm
    readonly_fields = ["version"]
    list_display = ["name", "kind", "slug"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Institution)
class InstitutionAdmin(ImportExportServiceMixin, ServiceAdmin):
    add_title = _("New institution")
    form = InstitutionForm
    resource_classes = [InstitutionResource]
    readonly_fields = ["version"]
    list_display = ["acronym", "name_fr", "name_en", "kind", "parent"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["acronym", "name_fr", "name_en", "slug"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["acronym"]}


@admin.register(Framework)
class FrameworkAdmin(ServiceAdmin):
    add_title = _("New framework")
    form = FrameworkForm
    readonly_fields = ["version"]
    list_display = ["code", "name_fr", "kind", "status", "period_start", "period_end", "issuing_body"]
    list_filter = ["kind", "status"]
    list_select_related = ["issuing_body"]
    search_fields = ["code", "name_fr", "name_en"]
    autocomplete_fields = ["issuing_body"]


class MembershipInline(ReadOnlyInline):
    """Members are added and moved on the membership page (through the
    services, version-checked); listed here."""

    model = Membership
    fields = ["user"]
    readonly_fields = fields


@admin.register(Organisation)
class OrganisationAdmin(ServiceAdmin):
    add_title = _("New organisation")
    form = OrganisationForm
    readonly_fields = ["version"]
    list_display = ["name", "kind", "slug"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    add_title = _("New membership")
    form = MembershipForm
    readonly_fields = ["version"]
    list_display = ["user", "organisation"]
    list_select_related = ["user", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["user__username", "user__email", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]


class AssessmentInline(ReadOnlyInline):
    model = Assessment
    fk_name = "commitment"
    fields = ["as_of", "status", "progress", "review_state", "author", "reviewer"]
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("author", "reviewer")
        return scope.assessments_visible_to(request.user, queryset)


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ["title", "publisher", "published_on", "visibility", "reliability"]
    readonly_fields = fields

    def get_queryset(self, request):
        return scope.evidence_visible_to(request.user, super().get_queryset(request))


class IndicatorInline(ReadOnlyInline):
    model = Indicator
    fields = ["key", "name_fr", "unit", "target_value"]
    readonly_fields = fields


class ResponsibilityInline(ReadOnlyInline):
    model = CommitmentInstitution
    fields = ["institution", "role"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Commitment)
class CommitmentAdmin(ImportExportServiceMixin, ServiceAdmin):
    add_title = _("New commitment")
    form = CommitmentForm
    resource_classes = [CommitmentResource]
    list_display = [
        "reference",
        "title_fr",
        "framework",
        "pillar",
        "current_status",
        "current_progress",
        "due_date",
        "wps_marker",
    ]
    list_filter = ["current_status", "framework", "pillar", "wps_marker"]
    list_select_related = ["framework", "pillar"]
    # 50 rows, not Django's 100: rendering the rows is ~2/3 of the page's CPU
    # (admin_list.items_for_result per cell; docs/performance.md, perf-web).
    list_per_page = 50
    # Shows the search box; the search itself is the public one (below).
    search_fields = ["reference", "title_fr", "title_en"]
    autocomplete_fields = ["framework", "pillar", "parent"]
    readonly_fields = ["current_status", "current_progress", "status_as_of", "version", "record_links"]

    def get_search_results(self, request, queryset, search_term):
        """The project's accent- and case-insensitive search over references,
        titles and descriptions (tracker.querysets), as on the public site:
        "segou" finds "Ségou". Also used by the commitment autocompletes."""
        return search_commitments(queryset, search_term), False

    inlines = [ResponsibilityInline, AssessmentInline, EvidenceInline, IndicatorInline]
    fieldsets = [
        (None, {"fields": ["reference", "framework", "pillar", "parent", "provision"]}),
        (_("Text"), {"fields": ["title_fr", "title_en", "description_fr", "description_en"]}),
        (
            _("Responsibility and scope"),
            {
                "fields": [
                    "lead_institution",
                    "supporting_institutions",
                    "regions_field",
                    "related_field",
                    "wps_marker",
                ]
            },
        ),
        (
            _("Dates and budget"),
            {
                "fields": [
                    "start_date",
                    "start_date_precision",
                    "due_date",
                    "due_date_precision",
                    "budget_amount",
                    "budget_currency",
                ]
            },
        ),
        (
            _("Current status (from the latest published assessment)"),
            {
                "fields": [
                    "current_status",
                    "current_progress",
                    "status_as_of",
                    "version",
                    "record_links",
                    "expected_version",
                ]
            },
        ),
    ]

    @admin.display(description=_("Add to the record"))
    def record_links(self, obj: Commitment) -> str:
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}?commitment={}">{}</a> · <a href="{}?commitment={}">{}</a> · '
            '<a href="{}?commitment={}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:tracker_evidence_add"),
            obj.pk,
            gettext("Add evidence"),
            reverse("admin:tracker_assessment_add"),
            obj.pk,
            gettext("Add an assessment"),
            reverse("admin:tracker_indicator_add"),
            obj.pk,
            gettext("Add an indicator"),
            obj.get_absolute_url(),
            gettext("View on the public site"),
            reverse("editorial:commitment-changelog", args=[obj.reference]),
            gettext("Public change log"),
        )


@admin.register(Evidence)
class EvidenceAdmin(ImportExportServiceMixin, ServiceAdmin):
    add_title = _("New evidence")
    form = EvidenceForm
    resource_classes = [EvidenceResource]
    list_display = ["title", "publisher", "published_on", "kind", "visibility", "reliability", "commitment"]
    list_filter = ["kind", "visibility", "reliability", "language"]
    list_select_related = ["commitment"]
    search_fields = ["title", "publisher", "commitment__reference", "key"]
    autocomplete_fields = ["commitment"]
    readonly_fields = ["file_sha256", "added_by", "organisation", "version"]

    def get_queryset(self, request):
        # Confidential evidence of another organisation is not even listed.
        return scope.evidence_visible_to(request.user, super().get_queryset(request))

    def has_view_permission(self, request, obj=None) -> bool:
        if obj is not None and not scope.can_see_evidence(request.user, obj):
            return False
        return super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and not scope.can_change_evidence(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def get_search_results(self, request, queryset, search_term):
        # ?commitment=<id> narrows the list to one commitment's evidence (the
        # pickers' own requests do not send it: they name each piece of
        # evidence by its commitment's reference, see autocomplete.py).
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        commitment = request.GET.get("commitment")
        if commitment and commitment.isdigit():
            queryset = queryset.filter(commitment_id=commitment)
        return queryset, may_have_duplicates


@admin.register(Assessment)
class AssessmentAdmin(ServiceAdmin):
    add_title = _("New assessment")
    form = AssessmentForm
    list_display = [
        "commitment",
        "as_of",
        "status",
        "progress",
        "review_state",
        "author",
        "reviewer",
        "published_at",
    ]
    list_filter = ["review_state", WrittenByFilter, OrganisationKindFilter, "status", "methodology_version"]
    list_select_related = ["commitment", "author", "reviewer"]
    search_fields = ["commitment__reference", "commitment__title_fr", "summary_fr", "summary_en"]
    autocomplete_fields = ["commitment", "blocking_party", "evidence", "supersedes"]
    readonly_fields = [
        "review_state",
        "author",
        "organisation",
        "reviewer",
        "review_comment",
        "submitted_at",
        "published_at",
        "methodology_version",
    ]
    change_form_template = "admin/tracker/assessment/change_form.html"

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.visible_evidence = list(scope.evidence_visible_to(request.user, obj.evidence.all()))
        return obj

    def history_scope(self, request, records):
        # Each version under the rule of the live record: a version written as a
        # draft or returned is private to the author's organisation, also once
        # the assessment is published (its wording before review is not public).
        return scope.assessments_visible_to(request.user, records)

    def get_fields(self, request, obj=None):
        # Read-only pages (submitted, published, someone else's draft) name only the
        # evidence this user may see: the read-only widget would print every title,
        # including another organisation's confidential sources.
        fields = [f for f in super().get_fields(request, obj) if f != "cited_evidence"]
        if obj is not None and not self.has_change_permission(request, obj):
            fields = ["cited_evidence" if f == "evidence" else f for f in fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "cited_evidence"]

    @admin.display(description=_("evidence"))
    def cited_evidence(self, obj: Assessment) -> str:
        cited = list(obj.evidence.all())
        visible = getattr(obj, "visible_evidence", None)
        if visible is None:  # an old version (history): public evidence only
            visible = [e for e in cited if e.visibility == Evidence.Visibility.PUBLIC]
        shown = [str(e) for e in cited if e in visible]
        hidden = len(cited) - len(shown)
        if hidden:
            shown.append(
                ngettext(
                    "%(n)d confidential piece of evidence of another organisation",
                    "%(n)d confidential pieces of evidence of another organisation",
                    hidden,
                )
                % {"n": hidden}
            )
        return "; ".join(shown) or "—"

    def get_queryset(self, request):
        # Drafts and returned assessments are private to the author's organisation.
        queryset = super().get_queryset(request).select_related("commitment", "author", "reviewer")
        return scope.assessments_visible_to(request.user, queryset)

    def has_view_permission(self, request, obj=None) -> bool:
        if obj is not None and not scope.can_see_assessment(request.user, obj):
            return False
        return super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and not scope.can_see_assessment(request.user, obj):
            return False
        if obj is not None and (
            obj.review_state not in (Assessment.ReviewState.DRAFT, Assessment.ReviewState.RETURNED)
            or obj.author_id != request.user.pk
        ):
            return False  # append-only once submitted; only the author edits a draft
        return super().has_change_permission(request, obj)

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/submit/",
                self.admin_site.admin_view(self.submit_view),
                name="tracker_assessment_submit",
            ),
            path(
                "<int:pk>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="tracker_assessment_publish",
            ),
            path(
                "<int:pk>/return/",
                self.admin_site.admin_view(self.return_view),
                name="tracker_assessment_return",
            ),
        ]
        return urls + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            user = request.user
            context["can_submit"] = obj.author_id == user.pk and obj.review_state in ("draft", "returned")
            context["can_review"] = (
                obj.review_state == "submitted"
                and obj.author_id != user.pk
                and user.has_perm("tracker.review_assessment")
            )
            context["return_form"] = ReturnForm()
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _workflow(self, request: HttpRequest, pk: int, action, success: str):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        assessment = get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            action(assessment)
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(request, text, messages.ERROR)
        else:
            self.message_user(request, success, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:tracker_assessment_change", args=[pk]))

    def submit_view(self, request: HttpRequest, pk: int):
        return self._workflow(
            request,
            pk,
            lambda a: services.assessment_submit(actor=request.user, assessment=a),
            gettext("The assessment was submitted for review."),
        )

    def publish_view(self, request: HttpRequest, pk: int):
        return self._workflow(
            request,
            pk,
            lambda a: services.assessment_publish(actor=request.user, assessment=a),
            gettext("The assessment was published; the commitment's status now follows it."),
        )

    def return_view(self, request: HttpRequest, pk: int):
        form = ReturnForm(request.POST or None)
        comment = form.data.get("comment", "") if form.is_bound else ""
        return self._workflow(
            request,
            pk,
            lambda a: services.assessment_return(actor=request.user, assessment=a, comment=comment),
            gettext("The assessment was returned to its author."),
        )


class MeasurementInline(ReadOnlyInline):
    model = Measurement
    fields = ["measured_on", "value", "value_women", "value_men", "evidence"]
    readonly_fields = fields


@admin.register(Indicator)
class IndicatorAdmin(ImportExportServiceMixin, ServiceAdmin):
    add_title = _("New indicator")
    form = IndicatorForm
    resource_classes = [IndicatorResource]
    readonly_fields = ["version"]
    list_display = [
        "key",
        "name_fr",
        "commitment",
        "unit",
        "baseline_value",
        "target_value",
        "n_measurements",
    ]
    list_filter = ["unit", "disaggregated_by_sex"]
    list_select_related = ["commitment"]
    search_fields = ["key", "name_fr", "name_en", "commitment__reference"]
    autocomplete_fields = ["commitment"]
    inlines = [MeasurementInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_n=Count("measurements"))

    @admin.display(description=_("measurements"), ordering="_n")
    def n_measurements(self, obj) -> int:
        return obj._n


@admin.register(Measurement)
class MeasurementAdmin(ServiceAdmin):
    add_title = _("New measurement")
    form = MeasurementForm
    list_display = ["indicator", "measured_on", "value", "value_women", "value_men"]
    list_select_related = ["indicator"]
    search_fields = ["indicator__key", "indicator__name_fr", "note"]
    autocomplete_fields = ["indicator", "evidence"]


class TrackerUserAdmin(UserAdmin):
    """People: disabling an account goes through services.user_deactivate,
    which ends all its sessions."""

    actions = ["deactivate_accounts"]

    # Administrators manage people and give them roles (groups); only a
    # superuser makes a superuser or hands out single permissions, and only a
    # superuser changes a superuser's account (or password): an Administrator
    # could otherwise tick "superuser status" on their own account.
    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions"]
        return fields

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    @admin.action(
        description=_("Disable the selected accounts and end their sessions"), permissions=["change"]
    )
    def deactivate_accounts(self, request, queryset):
        done = 0
        for user in queryset:
            try:
                services.user_deactivate(actor=request.user, user=user)
            except (ValidationError, PermissionDenied) as exc:
                text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(
                    request,
                    gettext("%(label)s: %(message)s") % {"label": user, "message": text},
                    messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                gettext("%(n)s account(s) disabled; their sessions ended.") % {"n": done},
                messages.SUCCESS,
            )


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, TrackerUserAdmin)

__all__ = ["TemplateResponse"]
