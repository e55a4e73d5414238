"""Helpers shared by the tests/test_security_*.py modules."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.urls import URLPattern, URLResolver, get_resolver

HSTS_MIN_SECONDS = 31_536_000


def iter_url_patterns(resolver: URLResolver | None = None, prefix: str = ""):
    """Every concrete URL pattern of the project as (route, name, pattern),
    found from the resolver so new URLs are covered without editing tests."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from iter_url_patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.name or "", entry


def assert_security_headers(response, *, no_store: bool = False, sandbox: bool = False) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {
        part.strip().split(" ")[0]: part.strip().split(" ")[1:] for part in csp.split(";") if part.strip()
    }
    assert directives.get("frame-ancestors") == ["'none'"], csp
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src, csp
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, csp
    if sandbox:
        assert "sandbox" in directives, csp
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    hsts = response.headers.get("Strict-Transport-Security", "")
    match = re.search(r"max-age=(\d+)", hsts)
    assert match and int(match.group(1)) >= HSTS_MIN_SECONDS, hsts
    assert "includeSubDomains" in hsts, hsts
    assert response.headers.get("Referrer-Policy") in {"same-origin", "no-referrer", "strict-origin"}
    if response.headers.get("Content-Type", "").startswith("text/html"):
        # Old browsers without CSP frame-ancestors (static files rely on CSP alone).
        assert response.headers.get("X-Frame-Options") == "DENY"
    if no_store:
        assert "no-store" in response.headers.get("Cache-Control", ""), response.headers


class ExecutableMarkupFinder(HTMLParser):
    """Collects anything in a page that a browser could execute: script
    elements, event-handler attributes, javascript:/data:/vbscript: URLs in
    link/src attributes, and embedded active content."""

    URL_ATTRS = {
        *("href", "src", "action", "formaction", "xlink:href"),
        *("data", "poster", "background", "srcset"),
    }
    ACTIVE_TAGS = {"script", "iframe", "object", "embed", "applet", "frame", "frameset", "base", "meta"}

    def __init__(self, allowed_script_srcs: tuple[str, ...] = ("/static/", "/admin/jsi18n/")) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.allowed_script_srcs = allowed_script_srcs

    def handle_starttag(self, tag: str, attrs) -> None:
        attrs = [(k.lower(), v or "") for k, v in attrs]
        names = {k for k, _ in attrs}
        if tag == "script":
            src = dict(attrs).get("src", "")
            if not src.startswith(self.allowed_script_srcs):
                self.found.append(f"<script {attrs}>")
        elif tag == "meta":
            if "http-equiv" in names:
                self.found.append(f"<meta {attrs}>")
        elif tag in self.ACTIVE_TAGS - {"script", "meta"}:
            self.found.append(f"<{tag} {attrs}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}={value!r}]")
            if name in self.URL_ATTRS:
                # As a browser parses a URL: leading/trailing C0 controls and
                # spaces are dropped, tabs and newlines removed anywhere.
                url = re.sub(r"[\t\n\r]", "", value.strip("".join(map(chr, range(33))))).lower()
                if re.match(r"(javascript|vbscript|data|livescript):", url) or (
                    name == "srcset" and "javascript:" in url
                ):
                    self.found.append(f"{tag}[{name}={value!r}]")
            if name == "style":
                compact = re.sub(r"\s+", "", value).lower()
                if "expression(" in compact or "url(" in compact or "javascript:" in compact:
                    self.found.append(f"{tag}[style={value!r}]")

    handle_startendtag = handle_starttag


def executable_markup(html: str) -> list[str]:
    finder = ExecutableMarkupFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def staff_login(client, user):
    """Log a staff member in as the admin requires (password and, once
    issue 6 has landed, a verified second factor)."""
    from tests import factories

    helper = getattr(factories, "login_staff", None)
    if helper is not None:
        return helper(client, user)
    client.force_login(user)
    return client
