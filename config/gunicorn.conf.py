"""gunicorn settings: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Every value can be overridden from the environment (see docs/deploy.md).
Sync workers: each request holds one worker and one database connection, so
capacity is WEB_CONCURRENCY requests at a time per server; add servers behind
the load balancer to scale out (the app servers keep no state of their own).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Default: two workers per core plus one (the requests mostly wait on the database).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A request that has not answered in this time is killed (and logged) rather
# than holding a worker forever; the CSV export streams, so it is not cut short
# as long as it keeps writing.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then: bounds the effect of any slow memory growth.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# Heartbeat files in memory, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # nosec B108  # gunicorn heartbeat files only
# Request size limits (the app's own upload limits are in settings).
limit_request_line = 8190
limit_request_fields = 100
# The reverse proxy on the same host (or the load balancer's addresses) may
# set X-Forwarded-For / X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# The application writes one JSON access line per request with its request id
# (tracker/request_id.py), so gunicorn's access log is off; its error log goes
# to stderr for systemd/journald.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "ssr-tracker"
