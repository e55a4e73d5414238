"""Backup and restore: a backup restored into a fresh database (in a separate
process, as an operator would) gives back the same data (the same dump, byte
for byte) and the same files (the same SHA-256 hashes); a damaged backup is
refused before anything is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation

from tests import factories
from tests.test_security_uploads import PDF, make_png
from tracker.backup import DATA_FILE, MANIFEST_FILE, MEDIA_DIR, sha256_file

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def own_media_root(settings, tmp_path):
    """A media root of this test's own: the backup copies every stored file,
    so files other tests left in the shared one must not count here."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def record(db):
    editor, reviewer = factories.make_editor(), factories.make_reviewer()
    commitments = [factories.make_commitment(actor=editor, title_fr=f"Engagement é{i}") for i in range(3)]
    for i, commitment in enumerate(commitments):
        evidence = factories.make_evidence(
            commitment, actor=editor, file=SimpleUploadedFile(f"r{i}.pdf", PDF + str(i).encode())
        )
        factories.make_evidence(
            commitment,
            actor=editor,
            visibility="confidential",
            file=SimpleUploadedFile("p.png", make_png(i + 1)),
        )
        factories.make_published_assessment(commitment, author=editor, reviewer=reviewer, evidence=[evidence])
    return commitments


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.mark.django_db
def test_restore_into_a_fresh_database_gives_identical_data_and_files(record, tmp_path, record_property):
    call_command("backup_data", "--output", str(tmp_path / "original"))
    manifest = json.loads((tmp_path / "original" / MANIFEST_FILE).read_text())
    record_property("objects", manifest["objects"])
    record_property("files", len(manifest["files"]))
    assert len(manifest["files"]) == 6 and manifest["objects"] > 20

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "fresh-media"),
        "DJANGO_SECRET_KEY": "restore-test-secret-key",
    }
    _run(["migrate", "--noinput", "-v0"], env)
    _run(["restore_data", str(tmp_path / "original")], env)
    _run(["backup_data", "--output", str(tmp_path / "roundtrip")], env)

    original, roundtrip = tmp_path / "original", tmp_path / "roundtrip"
    assert (original / DATA_FILE).read_bytes() == (roundtrip / DATA_FILE).read_bytes()
    again = json.loads((roundtrip / MANIFEST_FILE).read_text())
    assert again["files"] == manifest["files"] and again["data_sha256"] == manifest["data_sha256"]
    for name, digest in manifest["files"].items():
        assert sha256_file(tmp_path / "fresh-media" / name) == digest


@pytest.mark.django_db
def test_damaged_backup_is_refused_before_anything_is_written(record, tmp_path):
    call_command("backup_data", "--output", str(tmp_path / "b"))
    manifest = json.loads((tmp_path / "b" / MANIFEST_FILE).read_text())
    victim = tmp_path / "b" / MEDIA_DIR / next(iter(manifest["files"]))
    victim.write_bytes(victim.read_bytes() + b"tampered")
    with translation.override("en"), pytest.raises(CommandError, match="does not match its SHA-256"):
        call_command("restore_data", str(tmp_path / "b"), "--dry-run")


@pytest.mark.django_db
def test_restore_refuses_a_database_that_already_holds_a_record(record, tmp_path):
    call_command("backup_data", "--output", str(tmp_path / "b"))
    with translation.override("en"), pytest.raises(CommandError, match="restore into a new, empty database"):
        call_command("restore_data", str(tmp_path / "b"))


@pytest.mark.django_db
def test_tampered_data_dump_is_refused(record, tmp_path):
    call_command("backup_data", "--output", str(tmp_path / "b"))
    dump = tmp_path / "b" / DATA_FILE
    dump.write_text(dump.read_text().replace("Engagement é0", "Engagement falsifié"))
    with translation.override("en"), pytest.raises(CommandError, match="data.xml does not match"):
        call_command("restore_data", str(tmp_path / "b"), "--dry-run")


def test_the_stored_trend_is_not_backed_up(record, tmp_path):
    """The dashboard's stored quarters are derived from the record and recomputed
    on demand; dumped apart from the assessments they could restore figures of a
    publication the dump does not hold."""
    from tracker import stats
    from tracker.insights.models import TrendQuarter

    stats.dashboard_stats()  # stores the closed quarters
    assert TrendQuarter.objects.exists()
    call_command("backup_data", "--output", str(tmp_path / "b"))
    data = (tmp_path / "b" / DATA_FILE).read_text()
    assert 'model="tracker.assessment"' in data
    assert "insights." not in data
