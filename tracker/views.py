"""Public pages (thin: validate the query string, call selectors/stats, render).

Bad query parameters (a malformed date, an unknown status, page=abc) give a
page that says what is wrong, with status 400; never a 500.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from tracker import methodology, public_forms, selectors, stats
from tracker.api.filters import CommitmentFilter
from tracker.models import Commitment
from tracker.pagecache import cached_page
from tracker.public_forms import AsOfForm, ChangesForm, DateInput
from tracker.querysets import search_terms

PAGE_SIZE = 25


class BadRequest(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _bad_request(request: HttpRequest, errors: list[str]) -> HttpResponse:
    return render(request, "tracker/bad_request.html", {"errors": errors}, status=400)


def _form_errors(form) -> list[str]:
    errors = []
    for name, messages in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        # The colon is in the translation: "As of: ..." in English, "Date : ..."
        # (no-break space) in French.
        errors += [
            _("%(label)s: %(message)s") % {"label": label, "message": m} if label else str(m)
            for m in messages
        ]
    return errors


def _as_of(request: HttpRequest) -> tuple[AsOfForm, dt.date | None]:
    form = AsOfForm(request.GET)
    if not form.is_valid():
        raise BadRequest(_form_errors(form))
    return form, form.cleaned_data["as_of"]


class KeysFirstPaginator(Paginator):
    """Beyond page 1, select the page's primary keys first (filter and sort
    only), then the full rows of those keys: the list's per-row subqueries
    (lead institution, child count, derived progress) then run for 25 rows,
    not for every row skipped by OFFSET (docs/performance.md)."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if bottom == 0:
            return super().page(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=keys)}
        return self._get_page([rows[key] for key in keys if key in rows], number, self)


class CappedCountPaginator(KeysFirstPaginator):
    """For searches: count the matches only up to `limit` (reading their keys
    from the search index). A common word matches about half the record, and
    counting every match was most of the search's time (54,146 matches at
    100k: 180-460 ms; up to 1,001: 9 ms).
    Past the limit the list says "more than 1,000" and pages through the first
    1,000 (in the chosen order); the CSV export still has every match."""

    limit = 1000

    @cached_property
    def count(self) -> int:
        keys = list(self.object_list.order_by().values_list("pk", flat=True)[: self.limit + 1])
        self.capped = len(keys) > self.limit
        if not self.capped:
            # Up to 1,000 matches: the page reads its rows by these keys. Sorted
            # and limited by itself, PostgreSQL may walk the reference index and
            # test every row against the search (a term matching 95 of 100,000
            # commitments: 23,875 rows read, 55-120 ms, instead of 95).
            self.object_list = self.object_list.filter(pk__in=keys)
        return min(len(keys), self.limit)


def _page(request: HttpRequest, queryset: QuerySet, size: int | None = None, paginator=Paginator):
    paginator = paginator(queryset, size or PAGE_SIZE)
    number = request.GET.get("page", "1")
    try:
        return paginator.page(number)
    except PageNotAnInteger as exc:
        raise BadRequest([_("The page number must be a whole number.")]) from exc
    except EmptyPage as exc:
        raise BadRequest(
            [
                _("There is no page %(number)s: the last page is %(last)s.")
                % {"number": number, "last": paginator.num_pages}
            ]
        ) from exc


def public_view(func):
    """Turn BadRequest into a 400 page. Public pages are read-only: GET and
    HEAD only, any other method is a 405 (require_safe)."""

    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return func(request, *args, **kwargs)
        except BadRequest as exc:
            return _bad_request(request, exc.errors)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return require_safe(wrapper)


def commitment_filterset(request: HttpRequest) -> CommitmentFilter:
    """The API's FilterSet on the public list's rows, status read as of the chosen date."""
    # Validate against the bare table; the annotated rows are built once, for the chosen date.
    filterset = CommitmentFilter(request.GET, queryset=Commitment.objects.all())
    if not filterset.is_valid():
        raise BadRequest(_form_errors(filterset.form))
    filterset.queryset = selectors.commitment_list_queryset(filterset.form.cleaned_data.get("as_of"))
    _public_widgets(filterset.form)
    return filterset


