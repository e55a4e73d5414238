"""`make bench`: the benchmark tables of docs/performance.md.

For each size (number of generated commitments) it makes or reuses a
PostgreSQL database `bench_<size>` (generate_benchmark_data, seed 1), probes
every workload once in-process (status, SQL queries, bytes: bench/probe.py),
then starts on loopback:

- the app: gunicorn (config/gunicorn.conf.py, 2 sync workers, DEBUG off,
  Redis cache), settings bench.settings (production settings plus the
  textbook DRF baseline at /bench/textbook/);
- the floor: bench/floor_app.py under the same gunicorn setup, replaying the
  exact SQL Django ran for the workload;

and loads each workload with wrk at fixed concurrency, the app and the floor
in turn (interleaved pairs; ratios are medians of the pairs' ratios), plus
pgbench on the same statements. Server CPU time per request comes from
/proc of the gunicorn workers, memory is their resident set. The CSV export
is timed per request against COPY of the same statements. The publish write
path is timed in-process (bench/publish.py). The dashboard is measured three
ways: cached (wrk), conditional GET answered 304 (wrk, If-None-Match), and
cold: the record token deleted from Redis before each request, one request
at a time (`--cold-requests`), against the floor replaying the cold
request's statements one at a time too.

    .venv/bin/python bench/run.py [--sizes 1000,10000] [--duration 5] [--pairs 3]

Results: bench/results/results-<size>.json and bench/results/latest.md.
Each load run is bounded by --duration; nothing here runs unbounded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.workloads import REFRESH_HEADERS  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
PG_BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
APP_PORT, FLOOR_PORT = 8181, 8182
CLK_TCK = os.sysconf("SC_CLK_TCK")

WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, "socket_errors": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


# --- helpers -------------------------------------------------------------------------


def run(cmd: list[str], env: dict | None = None, timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=ROOT, timeout=timeout, capture_output=True, text=True, **kw)


def psql(sql: str, db: str = "postgres", timeout: float = 120) -> str:
    done = run(["psql", f"{PG_BASE}/{db}", "-tAc", sql], timeout=timeout)
    if done.returncode:
        raise RuntimeError(done.stderr)
    return done.stdout.strip()


def django_env(db: str, workers: int) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{PG_BASE}/{db}",
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_SECRET_KEY="bench-secret-key-not-for-production-0123456789abcdef",
        DJANGO_DEBUG="false",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        REDIS_URL=REDIS_URL,
        # The benchmark measures the app, not the rate limits (which still run).
        API_RATE_ANONYMOUS="1000000000/second",
        API_RATE_KEYED="1000000000/second",
        STATIC_ROOT=str(RESULTS / "static"),
        WEB_CONCURRENCY=str(workers),
        GUNICORN_MAX_REQUESTS="0",
        # The whole-record CSV export at 100k takes longer than gunicorn's
        # default 30 s worker timeout on this machine (2026-12-02: the worker
        # was killed mid-download); the benchmark measures its time, the
        # production limit is a deployment choice (docs/deploy.md).
        GUNICORN_TIMEOUT="300",
        PYTHONPATH=str(ROOT),
    )
    return env


def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    commit = run(["git", "rev-parse", "--short", "HEAD"]).stdout.strip() or os.environ.get(
        "BENCH_COMMIT", "?"
    )
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "memory_gb": round(int(meminfo[1]) / 1024 / 1024, 1),
        "cpu": cpu,
        "commit": commit,
        "python": platform.python_version(),
        "postgres": psql("SHOW server_version"),
        "wrk": shutil.which("wrk") is not None,
    }


# --- data ------------------------------------------------------------------------------


def ensure_database(size: int, regenerate: bool, env: dict) -> dict:
    db = f"bench_{size}"
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'") == "1"
    if exists and not regenerate:
        try:
            count = int(psql("SELECT count(*) FROM tracker_commitment WHERE reference LIKE 'GEN-%'", db))
        except RuntimeError:
            count = -1
        if count == size:
            migrate = run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, timeout=1800)
            if migrate.returncode:
                raise RuntimeError(migrate.stderr)
            # A migration may have rewritten a table (0008 adds a stored column):
            # refresh the visibility map and statistics as the generator does,
            # or index-only scans visit the heap until autovacuum comes.
            psql("VACUUM ANALYZE", db, timeout=1800)
            return {
                "db": db,
                "reused": True,
                "db_size": psql(f"SELECT pg_size_pretty(pg_database_size('{db}'))"),
            }
    psql(f"DROP DATABASE IF EXISTS {db}")
    psql(f"CREATE DATABASE {db}")
    for cmd in (["migrate", "--noinput", "-v0"], ["load_seed", "fixtures/mali/reference.yaml", "-v0"]):
        done = run([PYTHON, "manage.py", *cmd], env=env)
        if done.returncode:
            raise RuntimeError(done.stderr)
    started = time.monotonic()
    done = run(
        [
            "/usr/bin/time",
            "-f",
            "maxrss_kb=%M",
            PYTHON,
            "manage.py",
            "generate_benchmark_data",
            "--commitments",
            str(size),
            "--seed",
            "1",
        ],
        env=env,
        timeout=3600,
    )
    if done.returncode:
        raise RuntimeError(done.stderr)
    seconds = time.monotonic() - started
    maxrss = next(
        (line.split("=")[1] for line in done.stderr.splitlines() if line.startswith("maxrss_kb=")), "?"
    )
    return {
        "db": db,
        "reused": False,
        "generate_seconds": round(seconds, 1),
        "generate_maxrss_mb": round(int(maxrss) / 1024) if maxrss.isdigit() else None,
        "db_size": psql(f"SELECT pg_size_pretty(pg_database_size('{db}'))"),
    }


# --- servers and measurements ------------------------------------------------------------


def start_server(args: list[str], env: dict, port: int, log: Path) -> subprocess.Popen:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            raise RuntimeError(f"port {port} is in use: stop the server left there first")
    except OSError:
        pass
    handle = log.open("w")
    process = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: see {log}") from None
            time.sleep(0.2)
    stop_server(process)
    raise RuntimeError(f"server did not start: see {log}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def workers_of(master: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return pids


def proc_usage(master: int) -> dict:
    """CPU seconds (user + system) and resident memory of the gunicorn workers."""
    cpu, rss, hwm = 0.0, 0, 0
    for pid in workers_of(master):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / CLK_TCK
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = max(hwm, int(line.split()[1]))
    return {"cpu_s": cpu, "rss_mb": rss / 1024, "max_hwm_mb": hwm / 1024}


def wrk(url: str, seconds: float, concurrency: int, headers: dict, script: Path) -> dict:
    cmd = [
        "wrk",
        "-t2",
        f"-c{concurrency}",
        f"-d{max(1, int(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
    ]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    done = run([*cmd, url], timeout=seconds + 60)
    line = next((line for line in done.stdout.splitlines() if line.startswith("{")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {done.stdout} {done.stderr}")
    data = json.loads(line)
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def drain(base: str, path: str) -> None:
    """Wait until the server has worked off the requests wrk left queued when it
    stopped (a sync worker still serves them), so they do not slow the next run:
    until two requests in a row answer within 0.5 s, for at most 90 s."""
    deadline, quick = time.monotonic() + 90, 0
    while quick < 2 and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            urllib.request.urlopen(base + path, timeout=90).read()
        except urllib.error.HTTPError:
            pass
        quick = quick + 1 if time.monotonic() - started < 0.5 else 0


def pgbench(db: str, statements: list[str], seconds: float, concurrency: int) -> dict | None:
    if not statements or not shutil.which("pgbench"):
        return None
    script = RESULTS / "pgbench.sql"
    script.write_text("".join(f"{sql.strip().rstrip(';')};\n" for sql in statements))
    done = run(
        [
            "pgbench",
            "-n",
            "-M",
            "simple",
            f"-c{concurrency}",
            "-j2",
            f"-T{int(seconds)}",
            "-f",
            str(script),
            f"{PG_BASE}/{db}",
        ],
        timeout=seconds + 60,
    )
    out = done.stdout
    tps = next((line for line in out.splitlines() if line.startswith("tps =")), None)
    latency = next((line for line in out.splitlines() if line.startswith("latency average")), None)
    if done.returncode or not tps:
        return {"error": (done.stderr or out)[-300:]}
    return {"tps": float(tps.split()[2]), "latency_ms": float(latency.split()[3]) if latency else None}


def served_durations(log: Path, offset: int, path: str) -> list[float]:
    with log.open("rb") as handle:
        handle.seek(offset)
        lines = handle.read().decode(errors="replace").splitlines()
    durations = []
    for line in lines:
        if line.startswith("{") and '"tracker.request"' in line:
            entry = json.loads(line)
            if entry.get("path") == path:
                durations.append(entry["duration_ms"])
    return durations


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def conditional_headers(path: str, csrf_cookie: str) -> dict:
    """The headers of a browser revalidating the page it has: its cookie and
    the ETag the app gives now (asked just before the run, so that an
    earlier workload's writes or cache clearing do not make it stale)."""
    headers = {"Cookie": f"csrftoken={csrf_cookie}"}
    request = urllib.request.Request(f"http://127.0.0.1:{APP_PORT}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=600) as response:
        response.read()
        etag = response.headers["ETag"]
    request = urllib.request.Request(
        f"http://127.0.0.1:{APP_PORT}{path}", headers={**headers, "If-None-Match": etag}
    )
    try:
        urllib.request.urlopen(request, timeout=600).read()
    except urllib.error.HTTPError as exc:
        if exc.code != 304:
            raise RuntimeError(f"conditional GET answered {exc.code}, not 304") from exc
    else:
        raise RuntimeError("conditional GET answered 200, not 304")
    return {**headers, "If-None-Match": etag}


def cold_token_key(db: str) -> str:
    """The cache key of the database's record token (tracker/insights/version.py),
    as Django's Redis cache names it: <KEY_PREFIX>:<version 1>:<key>."""
    return f"{os.environ.get('CACHE_KEY_PREFIX', 'ssr')}:1:insights:record-token:{db}"


def measure_cold(name: str, probe: dict, app: subprocess.Popen, opts) -> dict:
    """Cold dashboard requests, one at a time: the record token is deleted
    from Redis before each, so the app recomputes every figure (exactly what
    the first reader after a publication pays). The floor replays the cold
    request's statements, one request at a time too."""
    import redis

    store = redis.Redis.from_url(REDIS_URL)
    app_url = f"http://127.0.0.1:{APP_PORT}{probe['path']}"
    floor_url = f"http://127.0.0.1:{FLOOR_PORT}/w/{name}"

    def timed(url: str, clear: bool) -> float:
        if clear:
            store.delete(cold_token_key(opts.db))
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=600) as response:
            response.read()
        return (time.perf_counter() - started) * 1000

    timed(app_url, True)  # warm-up: connections, per-process caches
    timed(floor_url, False)
    before, offset = proc_usage(app.pid), opts.app_log.stat().st_size
    app_ms = [timed(app_url, True) for _ in range(opts.cold_requests)]
    after = proc_usage(app.pid)
    served = served_durations(opts.app_log, offset, probe["path"].split("?")[0])
    floor_ms = [timed(floor_url, False) for _ in range(opts.cold_requests)]
    return {
        "cold_requests": len(app_ms),
        "cold_p50_ms": percentile(app_ms, 50),
        "cold_p95_ms": percentile(app_ms, 95),
        "cold_max_ms": max(app_ms),
        "server_p50_ms": percentile(served, 50),
        "server_p95_ms": percentile(served, 95),
        "cpu_ms_per_request": (after["cpu_s"] - before["cpu_s"]) * 1000 / max(1, len(served)),
        "rss_mb": round(after["rss_mb"], 1),
        "floor_p50_ms": percentile(floor_ms, 50),
        "floor_p95_ms": percentile(floor_ms, 95),
        "ratio_p50": percentile(app_ms, 50) / max(1e-9, percentile(floor_ms, 50)),
        "pgbench": pgbench(opts.db, probe["sql"], opts.duration, 1),
    }


def measure_load(name: str, probe: dict, app: subprocess.Popen, opts, script: Path, cookie: str) -> dict:
    headers = {"Cookie": f"sessionid={cookie}"} if probe["staff"] else {}
    if probe.get("refresh"):
        headers.update(REFRESH_HEADERS)
    if probe.get("conditional"):
        headers = conditional_headers(probe["path"], opts.csrf_cookie)
    app_url = f"http://127.0.0.1:{APP_PORT}{probe['path']}"
    floor_url = f"http://127.0.0.1:{FLOOR_PORT}/w/{name}"
    app_base, floor_base = f"http://127.0.0.1:{APP_PORT}", f"http://127.0.0.1:{FLOOR_PORT}"
    wrk(app_url, 1, opts.concurrency, headers, script)  # warm-up
    drain(app_base, "/healthz")
    wrk(floor_url, 1, opts.concurrency, {}, script)
    drain(floor_base, "/")
    pairs = []
    for _ in range(opts.pairs):
        before, offset = proc_usage(app.pid), opts.app_log.stat().st_size
        django = wrk(app_url, opts.duration, opts.concurrency, headers, script)
        drain(app_base, "/healthz")
        after = proc_usage(app.pid)
        # Every request the workers served (queued leftovers included), from the
        # app's own access log: the CPU per request and the time spent inside
        # Django (excluding the wait in the listen queue).
        served = served_durations(opts.app_log, offset, probe["path"].split("?")[0])
        django["served"] = len(served)
        django["cpu_ms_per_request"] = (after["cpu_s"] - before["cpu_s"]) * 1000 / max(1, len(served))
        django["server_p50_ms"] = percentile(served, 50)
        django["server_p95_ms"] = percentile(served, 95)
        floor = wrk(floor_url, opts.duration, opts.concurrency, {}, script)
        drain(floor_base, "/")
        pairs.append({"app": django, "floor": floor})
    usage = proc_usage(app.pid)
    result = {"pairs": pairs, "rss_mb": round(usage["rss_mb"], 1)}
    for key in (
        "rps",
        "p50_us",
        "p95_us",
        "p99_us",
        "cpu_ms_per_request",
        "server_p50_ms",
        "server_p95_ms",
        "status_errors",
        "socket_errors",
    ):
        result[key] = median([p["app"].get(key, 0) for p in pairs])
        result[f"floor_{key}"] = median([p["floor"].get(key, 0) for p in pairs])
    result["ratio_p95"] = median([p["app"]["p95_us"] / max(1, p["floor"]["p95_us"]) for p in pairs])
    result["ratio_rps"] = median([p["floor"]["rps"] / max(1e-9, p["app"]["rps"]) for p in pairs])
    result["pgbench"] = pgbench(opts.db, probe["sql"], opts.duration, opts.concurrency)
    return result


def measure_export(name: str, probe: dict, app: subprocess.Popen, opts) -> dict:
    """The CSV export, one request at a time, against COPY of the same statements."""
    import psycopg

    url = f"http://127.0.0.1:{APP_PORT}{probe['path']}"
    before = proc_usage(app.pid)
    times, sizes = [], []
    for _ in range(3):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=600) as response:
            size = 0
            while chunk := response.read(65536):
                size += len(chunk)
        times.append(time.perf_counter() - started)
        sizes.append(size)
    after = proc_usage(app.pid)
    copy_times = []
    with psycopg.connect(f"{PG_BASE}/{opts.db}", autocommit=True) as connection:
        for _ in range(3):
            started = time.perf_counter()
            with connection.cursor() as cursor:
                for sql in probe["sql"]:
                    with cursor.copy(f"COPY ({sql.strip().rstrip(';')}) TO STDOUT WITH (FORMAT csv)") as copy:
                        for _block in copy:
                            pass
            copy_times.append(time.perf_counter() - started)
    return {
        "seconds": median(times),
        "copy_seconds": median(copy_times),
        "ratio_copy": median(times) / max(1e-9, median(copy_times)),
        "bytes": sizes[-1],
        "rss_before_mb": round(before["rss_mb"], 1),
        "hwm_growth_mb": round(after["max_hwm_mb"] - before["max_hwm_mb"], 1),
        "max_hwm_mb": round(after["max_hwm_mb"], 1),
    }


