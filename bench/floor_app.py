"""The floor: a minimal WSGI + psycopg app answering the same SQL with the same rows.

For each workload, bench/probe.py records the exact statements Django ran
(parameters inlined by psycopg); this app replays them on one persistent
connection per worker and writes the rows out (an HTML table, JSON or CSV,
like the page it stands for). No framework, no ORM, no templates: what is left
is the database, the WSGI server and the bytes. Run by bench/run.py under
gunicorn with the same number of sync workers as the Django app.

    BENCH_DSN=postgres://... BENCH_FLOOR_SPEC=bench/results/probe_1000.json \
        gunicorn bench.floor_app:application
"""

from __future__ import annotations

import csv
import html
import io
import json
import os

import psycopg

with open(os.environ["BENCH_FLOOR_SPEC"], encoding="utf-8") as handle:
    SPEC = {f"/w/{name}": entry for name, entry in json.load(handle)["workloads"].items() if entry.get("sql")}
_connection: psycopg.Connection | None = None


def _cursor() -> psycopg.Cursor:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["BENCH_DSN"], autocommit=True)
    return _connection.cursor()


def _render(kind: str, results: list[list[tuple]]) -> tuple[bytes, str]:
    if kind == "json":
        return json.dumps(results, default=str).encode(), "application/json"
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        for rows in results:
            writer.writerows(rows)
        return out.getvalue().encode(), "text/csv; charset=utf-8"
    parts = ["<!doctype html><html><body>"]
    for rows in results:
        parts.append("<table>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts).encode(), "text/html; charset=utf-8"


def application(environ, start_response):
    entry = SPEC.get(environ.get("PATH_INFO", ""))
    if entry is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"unknown workload"]
    with _cursor() as cursor:
        results = []
        for sql in entry["sql"]:
            cursor.execute(sql)
            results.append(cursor.fetchall() if cursor.description else [])
    body, content_type = _render(entry["kind"], results)
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
