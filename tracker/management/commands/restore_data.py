from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tracker.backup import restore, verify


class Command(BaseCommand):
    help = (
        "Restore a backup made by backup_data into a new, migrated, empty database. "
        "Every SHA-256 is checked before anything is written."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("source", help="The backup directory.")
        parser.add_argument("--dry-run", action="store_true", help="Only check the backup's hashes.")

    def handle(self, *args, source: str, dry_run: bool = False, **options) -> None:
        try:
            manifest = verify(Path(source)) if dry_run else restore(Path(source))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        verb = "Checked" if dry_run else "Restored"
        files = len(manifest["files"])
        self.stdout.write(f"{verb} {manifest['objects']} objects and {files} files from {source}.")
