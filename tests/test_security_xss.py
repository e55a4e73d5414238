"""Hostile input: no executable markup survives in any rendered field, with
>= 200 known XSS payloads and >= 1,000 generated ones, on the public pages
and the admin change pages; rich text is rendered then sanitised."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.security_support import executable_markup
from tests.xss_harness import SLOTS_PER_RECORD, build_hostile_record, known_payloads, surviving_markup
from tracker.sanitize import render_markdown

KNOWN = known_payloads()
GENERATED_PAGE_EXAMPLES = 10  # x SLOTS_PER_RECORD payloads each
GENERATED_SANITISER_EXAMPLES = 1000

# --- A grammar of XSS vectors -------------------------------------------------------

TAGS = [
    "script",
    "img",
    "svg",
    "iframe",
    "a",
    "body",
    "div",
    "math",
    "object",
    "embed",
    "input",
    "details",
    "video",
    "audio",
    "style",
    "link",
    "meta",
    "base",
    "form",
    "button",
    "x",
    "p",
    "table",
]
EVENTS = [
    "onerror",
    "onload",
    "onclick",
    "onmouseover",
    "onfocus",
    "ontoggle",
    "onbegin",
    "onanimationstart",
    "onpointerenter",
    "onauxclick",
    "OnErRoR",
    "onLoad",
]
URL_ATTRS = ["href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "background", "poster"]
SCHEMES = [
    "javascript:",
    "JaVaScRiPt:",
    "java\tscript:",
    "java&#x09;script:",
    "&#106;avascript:",
    " javascript:",
    "javascript&colon;",
    "vbscript:",
    "data:text/html,",
    "data:image/svg+xml;base64,",
]
BREAKERS = ["", '">', "'>", "</title>", "</script>", "-->", "</textarea>", "`", "]]>", "</style>", "\">'<"]
CODE = ["alert(1)", "alert`1`", "eval(atob('YWxlcnQoMSk='))", "top['al'+'ert'](1)", "fetch('//evil.example')"]

tags = st.sampled_from(TAGS).map(lambda t: "".join(c.upper() if i % 2 else c for i, c in enumerate(t)))
quote = st.sampled_from(['"', "'", "", "`"])
event_attr = st.builds(
    lambda e, q, c: f"{e}={q}{c}{q}", st.sampled_from(EVENTS), quote, st.sampled_from(CODE)
)
url_attr = st.builds(
    lambda a, q, s, c: f"{a}={q}{s}{c}{q}",
    st.sampled_from(URL_ATTRS),
    quote,
    st.sampled_from(SCHEMES),
    st.sampled_from(CODE),
)
separator = st.sampled_from([" ", "/", "\t", "\n", " /"])
element = st.builds(
    lambda b, t, sep, attrs, body: f"{b}<{t}{sep}{' '.join(attrs)}>{body}</{t}>",
    st.sampled_from(BREAKERS),
    tags,
    separator,
    st.lists(st.one_of(event_attr, url_attr), min_size=1, max_size=3),
    st.sampled_from(["", "x", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]),
)
markdown_link = st.builds(
    lambda bang, s, c, title: f"{bang}[x]({s}{c}{title})",
    st.sampled_from(["", "!"]),
    st.sampled_from(SCHEMES),
    st.sampled_from(CODE),
    st.sampled_from(["", ' "t"', ' "onerror=alert(1)"']),
)
# No NUL: every input boundary refuses it (Django's and DRF's CharField validate
# against null characters) and PostgreSQL cannot store it in a text column.
noise = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"),
    max_size=40,
)
xss_payload = st.builds(
    lambda parts: "".join(parts),
    st.lists(
        st.one_of(element, markdown_link, url_attr, event_attr, noise, st.sampled_from(KNOWN)),
        min_size=1,
        max_size=4,
    ),
)


# --- The sanitiser ----------------------------------------------------------------


@settings(
    max_examples=GENERATED_SANITISER_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=xss_payload)
def test_markdown_sanitiser_never_emits_executable_markup(text):
    html = render_markdown(text)
    assert executable_markup(html) == [], (text, html)
    assert "<img" not in html.lower()  # no remote (or any) images


@pytest.mark.parametrize("payload", KNOWN)
def test_markdown_filter_neutralises_known_payload(payload):
    html = Template("{% load safe_markdown %}<div>{{ text|markdown_safe }}</div>").render(
        Context({"text": payload})
    )
    assert executable_markup(html) == [], (payload, html)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**bold** and _it_", "<p><strong>bold</strong> and <em>it</em></p>"),
        (
            "[site](https://example.org)",
            '<a href="https://example.org" rel="nofollow noopener noreferrer">site</a>',
        ),
        ("[x](javascript:alert(1))", '<a rel="nofollow noopener noreferrer">x</a>'),
        ("[x](data:text/html,hi)", '<a rel="nofollow noopener noreferrer">x</a>'),
        ("![tracker](https://evil.example/p.png)", "<p></p>"),
        ("<script>alert(1)</script>ok", "<p>ok</p>"),
        ("<b onclick=alert(1)>b</b>", "<p><b>b</b></p>"),
    ],
)
def test_markdown_keeps_formatting_and_drops_the_rest(source, expected):
    assert expected in render_markdown(source)


def test_markdown_filter_handles_empty_values():
    assert Template("{% load safe_markdown %}{{ v|markdown_safe }}").render(Context({"v": None})) == ""


def test_there_are_at_least_200_known_payloads():
    assert len(KNOWN) >= 200


# --- Every rendered field, on real pages ----------------------------------------------


@pytest.fixture
def people(db):
    return factories.make_editor(), factories.make_reviewer()


BATCHES = [KNOWN[i : i + SLOTS_PER_RECORD] for i in range(0, len(KNOWN), SLOTS_PER_RECORD)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "batch", BATCHES, ids=[f"payloads-{i * SLOTS_PER_RECORD}" for i in range(len(BATCHES))]
)
def test_known_payloads_do_not_survive_on_public_or_admin_pages(people, batch):
    editor, reviewer = people
    record = build_hostile_record(batch, editor, reviewer)
    assert surviving_markup(record, editor) == {}


@pytest.mark.django_db
def test_generated_payloads_do_not_survive_on_public_or_admin_pages(people, record_property):
    editor, reviewer = people
    tried: list[str] = []

    @settings(
        max_examples=GENERATED_PAGE_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(payloads=st.lists(xss_payload, min_size=SLOTS_PER_RECORD, max_size=SLOTS_PER_RECORD))
    def check(payloads):
        tried.extend(payloads)
        record = build_hostile_record(payloads, editor, reviewer)
        language = ("fr",) if len(tried) // SLOTS_PER_RECORD % 2 else ("en",)
        assert surviving_markup(record, editor, languages=language) == {}

    check()
    record_property("generated_payloads", len(tried))
    assert len(tried) >= 1000


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="  JaVa&#x09;ScRiPt:alert(1)">x</a>',
        '<a href="data:text/html,x">x</a>',
        '<iframe srcdoc="x"></iframe>',
        '<div style="background:url(javascript:alert(1))">',
        '<svg><animate onbegin="alert(1)"/></svg>',
    ],
)
def test_the_detector_finds_executable_markup(html):
    # Guards the guard: if the detector went blind, every test above would pass.
    assert executable_markup(html)
    unsafe = Template("{{ v|safe }}").render(Context({"v": html}))
    assert executable_markup(unsafe)
