from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tracker.management.seed import Loader, SeedError

DEFAULT_FILES = ["fixtures/mali/reference.yaml", "fixtures/mali/record.yaml"]


class Command(BaseCommand):
    help = "Load the seed record (YAML, see fixtures/FORMAT.md) through the services. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="YAML files (default: the Mali record)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the files and report what would be written, then roll everything back.",
        )

    def handle(self, *args, **options):
        names = options["files"] or DEFAULT_FILES
        paths = [
            Path(settings.BASE_DIR) / name if not Path(name).is_absolute() else Path(name) for name in names
        ]
        paths = [p for p in paths if p.exists() or options["files"]]
        try:
            # One transaction: a dry run (or an error) leaves the database as it was,
            # and nothing queued on commit (e-mails) is sent.
            with transaction.atomic():
                counts = Loader(self.stdout).load(paths)
                if options["dry_run"]:
                    transaction.set_rollback(True)
        except SeedError as exc:
            raise CommandError(f"The seed record was not loaded (nothing was written): {exc}") from exc
        written = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing new"
        if options["dry_run"]:
            self.stdout.write(
                f"Dry run, nothing was written. Would write from {len(paths)} file(s): {written}."
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Seed record loaded from {len(paths)} file(s): {written}."))
