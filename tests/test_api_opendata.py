"""Open-data dumps: the public record only, JSON and zipped CSV with README
and licence, downloadable from the API."""

import csv
import io
import json
import zipfile

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.management import call_command

from tests import factories as f
from tracker.partners import opendata

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean():
    cache.clear()
    for name in opendata.FILES.values():
        if default_storage.exists(f"{opendata.DIRECTORY}/{name}"):
            default_storage.delete(f"{opendata.DIRECTORY}/{name}")
    yield
    cache.clear()


@pytest.fixture
def record(db):
    editor = f.make_editor()
    c = f.make_commitment(actor=editor, reference="OD-1")
    public = f.make_evidence(c, actor=editor, title="Public report")
    secret = f.make_evidence(c, actor=editor, title="Secret memo", visibility="confidential")
    f.make_published_assessment(c, author=editor, evidence=[public, secret], summary_en="Published verdict")
    f.make_assessment(c, author=editor, summary_en="Unpublished draft")
    return c


def test_export_writes_the_public_record_as_json_and_csv(client, record):
    out = io.StringIO()
    call_command("export_open_data", stdout=out)
    assert "Open-data dumps published." in out.getvalue()
    index = client.get("/api/v1/open-data/").json()
    assert index["licence"] == "CC BY 4.0"
    assert {f["format"] for f in index["files"]} == {"json", "csv"}
    assert all(
        f["url"].endswith(f"/api/v1/open-data/{f['format']}/") and f["size"] > 0 for f in index["files"]
    )

    response = client.get("/api/v1/open-data/json/")
    assert response.status_code == 200
    assert 'filename="ssr-tracker-open-data.json"' in response["Content-Disposition"]
    data = json.loads(b"".join(response.streaming_content))
    assert [c["reference"] for c in data["commitments"]] == ["OD-1"]
    assert [a["summary_en"] for a in data["assessments"]] == ["Published verdict"]
    assert [e["title"] for e in data["evidence"]] == ["Public report"]
    assert "Secret memo" not in json.dumps(data) and "Unpublished draft" not in json.dumps(data)

    archive = zipfile.ZipFile(io.BytesIO(b"".join(client.get("/api/v1/open-data/csv/").streaming_content)))
    names = set(archive.namelist())
    assert {
        "commitments.csv",
        "assessments.csv",
        "evidence.csv",
        "measurements.csv",
        "README.txt",
        "LICENSE.txt",
    } <= names
    assert "Attribution 4.0 International" in archive.read("LICENSE.txt").decode()
    assert "CC BY 4.0" in archive.read("README.txt").decode()
    rows = list(csv.DictReader(io.StringIO(archive.read("commitments.csv").decode("utf-8-sig"))))
    assert rows[0]["reference"] == "OD-1" and rows[0]["framework"] == record.framework.code
    evidence_rows = list(csv.DictReader(io.StringIO(archive.read("evidence.csv").decode("utf-8-sig"))))
    assert [r["title"] for r in evidence_rows] == ["Public report"]


def test_download_before_any_export_is_404(client, db):
    assert client.get("/api/v1/open-data/").json()["files"] == []
    response = client.get("/api/v1/open-data/json/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/open-data/xml/").status_code == 404


def test_dry_run_publishes_nothing(db, record):
    out = io.StringIO()
    call_command("export_open_data", "--dry-run", stdout=out)
    assert "(not published)" in out.getvalue()
    assert opendata.available() == []


def test_install_schedule_rebuilds_the_dumps_and_they_follow_a_new_publication(db, record):
    from django.core.management.base import CommandError
    from django.utils.module_loading import import_string
    from django_q.models import Schedule

    call_command("export_open_data", "--install-schedule", "--every", "30", stdout=io.StringIO())
    call_command("export_open_data", "--install-schedule", stdout=io.StringIO())  # idempotent
    schedule = Schedule.objects.get(name="export_open_data")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 60, -1)
    assert opendata.available() == []
    import_string(schedule.func)()  # what the worker runs
    with default_storage.open(f"{opendata.DIRECTORY}/{opendata.FILES['json']}") as handle:
        assert [c["reference"] for c in json.load(handle)["commitments"]] == ["OD-1"]
    editor = f.make_editor()
    later = f.make_commitment(actor=editor, reference="OD-2")
    f.make_published_assessment(later, author=editor, evidence=[f.make_evidence(later, actor=editor)])
    import_string(schedule.func)()
    with default_storage.open(f"{opendata.DIRECTORY}/{opendata.FILES['json']}") as handle:
        assert [c["reference"] for c in json.load(handle)["commitments"]] == ["OD-1", "OD-2"]
    with pytest.raises(CommandError):
        call_command("export_open_data", "--install-schedule", "--every", "0", stdout=io.StringIO())


@pytest.mark.parametrize("n", [3, 9])
def test_export_query_count_does_not_grow_with_rows(db, django_assert_max_num_queries, n, tmp_path):
    editor = f.make_editor()
    for _ in range(n):
        c = f.make_commitment(actor=editor)
        f.make_published_assessment(c, author=editor)
    with django_assert_max_num_queries(20):
        opendata.build(tmp_path)
