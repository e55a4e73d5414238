"""Rich text: Markdown rendered to HTML, then sanitised with nh3 (ammonia).

Whatever an editor, an import or a partner types, the result can hold only
text formatting and links: no script or style, no event-handler or style
attributes, no `javascript:`/`data:`/`vbscript:` URLs (only http, https and
mailto, or relative links), no images at all (so no remote image can track
readers), no frames, forms or embeds. Links get rel="nofollow noopener
noreferrer". Sanitising runs after rendering, so Markdown cannot be used to
produce markup the sanitiser would not see.
"""

from __future__ import annotations

import markdown
import nh3

ALLOWED_TAGS = frozenset(
    {
        *("p", "br", "hr", "strong", "em", "b", "i", "u", "s", "sub", "sup", "small"),
        *("ul", "ol", "li", "blockquote", "code", "pre", "abbr", "q", "cite"),
        *("h3", "h4", "h5", "h6", "a"),
        *("table", "thead", "tbody", "tr", "th", "td"),
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}, "td": set()}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Removed with their content, not just their tags.
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "template", "iframe", "object", "noscript", "svg", "math"}
)
MAX_INPUT_CHARS = 100_000


def render_markdown(text: str | None) -> str:
    """Safe HTML for `text` (Markdown). Never raises on odd input."""
    if not text:
        return ""
    html = markdown.markdown(str(text)[:MAX_INPUT_CHARS], extensions=["sane_lists"], output_format="html")
    return sanitize_html(html)


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
