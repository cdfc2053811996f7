from django.conf import settings
from django.urls import include, path

from config.health import healthz
from courses.views import cover_image

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("", include("notifications.urls")),
    path("author/", include("courses.urls")),
    path("", include("enrollments.urls")),
    path("", include("followups.urls")),
    path("", include("organizations.urls")),
]

if settings.SERVE_MEDIA:
    # Only course covers are uploaded; the view checks they belong to the member's organization.
    urlpatterns += [path(f"{settings.MEDIA_URL.lstrip('/')}course-covers/<path:path>", cover_image, name="cover_image")]
