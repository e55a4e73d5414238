from django.urls import include, path

from config.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("bench/textbook/", include("bench.textbook_drf")),
    *site_urlpatterns,
]
