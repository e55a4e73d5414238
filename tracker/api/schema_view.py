"""The schema's view (apart from tracker.api.schema, which drf-spectacular
imports while loading its views)."""

from drf_spectacular.views import SpectacularAPIView
from rest_framework.negotiation import DefaultContentNegotiation


class SchemaNegotiation(DefaultContentNegotiation):
    """`?format=json` or `?format=yaml` picks the schema's format (the API's
    own views leave `format` alone: URL_FORMAT_OVERRIDE is off for them);
    without it, the Accept header decides (YAML by default)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        requested = format_suffix or request.query_params.get("format")
        if requested not in {renderer.format for renderer in renderers}:
            requested = None  # an unknown format: the Accept header decides
        return super().select_renderer(request, renderers, requested)


class SchemaView(SpectacularAPIView):
    content_negotiation_class = SchemaNegotiation
