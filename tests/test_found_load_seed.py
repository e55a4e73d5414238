"""load_seed: --dry-run writes nothing; a bad file is refused whole (fixtures/FORMAT.md)."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from tracker.models import Framework, Pillar

pytestmark = pytest.mark.django_db

REFERENCE = """
pillars:
  - slug: defence
    order: 1
    name: {fr: "Défense", en: "Defence"}
frameworks:
  - code: TEST-2015
    name: {fr: "Cadre", en: "Framework"}
    kind: policy
    issuing_body: null
    adopted_on: "%s"
    period_start: "2015"
    period_end: "2019"
    status: expired
    source: 001_a7622d8b73b5fe19.txt
"""


def test_dry_run_reports_what_it_would_write_and_writes_nothing(tmp_path):
    path = tmp_path / "reference.yaml"
    path.write_text(REFERENCE % "2015", encoding="utf-8")
    out = StringIO()
    call_command("load_seed", str(path), "--dry-run", stdout=out)
    assert (
        "Dry run, nothing was written. Would write from 1 file(s): 1 framework, 1 pillar." in out.getvalue()
    )
    assert Pillar.objects.count() == 0 and Framework.objects.count() == 0
    assert not get_user_model().objects.filter(username="seed-author").exists()
    call_command("load_seed", str(path), stdout=StringIO())
    assert list(Framework.objects.values_list("code", flat=True)) == ["TEST-2015"]


def test_a_bad_date_refuses_the_whole_file(tmp_path):
    path = tmp_path / "reference.yaml"
    path.write_text(REFERENCE % "March 2015", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("load_seed", str(path), stdout=StringIO())
    assert str(exc.value) == (
        "The seed record was not loaded (nothing was written): "
        "bad date 'March 2015' (expected YYYY, YYYY-MM, YYYY-MM-DD or unclear)"
    )
    assert Pillar.objects.count() == 0 and Framework.objects.count() == 0