# --- one size ------------------------------------------------------------------------------


def bench_size(size: int, opts) -> dict:
    opts.db = f"bench_{size}"
    env = django_env(opts.db, opts.workers)
    data = ensure_database(size, opts.regenerate, env)
    done = run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env=env)
    if done.returncode:
        raise RuntimeError(f"collectstatic failed: {done.stderr[-2000:]}")
    probe_file = RESULTS / f"probe-{size}.json"
    for _attempt in range(3):  # a lost connection (other work restarting the server) is retried
        done = run([PYTHON, "bench/probe.py", str(probe_file), ",".join(opts.only)], env=env, timeout=1800)
        if done.returncode == 0:
            break
    if done.returncode:
        raise RuntimeError(f"probe failed: {done.stderr[-2000:]}")
    probe = json.loads(probe_file.read_text())
    opts.csrf_cookie = probe["params"].get("csrf_cookie", "")
    script = RESULTS / "wrk_report.lua"
    script.write_text(WRK_REPORT)
    gunicorn = str(BIN / "gunicorn")
    opts.app_log = RESULTS / f"app-{size}.log"
    app = start_server(
        [gunicorn, "-c", "config/gunicorn.conf.py", "--bind", f"127.0.0.1:{APP_PORT}", "config.wsgi"],
        env,
        APP_PORT,
        opts.app_log,
    )
    floor_env = dict(env, BENCH_DSN=f"{PG_BASE}/{opts.db}", BENCH_FLOOR_SPEC=str(probe_file))
    try:
        floor = start_floor(gunicorn, opts, floor_env, size)
    except Exception:
        stop_server(app)
        raise
    results = {}
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    try:
        for name, entry in probe["workloads"].items():
            if opts.only and name not in opts.only:
                continue
            row = {k: entry[k] for k in ("path", "status", "queries", "bytes", "gzip_bytes")}
            if entry["status"] != (304 if entry.get("conditional") else 200):
                row["skipped"] = f"HTTP {entry['status']} in the probe: not measured"
            else:
                try:
                    if entry["kind"] == "csv":
                        row.update(measure_export(name, entry, app, opts))
                    elif entry.get("cold"):
                        row.update(measure_cold(name, entry, app, opts))
                    else:
                        row.update(measure_load(name, entry, app, opts, script, probe["cookie"]))
                except (RuntimeError, OSError) as exc:  # recorded, and the other workloads still run
                    row["skipped"] = f"failed under load: {exc!s:.200}"
            results[name] = row
            print(f"  {size} {name}: {summarise(row)}", flush=True)
    finally:
        stop_server(app)
        stop_server(floor)
    if not opts.only or "publish" in opts.only:
        done = run([PYTHON, "bench/publish.py", str(opts.publish_count)], env=env, timeout=300)
        results["publish"] = (
            json.loads(done.stdout) if done.returncode == 0 else {"skipped": done.stderr[-500:]}
        )
        print(f"  {size} publish: {results['publish']}", flush=True)
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    return {
        "size": size,
        "data": data,
        "params": probe["params"],
        "loadavg": {"before": load_before, "after": load_after},
        "workloads": results,
    }


