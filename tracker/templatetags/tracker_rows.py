"""`{% commitment_table %}`: the table of commitments of the public list and
of the scope pages (framework, pillar, institution, region), written in
Python rather than by a template loop: 25 rows of about thirty values, links,
dates and filters each cost most of the page's rendering time as template
work. The markup is that of the template it replaces, byte for byte
(tests/data/commitment_table_reference.html; tests/test_perf_rows.py
compares both in French and English)."""

from __future__ import annotations

import re

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from tracker.templatetags.tracker_public import _Writer, is_overdue, partial_date, status_label

register = template.Library()

# reverse() leaves these characters as they are (no quoting, no "." path
# segment), and the paths' converters (str, slug) accept them: a link to
# such a value is the link to a placeholder with the value put in its place.
PLAIN = re.compile(r"[A-Za-z0-9_-]+")
PLACEHOLDER = "0rows0placeholder0"


class _Links:
    """`links(value)`: `reverse(name, args=[value])`, escaped; reversed once
    per table, the plain values (nearly all) put into the placeholder's link."""

    def __init__(self, name: str, write) -> None:
        self.name = name
        self.write = write
        self.prefix, _, self.suffix = reverse(name, args=[PLACEHOLDER]).partition(PLACEHOLDER)

    def __call__(self, value: str) -> str:
        if PLAIN.fullmatch(value):
            return self.write(f"{self.prefix}{value}{self.suffix}")
        return self.write(reverse(self.name, args=[value]))


@register.simple_tag(takes_context=True)
def commitment_table(context) -> SafeString:
    """The whole table (without the include's final newline) for the
    context's `commitments`, linked at the date looked back at (`as_of`),
    overdue on `today`; what tracker/includes/commitment_table.html wrote
    with a loop (values localized and escaped as `{{ }}` does)."""
    write = _Writer(context)
    commitments = context.get("commitments")
    as_of = context.get("as_of")
    today = context.get("today")
    query = f"?as_of={write(date_filter(as_of, 'Y-m-d'))}" if as_of else ""
    # The row labels, translated (and escaped) once per table.
    l_reference = write(gettext("Reference"))
    l_status = write(gettext("Status"))
    l_progress = write(gettext("Progress"))
    l_due = write(gettext("Due date"))
    l_lead = write(gettext("Lead institution"))
    l_wps = write(gettext("WPS"))
    l_overdue = write(gettext("overdue"))
    # The template's text had "%" doubled in the msgid ({% blocktranslate %}).
    sub_commitments = gettext("%(n)s sub-commitments: %(p)s %%")
    labels: dict = {}
    pillars: dict = {}
    # Commitment.get_absolute_url (the same reverse) and {% url
    # 'tracker:institution-detail' %}; tests/test_perf_rows.py compares them
    # with the old template's calls, a quoted reference included.
    commitment_url = _Links("tracker:commitment-detail", write)
    institution_url = _Links("tracker:institution-detail", write)
    parts = [
        '<div class="scroll"><table class="rows">\n'
        f'<caption class="vh">{write(gettext("Commitments"))}</caption>\n'
        f'<thead><tr><th scope="col">{l_reference}</th><th scope="col">{write(gettext("Commitment"))}</th>'
        f'<th scope="col">{l_status}</th><th scope="col" class="num">{l_progress}</th>'
        f'<th scope="col">{l_due}</th><th scope="col">{l_lead}</th></tr></thead>\n<tbody>'
    ]
    empty = True
    for c in commitments or ():
        empty = False
        status = c.shown_status
        label = labels.get(status)
        if label is None:
            label = labels[status] = write(status_label(status))
        wps = f" · {l_wps}" if c.wps_marker else ""
        pillar = pillars.get(c.pillar_id)
        if pillar is None:
            pillar = pillars[c.pillar_id] = write(c.pillar.name)
        if c.child_count:
            children = sub_commitments % {
                "n": write(c.child_count),
                "p": write(floatformat(c.derived_progress, 0)),
            }
            children = f'<br><span class="muted">{children}</span>'
        else:
            children = ""
        if c.due_date:
            due = write(partial_date(c.due_date, c.due_date_precision))
            if is_overdue(c, today):
                due += f' <strong class="overdue">{l_overdue}</strong>'
        else:
            due = "–"
        slug = getattr(c, "lead_slug", None)
        if slug:
            url = institution_url(slug)
            acronym = c.lead_acronym
            if acronym:
                name = f'<abbr title="{write(c.lead_name)}">{write(acronym)}</abbr>'
            else:
                name = write(c.lead_name or slug)
            lead = f'<a href="{url}">{name}</a>'
        else:
            lead = ""
        parts.append(
            f'\n<tr><td data-label="{l_reference}"><a href="{commitment_url(c.reference)}{query}">'
            f"{write(c.reference)}</a></td>\n"
            f'<td>{write(c.title)}<br><span class="muted">{write(c.framework.code)} · '
            f"{pillar}{wps}</span></td>\n"
            f'<td data-label="{l_status}"><span class="st st-{write(status)}">{label}</span></td>\n'
            f'<td data-label="{l_progress}" class="num">{write(c.shown_progress)} %{children}</td>\n'
            f'<td data-label="{l_due}">{due}</td>\n'
            f'<td data-label="{l_lead}">{lead}</td></tr>\n'
        )
    if empty:
        parts.append(f'<tr><td colspan="6">{write(gettext("No commitment matches."))}</td></tr>')
    parts.append("\n</tbody></table></div>")
    # Every value above went through `write` (escaped) or is a translation
    # written as the template wrote it.
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703
