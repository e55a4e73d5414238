from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerSplitView

from tracker.api.errors import api_not_found
from tracker.api.schema_view import SchemaView
from tracker.media import serve_media

handler500 = "tracker.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("tracker.api.urls")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/", api_not_found),
    path("", include("tracker.health")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tracker.editorial.urls")),
    path("", include("tracker.urls")),
]

# Uploaded files, in development and production alike, go through a view
# that checks who may see them and sends them as sandboxed attachments.
urlpatterns += [path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve_media, name="media")]
