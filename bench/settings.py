"""Settings for the benchmark servers: production settings plus the textbook
DRF baseline (bench/textbook_drf.py) mounted under /bench/. Never deployed."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
