"""Template helpers of the public commitment page (no queries).

The page's longest loop, the timeline of published assessments and their
evidence, is written by a tag rather than by template loops: the same markup
for a fraction of the time. tests/test_perf_detail.py compares the page byte
for byte with the template it replaces (tests/data/commitment_detail_before.html),
in French and in English, today and as of a date.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat, linebreaksbr
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from tracker.templatetags.tracker_public import _Writer, indicator_chart, lang_attr, partial_date

register = template.Library()


@lru_cache(maxsize=64)
def _labels(field, language: str | None) -> dict:
    """A choice field's labels in one language: what `get_<field>_display()`
    returns, without re-translating every label on every call."""
    return {value: str(label) for value, label in field.flatchoices}


def _display(obj, name: str) -> str:
    """`obj.get_<name>_display()` (the value itself when it is not a choice)."""
    value = getattr(obj, name)
    labels = _labels(obj._meta.get_field(name), get_language())
    return labels.get(value, value) if isinstance(value, str) else getattr(obj, f"get_{name}_display")()


def _words(write):
    """`word(msgid)`: the msgid translated and escaped, once per render."""
    words: dict[str, str] = {}

    def word(msgid: str) -> str:
        text = words.get(msgid)
        if text is None:
            text = words[msgid] = write(gettext(msgid))
        return text

    return word


@lru_cache(maxsize=1024)
def _date(value, precision: str, language: str | None) -> str:
    """`value|partial_date:precision`, formatted once per language."""
    return partial_date(value, precision)


@register.simple_tag(takes_context=True)
def assessment_timeline(context, assessments: list) -> SafeString:
    """`{% assessment_timeline c.published_assessments %}`: the items of the
    timeline (inside its `<ol>`), an item per published assessment with its
    public evidence, as the template loop wrote them."""
    write = _Writer(context)
    autoescape = context.autoescape
    if not assessments:
        return mark_safe(f"<li>{write(gettext('No published assessment yet.'))}</li>")  # noqa: S308  # nosec B308 B703
    language = get_language()
    word = _words(write)

    parts = []
    for a in assessments:
        parts.append(
            f'\n<li id="assessment-{write(a.pk)}"><h3>{write(_date(a.as_of, a.as_of_precision, language))} – '
            f'<span class="st st-{write(a.status)}">{write(_display(a, "status"))}</span> '
            f"{write(a.progress)}&nbsp;%</h3>\n"
        )
        summary = a.summary
        if summary:
            parts.append(f"<p>{linebreaksbr(summary, autoescape)}</p>")
        parts.append("\n")
        if a.delay_reason:
            parts.append(f"<p>{word('Reason for delay:')} {write(_display(a, 'delay_reason'))}")
            if a.blocking_party:
                parts.append(f" · {word('blocked by')} {write(a.blocking_party)}")
            parts.append("</p>")
        parts.append("\n")
        evidence = a.public_evidence
        if evidence:
            parts.append(f'<h4>{word("Evidence")}</h4><ul class="evidence">')
            for e in evidence:
                lang = write(lang_attr(e))
                title = write(e.title)
                parts.append(f"\n<li>{write(e.publisher)}, ")
                if e.url:
                    parts.append(f'<a href="{write(e.url)}" rel="noopener"{lang}>{title}</a>')
                else:
                    parts.append(f"<cite{lang}>{title}</cite>")
                parts.append(
                    f" ({write(_date(e.published_on, e.published_on_precision, language))}) – "
                    f"{write(_display(e, 'kind'))}, {write(_display(e, 'reliability'))}"
                )
                if e.file:
                    parts.append(f' · <a href="{write(e.file.url)}">{word("file")}</a>')
                parts.append("\n")
                if e.excerpt:
                    parts.append(f"<blockquote{lang}>{write(e.excerpt)}</blockquote>")
                parts.append("</li>")
            parts.append("</ul>")
        version = gettext("Methodology version %(v)s") % {"v": write(a.methodology_version)}
        parts.append(f'\n<p class="muted">{version}</p></li>\n')
    # Every value above went through `write` (escaped) or linebreaksbr (escaped).
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703


@register.simple_tag(takes_context=True)
def responsibility_items(context, responsibilities) -> SafeString:
    """`{% responsibility_items c.responsibilities.all %}`: the list items of
    the responsible institutions, each linked, with its role."""
    write = _Writer(context)
    parts = [
        f'<li><a href="{write(r.institution.get_absolute_url())}">{write(r.institution)}</a>'
        f" ({write(_display(r, 'role'))})</li>"
        for r in responsibilities
    ]
    # Every value above went through `write` (escaped).
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703


def _figure(write, value) -> str:
    """`{% if value is None %}–{% else %}{{ value|floatformat:"-2g" }}{% endif %}`"""
    return "–" if value is None else write(floatformat(value, "-2g"))


@register.simple_tag(takes_context=True)
def indicator_sections(context, indicators: list) -> SafeString:
    """`{% indicator_sections c.shown_indicators %}`: per indicator, its name,
    baseline, target and unit, its chart and its table of measurements (the
    evidence linked only when it is public), as the template loop wrote them."""
    write = _Writer(context)
    language = get_language()
    parts = []
    word = _words(write)

    for i in indicators:
        name = write(i.name)
        parts.append(f"<h3>{name}</h3>\n<p>{word('Baseline:')} {_figure(write, i.baseline_value)}")
        if i.baseline_date:
            parts.append(f" ({write(date_filter(i.baseline_date, 'Y'))})")
        parts.append(f" · {word('Target:')} {_figure(write, i.target_value)}")
        if i.target_date:
            parts.append(f" ({write(date_filter(i.target_date, 'Y'))})")
        parts.append(f" · {word('Unit:')} {write(_display(i, 'unit'))}</p>\n{indicator_chart(i)}\n")
        measurements = i.shown_measurements
        if measurements:
            split = i.disaggregated_by_sex
            parts.append(
                f'<div class="scroll"><table><caption class="vh">{name}</caption><thead><tr>'
                f'<th scope="col">{word("Date")}</th><th scope="col" class="num">{word("Value")}</th>'
            )
            if split:
                parts.append(
                    f'<th scope="col" class="num">{word("Women")}</th>'
                    f'<th scope="col" class="num">{word("Men")}</th>'
                )
            parts.append(f'<th scope="col">{word("Source")}</th></tr></thead>\n<tbody>')
            for m in measurements:
                parts.append(
                    f"<tr><td>{write(_date(m.measured_on, m.measured_on_precision, language))}</td>"
                    f'<td class="num">{write(floatformat(m.value, "-2g"))}</td>'
                )
                if split:
                    parts.append(
                        f'<td class="num">{_figure(write, m.value_women)}</td>'
                        f'<td class="num">{_figure(write, m.value_men)}</td>'
                    )
                parts.append("<td>")
                evidence = m.evidence
                if evidence:
                    if evidence.url:
                        parts.append(
                            f'<a href="{write(evidence.url)}" rel="noopener">{write(evidence.publisher)}</a>'
                        )
                    else:
                        parts.append(write(evidence.publisher))
                parts.append("</td></tr>")
            parts.append("</tbody></table></div>")
        parts.append("\n")
    # Every value above went through `write` (escaped); the charts are safe.
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703
