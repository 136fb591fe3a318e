"""URL routing: the web UI, the REST API under /api/v1/, its schema and docs, and the admin."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.views import HealthView

api_v1: list[URLPattern | URLResolver] = [
    path("health/", HealthView.as_view(), name="api-health"),
    path("", include("accounts.api.urls")),
    path("", include("marketplace.api.urls")),
    path("", include("quality.api.urls")),
    path("", include("ledger.api.urls")),
    path("", include("licensing.api.urls")),
    path("", include("provenance.api.urls")),
    path("", include("transparency.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("accounts/", include("accounts.urls")),
    path("quality/", include("quality.urls")),
    path("licensing/", include("licensing.urls")),
    path("provenance/", include("provenance.urls")),
    path("transparency/", include("transparency.urls")),
    path("", include("marketplace.urls")),
]

# Unmatched /api/ URLs answer in the API's JSON error format.
handler404 = "core.api.not_found"
