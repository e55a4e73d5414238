from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from . import views
from .errors import api_not_found

app_name = "api"

router = SimpleRouter()
router.register("commitments", views.CommitmentViewSet, basename="commitment")
router.register("assessments", views.AssessmentViewSet, basename="assessment")
router.register("evidence", views.EvidenceViewSet, basename="evidence")
router.register("institutions", views.InstitutionViewSet, basename="institution")
router.register("frameworks", views.FrameworkViewSet, basename="framework")
router.register("pillars", views.PillarViewSet, basename="pillar")
router.register("regions", views.RegionViewSet, basename="region")
router.register("indicators", views.IndicatorViewSet, basename="indicator")
router.register("submissions", views.SubmissionViewSet, basename="submission")
router.register("webhooks", views.WebhookViewSet, basename="webhook")

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="root"),
    path("stats/", views.StatsView.as_view(), name="stats"),
    path("open-data/", views.OpenDataView.as_view(), name="open-data"),
    path("open-data/<str:fmt>/", views.OpenDataFileView.as_view(), name="open-data-file"),
    *router.urls,
    re_path(r"^.*$", api_not_found),
]
