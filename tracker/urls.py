from django.contrib.staticfiles.storage import staticfiles_storage
from django.urls import path
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView

from . import dashboard, feeds, views

app_name = "tracker"

# Feeds are read-only (GET and HEAD; other methods 405), as the pages in views.py.
urlpatterns = [
    path("", dashboard.home, name="home"),
    path("commitments/", views.commitment_list, name="commitment-list"),
    path("commitments/export.csv", views.commitment_export, name="commitment-export"),
    path("commitments/feed/", require_safe(feeds.commitment_list_feed), name="commitment-list-feed"),
    path("commitments/<str:reference>/", views.commitment_detail, name="commitment-detail"),
    path("commitments/<str:reference>/feed/", require_safe(feeds.CommitmentFeed()), name="commitment-feed"),
    path("changes/", views.changes, name="changes"),
    path("feeds/changes/", require_safe(feeds.ChangesFeed()), name="changes-feed"),
    path("frameworks/<slug:code>/", views.framework_detail, name="framework-detail"),
    path("pillars/<slug:slug>/", views.pillar_detail, name="pillar-detail"),
    path("institutions/<slug:slug>/", views.institution_detail, name="institution-detail"),
    path("regions/<slug:slug>/", views.region_detail, name="region-detail"),
    path("methodology/", views.methodology_page, name="methodology"),
    path("about/", views.about, name="about"),
    path("about/api/", views.api_intro, name="api-intro"),
    # Browsers ask for /favicon.ico on pages without the <link rel="icon"> (feeds,
    # CSV, the API): send them to the static icon instead of a 404.
    path(
        "favicon.ico",
        RedirectView.as_view(
            get_redirect_url=lambda *args, **kwargs: staticfiles_storage.url("tracker/favicon.svg")
        ),
        name="favicon",
    ),
]
