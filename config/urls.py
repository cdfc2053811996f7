from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("author/", include("courses.urls")),
    path("", include("enrollments.urls")),
    path("", include("organizations.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
