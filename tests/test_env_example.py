"""`.env.example` lists every environment variable the settings and the
gunicorn configuration read (issue 2: "lists every variable with its default")."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READ = re.compile(
    r"""(?:environ(?:\.get)?|env_[a-z]+)\(\s*["']([A-Z][A-Z0-9_]+)["']|environ\[["']([A-Z][A-Z0-9_]+)["']\]"""
)


def variables_read() -> set[str]:
    names = set()
    for path in ("config/settings.py", "config/gunicorn.conf.py"):
        for match in READ.finditer((ROOT / path).read_text()):
            names.add(match.group(1) or match.group(2))
    return names


def variables_listed() -> set[str]:
    listed = set()
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"\s*#?\s*([A-Z][A-Z0-9_]+)=", line)
        if match:
            listed.add(match.group(1))
    return listed


def test_the_scan_finds_the_settings_variables():
    # Guards the pattern itself: these are read by config/settings.py.
    assert {"DATABASE_URL", "DJANGO_SECRET_KEY", "REDIS_URL", "WEB_CONCURRENCY"} <= variables_read()


def test_env_example_lists_every_variable_read():
    missing = sorted(variables_read() - variables_listed())
    assert missing == [], f".env.example does not list: {missing}"
