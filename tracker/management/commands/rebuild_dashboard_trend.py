"""Recompute the dashboard's stored trend (closed quarters) from the published
assessments: after writes that send no signals (bulk loads, SQL by hand), or
to have every quarter stored before the first reader asks. Also recounts the
breakdowns' tally (tracker.insights.tally: kept by triggers; needed only after
a TRUNCATE or rows loaded with triggers disabled)."""

from django.core.management.base import BaseCommand

from tracker.insights import tally, trend


class Command(BaseCommand):
    help = "Recompute the dashboard's stored quarterly trend (tracker.insights.trend)."

    def add_arguments(self, parser):
        parser.add_argument("--quarters", type=int, default=None, help="Only the last N closed quarters.")
        parser.add_argument("--dry-run", action="store_true", help="Say which quarters, write nothing.")

    def handle(self, *args, **options):
        days = trend.rebuild(quarters=options["quarters"], dry_run=options["dry_run"])
        if not options["dry_run"]:
            tally.rebuild()
        span = f"{days[0]} to {days[-1]}" if days else "none"
        verb = "Would store" if options["dry_run"] else "Stored"
        self.stdout.write(self.style.SUCCESS(f"{verb} {len(days)} closed quarter(s): {span}."))
