"""Open-data dumps: the whole public record as one JSON file and as a zip of
CSV files with a README and the licence. Written by `export_open_data` to the
default storage (local media, or S3 when configured, so every app server
serves the same files); served by /api/v1/open-data/<format>/."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_TEXT = Path(__file__).with_name("data") / "CC-BY-4.0.txt"
DIRECTORY = "open-data"
FILES = {"json": "ssr-tracker-open-data.json", "csv": "ssr-tracker-open-data-csv.zip"}
CHUNK = 2000
# Nested objects become their identifier in CSV cells; lists are joined by ";".
ID_KEYS = ("reference", "slug", "code", "key", "id")


def _resources() -> list[tuple[str, object, type]]:
    from tracker.api import selectors
    from tracker.api import serializers as s

    return [
        ("commitments", selectors.commitments().order_by("reference"), s.CommitmentListSerializer),
        ("assessments", selectors.assessments().order_by("pk"), s.AssessmentSerializer),
        ("evidence", selectors.evidence().order_by("pk"), s.EvidenceSerializer),
        ("indicators", selectors.indicators().order_by("key"), s.IndicatorSerializer),
        ("institutions", selectors.institutions().order_by("slug"), s.InstitutionSerializer),
        ("frameworks", selectors.frameworks().order_by("code"), s.FrameworkSerializer),
        ("pillars", selectors.pillars().order_by("order", "slug"), s.PillarSerializer),
        ("regions", selectors.regions().order_by("slug"), s.RegionSerializer),
    ]


def _rows(queryset, serializer_class) -> Iterator[dict]:
    # iterator() with prefetching in chunks: memory stays flat on a large record.
    for obj in queryset.iterator(chunk_size=CHUNK):
        yield serializer_class(obj).data


def _cell(value: object) -> object:
    if isinstance(value, dict):
        return next((value[k] for k in ID_KEYS if k in value), json.dumps(value, cls=DjangoJSONEncoder))
    if isinstance(value, list):
        return ";".join(str(_cell(v)) for v in value)
    return "" if value is None else value


def _csv_bytes(rows: Iterable[dict]) -> bytes:
    buffer = io.StringIO()
    writer = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(buffer, fieldnames=list(row))
            writer.writeheader()
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buffer.getvalue().encode("utf-8-sig")  # BOM: spreadsheets read UTF-8 correctly


def _measurement_rows(indicators: list[dict]) -> Iterator[dict]:
    for indicator in indicators:
        for measurement in indicator["measurements"]:
            yield {"indicator": indicator["key"], **measurement}


README = """SSR Commitment Tracker – open data
==================================

Generated: {generated_at}
Source: {site}
Licence: {licence} ({licence_url}); full text in LICENSE.txt.
Cite as: "SSR Commitment Tracker, {site}, data of {date}".

The public record only: published assessments, and evidence that is public
and cited by a published assessment. One CSV file per resource, UTF-8 with
a byte-order mark, comma-separated. Columns are the fields of the API
(docs: {site}/api/docs/): a nested object is given by its identifier
(reference code, slug, code or id); a list by identifiers joined with ";".

- commitments.csv  one row per commitment (reference code is the stable id)
- assessments.csv  published assessments (dated verdicts), with evidence ids
- evidence.csv     public evidence
- indicators.csv   indicators; measurements.csv their dated values
- institutions.csv, frameworks.csv, pillars.csv, regions.csv  reference data

Statuses follow the tracker's methodology: not_started, initiated,
in_progress, nearly_complete, completed (levels), stalled, abandoned, unclear.
"""


def build(directory: Path) -> dict[str, Path]:
    """Write both dumps into `directory`; returns their paths by format."""
    generated_at = timezone.now()
    record: dict[str, object] = {
        "generated_at": generated_at.isoformat(),
        "source": settings.SITE_URL,
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
    }
    for name, queryset, serializer_class in _resources():
        record[name] = list(_rows(queryset, serializer_class))
    json_path = directory / FILES["json"]
    with json_path.open("w", encoding="utf-8") as handle:
        json.dump(record, handle, cls=DjangoJSONEncoder, ensure_ascii=False)
    zip_path = directory / FILES["csv"]
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, *_ in _resources():
            archive.writestr(f"{name}.csv", _csv_bytes(record[name]))
        archive.writestr("measurements.csv", _csv_bytes(_measurement_rows(record["indicators"])))
        archive.writestr(
            "README.txt",
            README.format(
                generated_at=generated_at.isoformat(),
                site=settings.SITE_URL,
                licence=LICENCE,
                licence_url=LICENCE_URL,
                date=generated_at.date().isoformat(),
            ),
        )
        archive.writestr("LICENSE.txt", LICENCE_TEXT.read_text(encoding="utf-8"))
    return {"json": json_path, "csv": zip_path}


def export() -> list[str]:
    """Build the dumps and replace the published copies in the storage."""
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, path in build(Path(tmp)).items():
            name = f"{DIRECTORY}/{FILES[fmt]}"
            if default_storage.exists(name):
                default_storage.delete(name)
            with path.open("rb") as handle:
                written.append(default_storage.save(name, File(handle, name=FILES[fmt])))
    return written


def available() -> list[dict]:
    files = []
    for fmt, filename in FILES.items():
        name = f"{DIRECTORY}/{filename}"
        if default_storage.exists(name):
            files.append(
                {
                    "format": fmt,
                    "size": default_storage.size(name),
                    "generated_at": default_storage.get_modified_time(name),
                }
            )
    return files


def open_latest(fmt: str):
    """(open file, download name) of the latest dump in `fmt`, or None."""
    filename = FILES.get(fmt)
    if filename is None or not default_storage.exists(f"{DIRECTORY}/{filename}"):
        return None
    return default_storage.open(f"{DIRECTORY}/{filename}", "rb"), filename
