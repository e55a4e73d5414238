import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand

from tracker.partners import opendata


class Command(BaseCommand):
    help = "Write the whole public record as JSON and as a zip of CSV files (with README and licence)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Build the dumps in a temporary folder; publish nothing."
        )

    def handle(self, *args, dry_run, **options):
        if dry_run:
            with tempfile.TemporaryDirectory() as tmp:
                for fmt, path in opendata.build(Path(tmp)).items():
                    self.stdout.write(f"{fmt}: {path.stat().st_size} bytes (not published)")
            return
        for name in opendata.export():
            self.stdout.write(f"Written: {name}")
        self.stdout.write(self.style.SUCCESS("Open-data dumps published."))
