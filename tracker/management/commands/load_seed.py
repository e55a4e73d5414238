from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker.management.seed import Loader, SeedError

DEFAULT_FILES = ["fixtures/mali/reference.yaml", "fixtures/mali/record.yaml"]


class Command(BaseCommand):
    help = "Load the seed record (YAML, see fixtures/FORMAT.md) through the services. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="YAML files (default: the Mali record)")

    def handle(self, *args, **options):
        names = options["files"] or DEFAULT_FILES
        paths = [
            Path(settings.BASE_DIR) / name if not Path(name).is_absolute() else Path(name) for name in names
        ]
        paths = [p for p in paths if p.exists() or options["files"]]
        try:
            counts = Loader(self.stdout).load(paths)
        except SeedError as exc:
            raise CommandError(f"The seed record was not loaded (nothing was written): {exc}") from exc
        written = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing new"
        self.stdout.write(self.style.SUCCESS(f"Seed record loaded from {len(paths)} file(s): {written}."))
