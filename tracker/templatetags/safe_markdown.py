"""`{% load safe_markdown %}{{ text|markdown_safe }}`: Markdown rendered, then
sanitised (tracker/sanitize.py). Use it for every rich-text field readers see."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from tracker.sanitize import render_markdown

register = template.Library()


@register.filter(name="markdown_safe", is_safe=True)
def markdown_safe(value: object) -> SafeString:
    # mark_safe is sound here: render_markdown's output went through nh3 with
    # an allow-list of tags, attributes and URL schemes.
    return mark_safe(render_markdown("" if value is None else str(value)))  # nosec B308 B703
