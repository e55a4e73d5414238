"""The baseline for the API list: what a team builds by default with DRF.

A ModelSerializer, a ModelViewSet, PageNumberPagination (with its COUNT(*))
and django-filter on the same table; no select_related, no keyset, no
caching. Mounted only by bench/settings.py at /bench/textbook/commitments/.
"""

from django.urls import include, path
from rest_framework import pagination, routers, serializers, viewsets
from rest_framework.permissions import AllowAny

from tracker.models import Commitment


class CommitmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commitment
        fields = [
            "id",
            "reference",
            "framework",
            "pillar",
            "parent",
            "title_fr",
            "title_en",
            "current_status",
            "current_progress",
            "status_as_of",
            "start_date",
            "due_date",
            "wps_marker",
        ]


class PagePagination(pagination.PageNumberPagination):
    page_size = 25


class CommitmentViewSet(viewsets.ModelViewSet):
    queryset = Commitment.objects.all()
    serializer_class = CommitmentSerializer
    pagination_class = PagePagination
    filterset_fields = ["current_status", "framework", "pillar"]
    permission_classes = [AllowAny]
    throttle_classes = []
    http_method_names = ["get", "head", "options"]


router = routers.SimpleRouter()
router.register("commitments", CommitmentViewSet, basename="textbook-commitment")
urlpatterns = [path("", include(router.urls))]