def _public_widgets(form) -> None:
    """Widgets for people without JavaScript (the API ignores widgets); the
    choice widgets are rendered in Python (public_forms.Select: same HTML)."""
    status = form.fields["status"]
    status.widget = public_forms.CheckboxSelectMultiple()
    status.widget.choices = status.choices
    for name in ("due_after", "due_before", "as_of"):
        form.fields[name].widget = DateInput()
    form.fields["q"].widget.input_type = "search"
    for name in ("overdue", "wps"):
        form.fields[name].widget = public_forms.Select(
            choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))]
        )
    form.fields["top_level"].widget = public_forms.Select(
        choices=[
            ("", _("Commitments and sub-commitments")),
            ("true", _("Top-level commitments only")),
            ("false", _("Sub-commitments only")),
        ]
    )
    # The empty choice says what it means ("---------" said nothing); read
    # when the options are rendered.
    form.fields["institution"].empty_label = _("All institutions")
    form.fields["region"].empty_label = _("All regions")
    for name in ("framework", "pillar"):
        public_forms.python_rendered(form.fields[name], public_forms.SelectMultiple)
    for name in ("institution", "region"):
        public_forms.python_rendered(form.fields[name], public_forms.Select)
    public_forms.python_rendered(form.fields["ordering"], public_forms.CSVSelect)
    ordering = form.fields["ordering"].widget
    choices = [choice for choice in ordering.choices if choice[0] != ""]
    ordering.choices = [("", _("Default order: reference (A–Z)")), *choices]


def _list_params() -> frozenset[str]:
    return frozenset(CommitmentFilter.base_filters) | {"page"}


@public_view
@cached_page(_list_params)
def commitment_list(request: HttpRequest) -> HttpResponse:
    filterset = commitment_filterset(request)
    for name, options in selectors.reference_options(filterset.form.fields).items():
        filterset.form.fields[name].widget.choices = options
    as_of = filterset.form.cleaned_data.get("as_of")
    searching = bool(search_terms(filterset.form.cleaned_data.get("q")))
    page = _page(request, filterset.qs, paginator=CappedCountPaginator if searching else KeysFirstPaginator)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "page": page,
        "commitments": page.object_list,
        "count_capped": getattr(page.paginator, "capped", False),
        "as_of": as_of,
        "today": as_of or stats.today(),
        "query": query.urlencode(),
        "filters_active": _filters_active(request, filterset.form),
    }
    return render(request, "tracker/commitment_list.html", context)


def _filters_active(request: HttpRequest, form) -> int:
    """How many filters other than the search box are set: the list's folded
    "more filters" part is open when any is (a reader sees what applies)."""
    return sum(1 for name in form.fields if name != "q" and any(request.GET.getlist(name)))


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = (
    "reference",
    "title_fr",
    "title_en",
    "framework",
    "pillar",
    "lead_institution",
    "status",
    "status_label",
    "progress",
    "status_as_of",
    "due_date",
    "overdue",
    "wps_marker",
    "parent",
    "url",
)


def _cell(value: object) -> object:
    # Spreadsheets run cells that start with these as formulas (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_lines(queryset: QuerySet, on: dt.date) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_HEADER)  # BOM: spreadsheets then read UTF-8
    for c in queryset.iterator(chunk_size=1000):
        overdue = bool(c.due_date and c.due_date < on and c.shown_status not in stats.FINISHED)
        row = (
            c.reference,
            c.title_fr,
            c.title_en,
            c.framework.code,
            c.pillar.slug,
            c.lead_name_fr or "",
            c.shown_status,
            methodology.Status(c.shown_status).label,
            c.shown_progress,
            c.shown_as_of.isoformat() if c.shown_as_of else "",
            c.due_date.isoformat() if c.due_date else "",
            "yes" if overdue else "no",
            "yes" if c.wps_marker else "no",
            c.parent_reference or "",
            settings.SITE_URL + c.get_absolute_url(),
        )
        yield writer.writerow([_cell(v) for v in row])


