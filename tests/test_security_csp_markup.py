"""The CSP forbids inline script and style (tests/test_security_config.py
checks the header); this checks the pages themselves: no page the
administrator or an anonymous reader can open carries markup the browser
would block or that would need `'unsafe-inline'` to work, and no asset from
another host. Pages: every URL without parameters and every parameterised
URL of the permission matrix's record (admin change, history and workflow
pages of every model, public pages by slug or reference)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.core.cache import cache

from tests.security_world import build_world
from tests.test_security_matrix import matrix_urls
from tests.test_security_permissions import parameterless_routes

# A <script> with one of these types is a data block: never executed, so the CSP does not apply.
DATA_BLOCK_TYPES = {"application/json", "application/ld+json"}
# <link> relations that make the browser fetch something.
LOADED_LINK_RELS = {"stylesheet", "icon", "preload", "modulepreload", "prefetch", "manifest"}


class InlineMarkupFinder(HTMLParser):
    """What `script-src 'self'` / `style-src 'self'` would block or what loads
    from another host: inline <script> and <style>, style and on* attributes,
    javascript: URLs, and scripts, styles or images from elsewhere."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._open_script: str | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        attrs = {k.lower(): v or "" for k, v in attrs}
        if tag == "script":
            kind = attrs.get("type", "").lower()
            if "src" not in attrs and kind not in DATA_BLOCK_TYPES:
                self._open_script = "inline <script>"
            self._remote(tag, attrs.get("src", ""))
        elif tag == "style":
            self.found.append("inline <style>")
        elif tag == "link":
            # canonical, alternate (feeds, languages) are links, not loads
            if set(attrs.get("rel", "").lower().split()) & LOADED_LINK_RELS:
                self._remote(tag, attrs.get("href", ""))
        elif tag in ("img", "iframe", "source", "video", "audio", "input"):
            self._remote(tag, attrs.get("src", ""))
        for name, value in attrs.items():
            if name == "style":
                self.found.append(f"<{tag} style={value!r}>")
            elif name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            elif name in ("href", "src", "action", "formaction") and value.strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        if self._open_script and data.strip():
            self.found.append(f"{self._open_script}: {data.strip()[:80]!r}")
            self._open_script = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open_script = None

    def _remote(self, tag: str, url: str) -> None:
        if url.strip().lower().startswith(("http:", "https:", "//")):
            self.found.append(f"<{tag}> from another host: {url}")


def inline_markup(html: str) -> list[str]:
    finder = InlineMarkupFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def html_of(response) -> str | None:
    if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
        return None
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        "<style>p{}</style>",
        '<p style="color:red">x</p>',
        '<button onclick="x()">x</button>',
        '<a href="javascript:x()">x</a>',
        '<script src="https://cdn.example/x.js"></script>',
        '<link rel="stylesheet" href="//cdn.example/x.css">',
        '<img src="https://tracker.example/pixel.gif" alt="">',
    ],
)
def test_the_finder_sees_what_the_csp_blocks(html):
    assert inline_markup(html)


def test_the_finder_accepts_what_the_csp_allows():
    page = (
        '<script src="/static/tracker/x.js"></script><script type="application/json">{"a": 1}</script>'
        '<link rel="stylesheet" href="/static/tracker/site.css"><img src="data:image/png;base64,AA" alt="">'
        '<a href="https://example.org/">outside link</a>'
        '<link rel="canonical" href="https://tracker.example/commitments/X/">'
        '<link rel="alternate" type="application/atom+xml" href="https://tracker.example/feed/">'
    )
    assert inline_markup(page) == []


@pytest.mark.django_db
def test_no_page_needs_inline_script_or_style(record_property):
    world = build_world()
    clients = world.clients()
    urls = {"/" + route for route in parameterless_routes()}
    urls |= {path for _route, _label, method, path in matrix_urls(world) if method == "GET" and path}
    checked, found = 0, {}
    for role in ("admin", "anonymous"):
        for url in sorted(urls):
            cache.clear()  # throttles
            html = html_of(clients[role].get(url))
            if html is None:
                continue
            checked += 1
            if problems := inline_markup(html):
                found[(role, url)] = problems[:3]
    record_property("html_pages_checked", checked)
    assert found == {}, "\n".join(f"{role} {url}: {problems}" for (role, url), problems in found.items())
    assert checked >= 150
