"""Checks on uploaded evidence files: the type is read from the content,
never trusted from the name, and anything a browser could run is refused.

Accepted: PDF (without JavaScript, launch actions or embedded files), PNG and
JPEG (well-formed, nothing after the end of the image, no embedded markup,
at most `EVIDENCE_MAX_IMAGE_PIXELS` pixels). Everything else is refused with
a translated message naming the reason. Stored names are random
(`evidence_upload_to`), so the uploader's name never reaches the disk; it is
still checked because imports and the API may pass names Django has not
cleaned.
"""

from __future__ import annotations

import re
import struct
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Accepted types, recognised by their first bytes.
SIGNATURES = {
    b"%PDF-": ".pdf",
    b"\x89PNG\r\n\x1a\n": ".png",
    b"\xff\xd8\xff": ".jpg",
}
# Names the uploader may give each accepted type.
NAME_SUFFIXES = {".pdf": {".pdf"}, ".png": {".png"}, ".jpg": {".jpg", ".jpeg"}}
CONTENT_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg"}
MAX_NAME_LENGTH = 200
# Markup a browser would run if it ever sniffed the file as HTML or SVG.
_MARKUP = re.compile(
    rb"<\s*(script|html|body|iframe|frame|object|embed|svg[\s>/]|!doctype|\?xml|meta|form|img\s)"
    rb"|javascript:|\son[a-z]{3,20}\s*=",
    re.IGNORECASE,
)
# PDF features that run code or carry other files.
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)\b")
_KNOWN_BAD = (
    (b"PK\x03\x04", "archive"),
    (b"PK\x05\x06", "archive"),
    (b"Rar!", "archive"),
    (b"7z\xbc\xaf", "archive"),
    (b"\x1f\x8b", "archive"),
    (b"MZ", "executable"),
    (b"\x7fELF", "executable"),
    (b"\xcf\xfa\xed\xfe", "executable"),
    (b"#!", "executable"),
)


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError({"file": ValidationError(message, code=code)})


def check_upload_name(name: str) -> None:
    """Refuse names that could point outside the upload folder or confuse a
    file system or a browser."""
    if not name:
        raise _refuse(_("The file has no name."), "bad_file_name")
    if any(not ch.isprintable() for ch in name):
        raise _refuse(_("The file name contains control characters."), "bad_file_name")
    if "/" in name or "\\" in name or name.startswith(".") or ".." in name:
        raise _refuse(_("The file name must not contain a path."), "bad_file_name")
    if len(name) > MAX_NAME_LENGTH:
        raise _refuse(
            _("The file name is too long (at most %(n)s characters).") % {"n": MAX_NAME_LENGTH},
            "bad_file_name",
        )


def _read_all(upload: IO[bytes], limit: int) -> bytes:
    upload.seek(0)
    data = upload.read(limit + 1)
    upload.seek(0)
    return data


def _sniff_type(data: bytes) -> str:
    for magic, suffix in SIGNATURES.items():
        if data.startswith(magic):
            return suffix
    for magic, kind in _KNOWN_BAD:
        if data.startswith(magic):
            if kind == "archive":
                raise _refuse(
                    _("Archives (ZIP, RAR, 7z, gzip) are not accepted: upload the PDF or image itself."),
                    "archive_refused",
                )
            raise _refuse(_("Executable files are not accepted."), "executable_refused")
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise _refuse(_("HTML, SVG and XML files are not accepted."), "markup_refused")
    raise _refuse(_("Only PDF, PNG and JPEG files are accepted."), "bad_file_type")


def _check_png(data: bytes) -> None:
    offset, width, height, seen_end = 8, 0, 0, False
    while offset + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if kind == b"IHDR" and length >= 8:
            width, height = struct.unpack(">II", data[offset + 8 : offset + 16])
        offset += 12 + length
        if kind == b"IEND":
            seen_end = True
            break
    if not seen_end or width == 0:
        raise _refuse(_("The PNG image is damaged or incomplete."), "damaged_image")
    if data[offset:].strip(b"\x00"):
        raise _refuse(_("The image has extra data after its end."), "trailing_data")
    _check_pixels(width, height)


def _check_jpeg(data: bytes) -> None:
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise _refuse(_("The JPEG image is damaged or has extra data after its end."), "trailing_data")


def _check_pixels(width: int, height: int) -> None:
    if width * height > settings.EVIDENCE_MAX_IMAGE_PIXELS:
        raise _refuse(
            _("The image is too large (at most %(mp)s megapixels).")
            % {"mp": settings.EVIDENCE_MAX_IMAGE_PIXELS // 1_000_000},
            "image_too_large",
        )


def _check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-2048:]:
        raise _refuse(_("The PDF file is damaged or incomplete."), "damaged_pdf")
    if _PDF_ACTIVE.search(data):
        raise _refuse(
            _("PDF files with scripts, launch actions or embedded files are not accepted."),
            "active_pdf",
        )


def sniff_upload(upload) -> str:
    """The file's real type as an extension (".pdf", ".png", ".jpg"), or a
    ValidationError saying why the file is refused."""
    check_upload_name(upload.name or "")
    if upload.size == 0:
        raise _refuse(_("The file is empty."), "empty_file")
    limit = settings.EVIDENCE_MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise _refuse(
            _("The file is too large (at most %(mb)s MB).") % {"mb": limit // (1024 * 1024)},
            "file_too_large",
        )
    data = _read_all(upload, limit)
    if len(data) > limit:
        raise _refuse(
            _("The file is too large (at most %(mb)s MB).") % {"mb": limit // (1024 * 1024)},
            "file_too_large",
        )
    suffix = _sniff_type(data)
    given = "." + upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if given not in NAME_SUFFIXES[suffix]:
        raise _refuse(
            _("The file name must end in %(ext)s: its content is a %(kind)s file.")
            % {"ext": " / ".join(sorted(NAME_SUFFIXES[suffix])), "kind": suffix[1:].upper()},
            "name_type_mismatch",
        )
    # Browsers sniff the first bytes of a file: HTML there is never acceptable,
    # and images are scanned whole (text chunks can carry a script).
    scanned = data[:1024] if suffix == ".pdf" else data
    if _MARKUP.search(scanned):
        raise _refuse(_("The file contains HTML or script and is refused."), "markup_refused")
    {".pdf": _check_pdf, ".png": _check_png, ".jpg": _check_jpeg}[suffix](data)
    return suffix
