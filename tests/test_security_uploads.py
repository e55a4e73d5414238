# ruff: noqa: E501 - the table of bad files reads best one per line
"""Uploads: every bad file is refused with a clear message and leaves no
row and no file behind; good files are stored under random names and served
as sandboxed attachments, confidential ones to staff only."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from tests import factories
from tests.security_support import assert_security_headers, staff_login
from tracker.media import SANDBOX_CSP
from tracker.models import Evidence

# --- Well-formed files ---------------------------------------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_png(width: int = 1, height: int = 1, extra_chunks: bytes = b"", trailer: bytes = b"") -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00\x00" * height)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + extra_chunks
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
        + trailer
    )


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.pdf", b"\x00" * 20_000_000)  # 20 MB of zeros, ~20 KB compressed
    return buffer.getvalue()


def upload(name: str, content: bytes):
    return SimpleUploadedFile(name, content)


def raw_named(name: str, content: bytes):
    """A file whose name was not cleaned by Django's upload parser (as an
    import or an API decoding base64 could pass it)."""
    return File(io.BytesIO(content), name=name)


# (label, file factory, expected error code). Each is refused by content or name.
BAD_FILES = [
    ("empty file", lambda: upload("report.pdf", b""), "empty_file"),
    ("oversize file", lambda: upload("report.pdf", PDF + b"%" * 11 * 1024 * 1024), "file_too_large"),
    (
        "Windows executable renamed .pdf",
        lambda: upload("report.pdf", b"MZ\x90\x00" + b"\x00" * 200),
        "executable_refused",
    ),
    (
        "ELF executable renamed .pdf",
        lambda: upload("report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200),
        "executable_refused",
    ),
    (
        "shell script renamed .pdf",
        lambda: upload("report.pdf", b"#!/bin/sh\nrm -rf /\n"),
        "executable_refused",
    ),
    (
        "PNG/HTML polyglot (script in a text chunk)",
        lambda: upload(
            "photo.png", make_png(extra_chunks=png_chunk(b"tEXt", b"c\x00<script>alert(1)</script>"))
        ),
        "markup_refused",
    ),
    (
        "PNG with HTML after its end",
        lambda: upload("photo.png", make_png(trailer=b"<html><body>x</body></html>")),
        "markup_refused",
    ),
    (
        "PNG with data after its end",
        lambda: upload("photo.png", make_png(trailer=b"PAYLOAD-AFTER-IEND")),
        "trailing_data",
    ),
    (
        "PNG decompression bomb (100k x 100k)",
        lambda: upload("photo.png", make_png(100_000, 100_000)),
        "image_too_large",
    ),
    ("truncated PNG", lambda: upload("photo.png", make_png()[:40]), "damaged_image"),
    (
        "JPEG with HTML appended",
        lambda: upload("photo.jpg", JPEG + b"<script>alert(1)</script>"),
        "markup_refused",
    ),
    (
        "SVG with script",
        lambda: upload(
            "chart.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        ),
        "markup_refused",
    ),
    (
        "SVG renamed .png",
        lambda: upload("chart.png", b'<?xml version="1.0"?><svg onload="alert(1)"/>'),
        "markup_refused",
    ),
    (
        "HTML named x.pdf.html",
        lambda: upload("x.pdf.html", b"<!doctype html><script>alert(1)</script>"),
        "markup_refused",
    ),
    ("PDF content named x.pdf.html", lambda: upload("x.pdf.html", PDF), "name_type_mismatch"),
    ("HTML renamed .pdf", lambda: upload("report.pdf", b"<html><body onload=alert(1)>"), "markup_refused"),
    (
        "PDF with HTML in its first bytes",
        lambda: upload("r.pdf", b"%PDF-1.4\n<html><script>x</script>\n%%EOF"),
        "markup_refused",
    ),
    (
        "PDF with JavaScript",
        lambda: upload(
            "r.pdf", b"%PDF-1.4\n<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\n%%EOF"
        ),
        "active_pdf",
    ),
    (
        "PDF with a launch action",
        lambda: upload("r.pdf", b"%PDF-1.4\n<< /S /Launch /F (cmd.exe) >>\n%%EOF"),
        "active_pdf",
    ),
    ("zip bomb named .zip", lambda: upload("data.zip", zip_bomb()), "archive_refused"),
    ("zip bomb renamed .pdf", lambda: upload("report.pdf", zip_bomb()), "archive_refused"),
    (
        "gzip renamed .pdf",
        lambda: upload("report.pdf", b"\x1f\x8b\x08\x00" + b"\x00" * 64),
        "archive_refused",
    ),
    ("path traversal name", lambda: raw_named("../../../etc/cron.d/x.pdf", PDF), "bad_file_name"),
    ("Windows path traversal name", lambda: raw_named("..\\..\\boot.ini.pdf", PDF), "bad_file_name"),
    ("NUL in the name", lambda: raw_named("report.pdf\x00.html", PDF), "bad_file_name"),
    ("300-character name", lambda: upload("a" * 296 + ".pdf", PDF), "bad_file_name"),
    ("hidden-file name", lambda: raw_named(".htaccess.pdf", PDF), "bad_file_name"),
    ("plain text", lambda: upload("notes.pdf", b"just some text"), "bad_file_type"),
]


def stored_files() -> set[str]:
    root = Path(default_storage.location)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "make_file", "code"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_is_refused_and_leaves_nothing(commitment, editor, label, make_file, code):
    files_before, rows_before = stored_files(), Evidence.objects.count()
    with pytest.raises(ValidationError) as caught:
        factories.make_evidence(commitment, actor=editor, file=make_file())
    assert caught.value.error_dict["file"][0].code == code, label
    assert caught.value.message_dict["file"][0]  # a human-readable reason
    assert Evidence.objects.count() == rows_before
    assert stored_files() == files_before


def test_at_least_twelve_kinds_of_bad_file_are_covered():
    assert len(BAD_FILES) >= 12


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "suffix"),
    [
        ("r.pdf", PDF, ".pdf"),
        ("p.PNG", make_png(), ".png"),
        ("p.jpeg", JPEG, ".jpg"),
        ("p.jpg", JPEG, ".jpg"),
    ],
)
def test_good_files_are_stored_under_random_names(commitment, editor, name, content, suffix):
    evidence = factories.make_evidence(commitment, actor=editor, file=upload(name, content))
    assert evidence.file.name.startswith("evidence/") and evidence.file.name.endswith(suffix)
    assert Path(evidence.file.name).stem not in name and len(Path(evidence.file.name).stem) == 32
    assert len(evidence.file_sha256) == 64


@pytest.mark.django_db
def test_full_disk_gives_a_clear_error_and_no_row(commitment, editor, monkeypatch):
    def disk_full(self, name, content, max_length=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(default_storage._wrapped), "save", disk_full)
    files_before, rows_before = stored_files(), Evidence.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        factories.make_evidence(commitment, actor=editor, file=upload("r.pdf", PDF))
    assert caught.value.error_dict["file"][0].code == "storage_failed"
    assert "storage is full or unavailable" in caught.value.message_dict["file"][0]
    assert Evidence.objects.count() == rows_before
    assert stored_files() == files_before


@pytest.mark.django_db
def test_too_many_files_in_one_request_is_a_400_before_anything_is_read(settings):
    files = {
        f"file{i}": SimpleUploadedFile(f"r{i}.pdf", PDF)
        for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    }
    rows_before, files_before = Evidence.objects.count(), stored_files()
    response = Client().post("/admin/login/", files)
    assert response.status_code == 400
    assert Evidence.objects.count() == rows_before and stored_files() == files_before


@pytest.mark.django_db
def test_http_upload_names_are_neutralised_before_storage(commitment, editor):
    """Django's multipart parser strips paths and control characters; the
    stored name is random either way, so nothing can land outside evidence/."""
    client = staff_login(Client(), editor)
    response = client.get(f"/admin/tracker/evidence/add/?commitment={commitment.pk}")
    assert response.status_code == 200
    payload = {
        "commitment": commitment.pk,
        "kind": "news_report",
        "publisher": "P",
        "title": "T",
        "published_on_precision": "day",
        "language": "fr",
        "reliability": "credible",
        "visibility": "public",
        "file": SimpleUploadedFile("../../../../tmp/evil.pdf", PDF),
    }
    client.post("/admin/tracker/evidence/add/", payload)
    assert Evidence.objects.filter(title="T").exists()
    for evidence in Evidence.objects.exclude(file=""):
        assert evidence.file.name.startswith("evidence/") and ".." not in evidence.file.name
    assert not Path("/tmp/evil.pdf").exists()


@pytest.mark.django_db
def test_admin_shows_the_refusal_next_to_the_field_and_stores_nothing(commitment, editor):
    client = staff_login(Client(), editor)
    polyglot = make_png(extra_chunks=png_chunk(b"tEXt", b"c\x00<script>alert(1)</script>"))
    files_before, rows_before = stored_files(), Evidence.objects.count()
    response = client.post(
        "/admin/tracker/evidence/add/",
        {
            "commitment": commitment.pk,
            "kind": "news_report",
            "publisher": "P",
            "title": "Polyglot",
            "published_on_precision": "day",
            "language": "fr",
            "reliability": "credible",
            "visibility": "public",
            "file": SimpleUploadedFile("photo.png", polyglot),
        },
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 200  # the admin re-displays the form with the error
    assert "The file contains HTML or script and is refused." in response.text
    assert Evidence.objects.count() == rows_before and stored_files() == files_before


def _published_with_file(commitment, editor, visibility: str = "public"):
    evidence = factories.make_evidence(
        commitment, actor=editor, file=upload("r.pdf", PDF), visibility=visibility
    )
    factories.make_published_assessment(commitment, author=editor, evidence=[evidence])
    return evidence


@pytest.mark.django_db
def test_public_file_is_served_as_sandboxed_attachment(client, commitment, editor):
    evidence = _published_with_file(commitment, editor)
    response = client.get(f"/media/{evidence.file.name}", secure=True)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Security-Policy"] == SANDBOX_CSP
    assert_security_headers(response, sandbox=True)
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.django_db
def test_confidential_and_unreviewed_files_are_404_to_the_public_and_served_to_staff(commitment, editor):
    secret = _published_with_file(commitment, editor, visibility="confidential")
    unreviewed = factories.make_evidence(commitment, actor=editor, file=upload("u.pdf", PDF))
    anonymous = Client()
    for evidence in (secret, unreviewed):
        assert anonymous.get(f"/media/{evidence.file.name}").status_code == 404
    non_staff = factories.make_editor(is_staff=False)
    assert Client().get(f"/media/{secret.file.name}").status_code == 404
    outsider = Client()
    outsider.force_login(non_staff)
    assert outsider.get(f"/media/{secret.file.name}").status_code == 404
    staff = staff_login(Client(), editor)
    response = staff.get(f"/media/{secret.file.name}", secure=True)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["evidence/../../etc/passwd", "evidence/nope.pdf", "other/x.pdf", "%2e%2e/x"]
)
def test_unknown_or_traversal_media_paths_are_404(client, path):
    assert client.get(f"/media/{path}").status_code == 404


@pytest.mark.django_db
def test_media_view_query_count_is_constant(client, commitment, editor, django_assert_max_num_queries):
    evidence = _published_with_file(commitment, editor)
    with django_assert_max_num_queries(3):
        assert client.get(f"/media/{evidence.file.name}").status_code == 200
