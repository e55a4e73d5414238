"""Test-only URLconf: the project's URLs plus views that fail on purpose."""

from django.db import OperationalError
from django.urls import include, path


def boom(request):
    raise RuntimeError("secret-traceback-marker")


def db_down(request):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


handler500 = "tracker.errors.server_error"

urlpatterns = [
    path("__test__/boom/", boom),
    path("__test__/db-down/", db_down),
    path("", include("config.urls")),
]
