"""Query counts and output of the hot read paths and the publish path
(issue 8; docs/performance.md, "Changes by perf-web")."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from tests import factories as f
from tracker import services
from tracker.models import Assessment
from tracker.services.assessments import _save_constrained

pytestmark = pytest.mark.django_db

SKIPPED = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(SKIPPED)]


# --- publish path -------------------------------------------------------------------


def test_publish_runs_no_validation_queries(editor, reviewer, commitment):
    assessment = f.make_assessment(commitment, author=editor)
    services.assessment_submit(actor=editor, assessment=assessment)
    with CaptureQueriesContext(connection) as queries:
        services.assessment_publish(actor=reviewer, assessment=assessment)
    sql = statements(queries)
    # Was 26 statements (+ 10 savepoint statements): full_clean() re-read four
    # foreign keys and ran each CheckConstraint as a query in a savepoint.
    assert [s for s in sql if "_check" in s] == []
    # Then 19 (+ 2 savepoint pairs); 14 since 2026-12-03 (tests/test_perf_publish.py
    # pins each one): no search_document re-reads by simple-history, many-to-many
    # history copied in SQL, no SELECT before the trend's DELETE, no savepoint
    # for the status refresh, the webhook look-up folded into the status read.
    # (2 of the 14: the reviewer's permissions, read once per user object.)
    m2m_copies = 1 if connection.vendor == "postgresql" else 2  # the commitment's regions, related
    assert len(sql) == 13 + m2m_copies
    assert len(queries.captured_queries) == len(sql) + 2  # + the publication's own savepoint pair
    # 2 of them forget the dashboard's stored quarters from the assessment's
    # date on (tracker/insights/trend.py): the epoch bump and the DELETE.
    assert len([s for s in sql if "insights_trend" in s]) == 2
    assessment.refresh_from_db()
    commitment.refresh_from_db()
    assert assessment.review_state == "published" and assessment.reviewer == reviewer
    assert commitment.current_status == "in_progress" and commitment.status_as_of == assessment.as_of


def test_publish_constraint_violation_is_the_constraints_message(editor, commitment):
    """The database checks the four-eyes rule; the service reports it as
    full_clean() did: a ValidationError with the constraint's translated message."""
    assessment = f.make_assessment(commitment, author=editor)
    services.assessment_submit(actor=editor, assessment=assessment)
    assessment.review_state = Assessment.ReviewState.PUBLISHED
    assessment.reviewer = editor  # the author: refused by the database
    assessment.published_at = timezone.now()
    with translation.override("en"), pytest.raises(ValidationError) as exc, transaction.atomic():
        _save_constrained(assessment, ["review_state", "reviewer", "published_at", "updated_at"])
    assert exc.value.messages == ["The reviewer cannot be the author."]
    assessment.refresh_from_db()
    assert assessment.review_state == "submitted" and assessment.reviewer is None


# --- public list: filter form rendered in Python ------------------------------------------


def _django_rendered(bound_field) -> str:
    """The same widget rendered by Django's own templates (the reference)."""
    from django import forms
    from django_filters.widgets import BaseCSVWidget

    widget = bound_field.field.widget
    template_class = next(
        c for c in type(widget).__mro__ if c.__module__.startswith(("django.", "django_filters."))
    )
    if isinstance(widget, BaseCSVWidget):
        template_class = type("CSVSelect", (BaseCSVWidget, forms.Select), {})
    plain = template_class(attrs=widget.attrs)
    plain.choices, plain.is_required = widget.choices, widget.is_required
    return str(bound_field.as_widget(widget=plain))


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=in_progress&status=completed&framework={fw}&pillar={pillar}&institution={inst}"
        "&region={region}&overdue=true&wps=false&ordering=-progress",
        "ordering=title,-progress&framework={fw}",  # several orderings: the text-input surrogate
        "status=nonsense&framework=nope",  # invalid: re-rendered with the submitted values
    ],
)
def test_filter_form_renders_exactly_as_django_templates(rf, query):
    # A RequestFactory request goes through no middleware: the page's language
    # (French) is set here, not left to whichever test ran before.
    with translation.override("fr"):
        _check_filter_form_rendering(rf, query)


def _check_filter_form_rendering(rf, query):
    from tracker.views import BadRequest, commitment_filterset

    framework = f.make_framework(name_fr="Cadre « A & B » l'accord <1>")
    pillar, institution = f.make_pillar(), f.make_institution(name_fr='Institut "Q" & co')
    region = f.make_region(name="Ségou")
    query = query.format(fw=framework.code, pillar=pillar.slug, inst=institution.slug, region=region.slug)
    request = rf.get(f"/commitments/?{query}")
    try:
        form = commitment_filterset(request).form
    except BadRequest:
        from tracker.api.filters import CommitmentFilter
        from tracker.views import _public_widgets

        form = CommitmentFilter(request.GET).form
        form.is_valid()
        _public_widgets(form)
    for name in ("status", "framework", "pillar", "institution", "region", "overdue", "wps", "ordering"):
        ours = str(form[name])
        assert type(form.fields[name].widget).__module__ == "tracker.public_forms"
        assert ours == _django_rendered(form[name]), name
    assert "Cadre « A &amp; B » l&#x27;accord &lt;1&gt;" in str(form["framework"])


def test_filter_form_renders_without_widget_templates(client, django_assert_max_num_queries):
    """The ~140 options used to be ~140 template includes per request."""
    from django.test.signals import template_rendered

    f.make_public_record(2)
    rendered = []

    def collect(sender, template, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(collect)
    try:
        response = client.get("/commitments/?status=in_progress")
    finally:
        template_rendered.disconnect(collect)
    assert response.status_code == 200
    assert [name for name in rendered if name.startswith("django/forms/widgets/select")] == []
    assert [name for name in rendered if "checkbox" in name] == []


# --- public list: deep pages select keys first ------------------------------------------------


def test_deep_page_shows_the_same_rows_as_offset_paging():
    from django.core.paginator import Paginator

    from tracker import selectors
    from tracker.views import KeysFirstPaginator

    f.make_public_record(7)
    rows = selectors.commitment_list_queryset().order_by("-title_fr", "reference")
    pages = []
    for number in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            page = KeysFirstPaginator(rows, 3).page(number)
            shown = [(c.reference, c.lead_acronym, c.shown_status, c.child_count) for c in page]
        # page 1: count + rows; later pages: count + keys + the rows of those keys.
        assert len(statements(queries)) == (2 if number == 1 else 3), number
        expected = Paginator(rows, 3).page(number)
        assert shown == [(c.reference, c.lead_acronym, c.shown_status, c.child_count) for c in expected]
        pages.append(shown)
    assert [len(p) for p in pages] == [3, 3, 1]


# --- API: absolute URLs without reverse() per item --------------------------------------------


@pytest.mark.parametrize("value", ["LPS-2017-01", "a b", "été%20x", "x?y#z", "ü:@~"])
def test_url_for_is_reverse(value):
    from django.urls import reverse

    from tracker.api.serializers import absolute, url_for

    for name in ("api:commitment-detail", "tracker:commitment-detail"):
        assert url_for(name, value) == absolute(reverse(name, args=[value]))
