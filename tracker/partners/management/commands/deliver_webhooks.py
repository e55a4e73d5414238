import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from tracker.partners.tasks import deliver_due
from tracker.partners.webhooks import due_delivery_ids

SCHEDULE_NAME = "deliver_webhooks"


class Command(BaseCommand):
    help = "Send the webhook deliveries that are due (retries use exponential back-off)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=100, help="At most this many per pass.")
        parser.add_argument("--loop", action="store_true", help="Keep running (a worker process).")
        parser.add_argument("--interval", type=float, default=10.0, help="Seconds between passes.")
        parser.add_argument("--dry-run", action="store_true", help="List what is due; send nothing.")
        parser.add_argument(
            "--install-schedule",
            action="store_true",
            help="Create the django-q schedule that runs a pass every minute, then exit.",
        )

    def handle(self, *args, limit, loop, interval, dry_run, install_schedule, **options):
        if install_schedule:
            from django_q.models import Schedule

            Schedule.objects.update_or_create(
                name=SCHEDULE_NAME,
                defaults={
                    "func": "tracker.partners.tasks.deliver_due",
                    "schedule_type": Schedule.MINUTES,
                    "minutes": 1,
                    "repeats": -1,
                },
            )
            self.stdout.write("Schedule installed: deliver_due every minute.")
            return
        if dry_run:
            ids = due_delivery_ids(timezone.now(), limit)
            self.stdout.write(f"{len(ids)} deliveries due: {ids}")
            return
        while True:
            sent, failed = deliver_due(limit)
            self.stdout.write(f"{sent} delivered, {failed} failed attempts.")
            if not loop:
                return
            time.sleep(interval)