@public_view
def commitment_export(request: HttpRequest) -> StreamingHttpResponse:
    """CSV of exactly the filtered set, streamed (one query, read in chunks)."""
    filterset = commitment_filterset(request)
    as_of = filterset.form.cleaned_data.get("as_of")
    queryset = selectors.csv_rows_queryset(filterset.qs)
    response = StreamingHttpResponse(
        _csv_lines(queryset, as_of or stats.today()), content_type="text/csv; charset=utf-8"
    )
    name = f"commitments-{(as_of or timezone.localdate()).isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@public_view
@cached_page(frozenset({"as_of"}))
def commitment_detail(request: HttpRequest, reference: str) -> HttpResponse:
    form, as_of = _as_of(request)
    commitment = selectors.commitment_detail(reference, as_of)
    permalink = settings.SITE_URL + commitment.get_absolute_url()
    if as_of:
        permalink += f"?as_of={as_of.isoformat()}"
    context = {
        "form": form,
        "as_of": as_of,
        "commitment": commitment,
        "today": as_of or stats.today(),
        "consulted": stats.today(),
        "permalink": permalink,
    }
    return render(request, "tracker/commitment_detail.html", context)


SCOPE_PARAMS = frozenset({"as_of", "page"})


def _scope_page(request: HttpRequest, scope: selectors.Scope) -> HttpResponse:
    form, as_of = _as_of(request)
    rows = selectors.commitment_list_queryset(as_of).filter(pk__in=scope.commitments.values("pk"))
    page = _page(request, rows, paginator=KeysFirstPaginator)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "as_of": as_of,
        "scope": scope,
        "object": scope.object,
        "card": stats.scorecard(scope.commitments, as_of),
        "page": page,
        "commitments": page.object_list,
        "today": as_of or stats.today(),
        "query": query.urlencode(),
        "list_filter": f"{scope.kind}={getattr(scope.object, 'code', None) or scope.object.slug}",
    }
    return render(request, "tracker/scorecard_detail.html", context)


@public_view
@cached_page(SCOPE_PARAMS)
def framework_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _scope_page(request, selectors.framework_scope(code))


@public_view
@cached_page(SCOPE_PARAMS)
def pillar_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _scope_page(request, selectors.pillar_scope(slug))


@public_view
@cached_page(SCOPE_PARAMS)
def institution_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _scope_page(request, selectors.institution_scope(slug))


@public_view
@cached_page(SCOPE_PARAMS)
def region_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _scope_page(request, selectors.region_scope(slug))


@public_view
@cached_page(frozenset({"start", "end", "page"}))
def changes(request: HttpRequest) -> HttpResponse:
    """What changed between two dates: status at the start and at the end."""
    form = ChangesForm(request.GET)
    if not form.is_valid():
        raise BadRequest(_form_errors(form))
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    page = _page(request, stats.changes_between(start, end))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "start": start, "end": end, "page": page, "query": query.urlencode()}
    if not page.paginator.count:
        context["history"] = selectors.published_span(earliest=public_forms.EARLIEST)
    return render(request, "tracker/changes.html", context)


@require_safe
def methodology_page(request: HttpRequest) -> HttpResponse:
    versions = [
        {"number": number, "adopted_on": dt.date.fromisoformat(version["adopted"]), **version}
        for number, version in sorted(methodology.VERSIONS.items(), reverse=True)
    ]
    context = {"versions": versions, "current": methodology.CURRENT_VERSION}
    return render(request, "tracker/methodology.html", context)


@require_safe
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "tracker/about.html")


@require_safe
def api_intro(request: HttpRequest) -> HttpResponse:
    return render(request, "tracker/api_intro.html", {"site_url": settings.SITE_URL})
