"""Backup and restore of the whole record: the database (Django's portable
XML dump, so a PostgreSQL backup restores into SQLite and back) and the
uploaded files, with a SHA-256 manifest that restore checks before writing
anything. Used by the `backup_data` and `restore_data` commands."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
from pathlib import Path

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _

# XML, not JSON: Django's JSON encoder cuts datetimes to milliseconds, the XML
# serializer keeps microseconds, so a restored record is identical.
DATA_FILE = "data.xml"
MANIFEST_FILE = "manifest.json"
MEDIA_DIR = "media"
FORMAT_VERSION = 1
# Rebuilt by `migrate` (content types, permissions), transient (sessions,
# the task queue's own tables) or derived from the record and recomputed on
# demand (the dashboard's stored trend: dumped apart from the assessments, it
# could hold figures of a publication the dump does not): never part of it.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "django_q", "insights"]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _storage_files(storage=default_storage, prefix: str = "") -> list[str]:
    try:
        dirs, files = storage.listdir(prefix)
    except FileNotFoundError:
        return []
    names = [f"{prefix}{name}" for name in files]
    for directory in dirs:
        names += _storage_files(storage, f"{prefix}{directory}/")
    return sorted(names)


def dump_database() -> str:
    out = io.StringIO()
    call_command(
        "dumpdata",
        "--natural-foreign",
        "--format=xml",
        "--indent=1",
        *[f"--exclude={label}" for label in EXCLUDED if _app_exists(label)],
        stdout=out,
    )
    return out.getvalue()


def _app_exists(label: str) -> bool:
    app_label = label.split(".")[0]
    return any(config.label == app_label for config in apps.get_app_configs())


def backup(target: Path) -> dict:
    """Write data.xml, media/ and manifest.json into `target` (a new directory)."""
    target.mkdir(parents=True, exist_ok=False)
    data = dump_database()
    (target / DATA_FILE).write_text(data, encoding="utf-8")
    files = {}
    for name in _storage_files():
        destination = target / MEDIA_DIR / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(name, "rb") as source, destination.open("wb") as out:
            shutil.copyfileobj(source, out)
        files[name] = sha256_file(destination)
    manifest = {
        "format": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "data_sha256": sha256_file(target / DATA_FILE),
        "objects": data.count("<object "),
        "files": files,
    }
    (target / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return manifest


def verify(source: Path) -> dict:
    """The manifest, after checking every hash; a ValidationError names the first problem."""
    try:
        manifest = json.loads((source / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(_("The backup has no readable manifest.json.")) from exc
    if manifest.get("format") != FORMAT_VERSION:
        raise ValidationError(_("Unknown backup format."))
    if sha256_file(source / DATA_FILE) != manifest["data_sha256"]:
        raise ValidationError(_("data.xml does not match its SHA-256 in the manifest."))
    media = (source / MEDIA_DIR).resolve()
    for name, expected in manifest["files"].items():
        path = (media / name).resolve()
        if not path.is_relative_to(media):
            raise ValidationError(_("The manifest names a file outside media/: %(name)s") % {"name": name})
        if not path.is_file() or sha256_file(path) != expected:
            raise ValidationError(_("%(name)s is missing or does not match its SHA-256.") % {"name": name})
    return manifest


def restore(source: Path) -> dict:
    """Load a verified backup into an empty (freshly migrated) database and storage."""
    manifest = verify(source)
    from tracker.models import Commitment

    if Commitment.objects.exists():
        raise ValidationError(_("The database already holds a record: restore into a new, empty database."))
    # History rows come from the backup itself: loading must not add new ones.
    with transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False):
        call_command("loaddata", str(source / DATA_FILE), verbosity=0)
    for name in manifest["files"]:
        with (source / MEDIA_DIR / name).open("rb") as handle:
            if default_storage.exists(name):
                default_storage.delete(name)
            stored = default_storage.save(name, File(handle))
        if stored != name:
            raise ValidationError(_("The storage renamed %(name)s.") % {"name": name})
    return manifest


def default_backup_dir(root: Path) -> Path:
    return root / f"backup-{dt.datetime.now(tz=dt.UTC):%Y%m%dT%H%M%SZ}"