def start_floor(gunicorn: str, opts, env: dict, size: int) -> subprocess.Popen:
    return start_server(
        [
            gunicorn,
            "-w",
            str(opts.workers),
            "--bind",
            f"127.0.0.1:{FLOOR_PORT}",
            "bench.floor_app:application",
        ],
        env,
        FLOOR_PORT,
        RESULTS / f"floor-{size}.log",
    )


def summarise(row: dict) -> str:
    if "skipped" in row:
        return row["skipped"]
    if "ratio_copy" in row:
        return f"{row['seconds']:.2f} s vs COPY {row['copy_seconds']:.2f} s (x{row['ratio_copy']:.1f})"
    if "cold_p50_ms" in row:
        return (
            f"cold, one at a time: p50 {row['cold_p50_ms']:.1f} p95 {row['cold_p95_ms']:.1f} ms "
            f"(in Django {row['server_p50_ms']:.0f} / {row['server_p95_ms']:.0f}), {row['queries']} queries, "
            f"floor p50 {row['floor_p50_ms']:.1f} ms"
        )
    return (
        f"{row['rps']:.0f} req/s p50 {row['p50_us'] / 1000:.1f} p95 {row['p95_us'] / 1000:.1f} "
        f"p99 {row['p99_us'] / 1000:.1f} ms, {row['queries']} queries, floor x{row['ratio_p95']:.1f}"
    )


