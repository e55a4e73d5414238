"""Settings for the benchmark servers: production settings plus the textbook
DRF baseline (bench/textbook_drf.py) mounted under /bench/. Never deployed."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# Lets the benchmark measure a page-cache miss on one URL: a request with
# `X-Page-Cache-Refresh: 1` renders and stores again (tracker/pagecache.py).
PAGE_CACHE_REFRESH_HEADER = True
