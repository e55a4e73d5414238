from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from tracker.backup import backup, default_backup_dir


class Command(BaseCommand):
    help = "Back up the database and the uploaded files, with a SHA-256 manifest."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", help="New directory to write (default: ./backups/backup-<UTC time>).")

    def handle(self, *args, output: str | None = None, **options) -> None:
        target = Path(output) if output else default_backup_dir(Path("backups"))
        manifest = backup(target)
        self.stdout.write(
            f"Backup written to {target}: {manifest['objects']} objects, {len(manifest['files'])} files, "
            f"data.xml SHA-256 {manifest['data_sha256']}."
        )