# --- tables --------------------------------------------------------------------------------


def markdown(info: dict, runs: list[dict]) -> str:
    ms = lambda us: f"{us / 1000:.1f}"  # noqa: E731
    lines = [
        f"Date {info['date']}; commit {info['commit']}; {info['nproc']} cores ({info['cpu']}), "
        f"{info['memory_gb']} GB; PostgreSQL {info['postgres']}; Python {info['python']}; "
        f"concurrency {info['concurrency']}, {info['workers']} sync workers, {info['pairs']} pairs of "
        f"{info['duration']} s runs per workload.",
        "",
    ]
    for result in runs:
        data = result["data"]
        lines += [
            f"### {result['size']:,} commitments",
            "",
            f"Database {data['db_size']}"
            + (
                f"; generated in {data['generate_seconds']} s (peak {data['generate_maxrss_mb']} MB)"
                if not data.get("reused")
                else " (reused)"
            )
            + f"; deep page = {result['params']['deep_page']} of {result['params']['last_page']}"
            + f"; load average before/after {' '.join(result['loadavg']['before'])} / "
            + f"{' '.join(result['loadavg']['after'])} (other work on the machine).",
            "",
            "| workload | queries | bytes (gzip) | req/s | p50 ms | p95 ms | p99 ms | in-Django p50/p95 ms "
            "| CPU ms/req | RSS MB | floor req/s | floor p95 ms | p95 / floor | pgbench tps (ms) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, row in result["workloads"].items():
            if name == "publish":
                continue
            if "skipped" in row:
                lines.append(f"| {name} | | | | | | | | | | | | {row['skipped']} | |")
            elif "cold_p50_ms" in row:
                pg = row.get("pgbench") or {}
                pg_text = f"1 client: {pg['tps']:.1f} ({pg['latency_ms']:.2f})" if "tps" in pg else ""
                lines.append(
                    f"| {name} | {row['queries']} | {row['bytes']:,} ({row['gzip_bytes']:,}) "
                    f"| 1 at a time ×{row['cold_requests']} "
                    f"| {row['cold_p50_ms']:.1f} | {row['cold_p95_ms']:.1f} "
                    f"| {row['cold_max_ms']:.1f} | {row['server_p50_ms']:.0f} / {row['server_p95_ms']:.0f} "
                    f"| {row['cpu_ms_per_request']:.1f} | {row['rss_mb']:.0f} | 1 at a time "
                    f"| {row['floor_p95_ms']:.1f} | x{row['ratio_p50']:.1f} (p50) | {pg_text} |"
                )
            elif "ratio_copy" in row:
                lines.append(
                    f"| {name} | {row['queries']} | {row['bytes']:,} ({row['gzip_bytes']:,}) | 1 at a time "
                    f"| {row['seconds'] * 1000:.0f} | | | | | peak +{row['hwm_growth_mb']} "
                    f"| COPY | {row['copy_seconds'] * 1000:.0f} | x{row['ratio_copy']:.1f} vs COPY | |"
                )
            else:
                pg = row.get("pgbench") or {}
                pg_text = (
                    f"{pg['tps']:.0f} ({pg['latency_ms']:.2f})" if "tps" in pg else pg.get("error", "")[:40]
                )
                lines.append(
                    f"| {name} | {row['queries']} | {row['bytes']:,} ({row['gzip_bytes']:,}) "
                    f"| {row['rps']:.0f} "
                    f"| {ms(row['p50_us'])} | {ms(row['p95_us'])} | {ms(row['p99_us'])} "
                    f"| {row['server_p50_ms']:.0f} / {row['server_p95_ms']:.0f} "
                    f"| {row['cpu_ms_per_request']:.1f} | {row['rss_mb']:.0f} | {row['floor_rps']:.0f} "
                    f"| {ms(row['floor_p95_us'])} | x{row['ratio_p95']:.1f} | {pg_text} |"
                )
        publish = result["workloads"].get("publish")
        if publish and "p95" in publish:
            lines += [
                "",
                f"Publish path (in-process `assessment_publish`, one at a time, {publish['calls']} calls): "
                f"p50 {publish['p50']:.1f} ms, p95 {publish['p95']:.1f} ms, p99 {publish['p99']:.1f} ms, "
                f"{publish['queries_min']}-{publish['queries_max']} queries.",
            ]
        elif publish:
            lines += ["", f"Publish path: not measured ({publish.get('skipped', publish)!s:.200})."]
        textbook = result["workloads"].get("textbook_drf_list", {})
        for name, how in (("api_list", "rendered"), ("api_list_cached", "cached")):
            api = result["workloads"].get(name, {})
            if textbook.get("p95_us") and api.get("p95_us"):
                lines += [
                    "",
                    f"API list ({how}) vs textbook DRF: "
                    f"p95 {ms(api['p95_us'])} vs {ms(textbook['p95_us'])} ms "
                    f"(x{api['p95_us'] / textbook['p95_us']:.2f}), "
                    f"req/s {api['rps']:.0f} vs {textbook['rps']:.0f}.",
                ]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--duration", type=float, default=5, help="Seconds per load run (bounded).")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="", help="Comma-separated workload names.")
    parser.add_argument("--publish-count", type=int, default=200)
    parser.add_argument(
        "--cold-requests", type=int, default=10, help="Cold dashboard requests (one at a time)."
    )
    parser.add_argument("--regenerate", action="store_true", help="Rebuild the databases.")
    opts = parser.parse_args()
    opts.only = [w for w in opts.only.split(",") if w]
    if opts.duration > 60:
        parser.error("--duration is capped at 60 s per run.")
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    RESULTS.mkdir(parents=True, exist_ok=True)
    info = machine()
    info.update(concurrency=opts.concurrency, workers=opts.workers, pairs=opts.pairs, duration=opts.duration)
    runs = []
    for size in [int(s) for s in opts.sizes.split(",")]:
        print(f"== {size} commitments", flush=True)
        result = bench_size(size, opts)
        (RESULTS / f"results-{size}.json").write_text(json.dumps({"machine": info, **result}, indent=1))
        runs.append(result)
    report = markdown(info, runs)
    (RESULTS / "latest.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
