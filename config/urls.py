from django.conf import settings
from django.urls import include, path

from config.health import healthz
from config.media import serve_media

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("author/", include("courses.urls")),
    path("", include("enrollments.urls")),
    path("", include("organizations.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [path(f"{settings.MEDIA_URL.lstrip('/')}<path:path>", serve_media, name="media")]
