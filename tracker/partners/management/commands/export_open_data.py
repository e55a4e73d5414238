import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand

from tracker.partners import opendata

SCHEDULE_NAME = "export_open_data"


class Command(BaseCommand):
    help = "Write the whole public record as JSON and as a zip of CSV files (with README and licence)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Build the dumps in a temporary folder; publish nothing."
        )
        parser.add_argument(
            "--install-schedule",
            action="store_true",
            help="Create the django-q schedule that rebuilds the dumps every --every minutes, then exit.",
        )
        parser.add_argument(
            "--every", type=int, default=60, help="Minutes between scheduled rebuilds (default 60)."
        )

    def handle(self, *args, dry_run, install_schedule, every, **options):
        if install_schedule:
            from django.core.management.base import CommandError
            from django_q.models import Schedule

            if every < 1:
                raise CommandError("--every must be at least 1 minute.")
            Schedule.objects.update_or_create(
                name=SCHEDULE_NAME,
                defaults={
                    "func": "tracker.partners.opendata.export",
                    "schedule_type": Schedule.MINUTES,
                    "minutes": every,
                    "repeats": -1,
                },
            )
            self.stdout.write(f"Schedule installed: open-data dumps rebuilt every {every} minutes.")
            return
        if dry_run:
            with tempfile.TemporaryDirectory() as tmp:
                for fmt, path in opendata.build(Path(tmp)).items():
                    self.stdout.write(f"{fmt}: {path.stat().st_size} bytes (not published)")
            return
        for name in opendata.export():
            self.stdout.write(f"Written: {name}")
        self.stdout.write(self.style.SUCCESS("Open-data dumps published."))
