"""The status-publish write path, in-process: `assessment_publish` on
submitted assessments of generated commitments (reviewer != author), one at a
time. Prints JSON: per-call latency percentiles and queries per call.
It publishes real rows: each run uses submitted assessments no run used.

    DJANGO_SETTINGS_MODULE=bench.settings python bench/publish.py COUNT
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from tracker import services  # noqa: E402
from tracker.models import Assessment  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(count: int) -> None:
    reviewer = get_user_model().objects.get(username="bench-reviewer-1")
    pending = list(
        Assessment.objects.filter(review_state="submitted", commitment__reference__startswith="GEN-")
        .exclude(author=reviewer)
        .order_by("?")[:count]
    )
    latencies, queries, errors = [], [], []
    for assessment in pending:
        started = time.perf_counter()
        try:
            with CaptureQueriesContext(connection) as captured:
                services.assessment_publish(actor=reviewer, assessment=assessment)
        except Exception as exc:  # reported, not hidden
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        latencies.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured.captured_queries))
    result = {"calls": len(latencies), "errors": errors[:3], "error_count": len(errors)}
    if latencies:
        result.update(
            p50=percentile(latencies, 50),
            p95=percentile(latencies, 95),
            p99=percentile(latencies, 99),
            mean=statistics.mean(latencies),
            queries_min=min(queries),
            queries_max=max(queries),
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main(int(sys.argv[1]))
