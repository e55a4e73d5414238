"""Environment defaults for the test suite, set before Django is configured.

Tests run with production-like settings (DEBUG off); only the secret key and
the HTTPS redirect (the test client speaks plain HTTP) are given here.
"""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production-0123456789")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="ssr-test-media-"))
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("STATIC_ROOT", tempfile.mkdtemp(prefix="ssr-test-static-"))
os.environ.setdefault("TASKS_EAGER", "true")
