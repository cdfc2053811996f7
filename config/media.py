"""Where uploaded media (course covers) live and how they are served.

Two ways, chosen by environment variables (README, "Configuration"):

- **Object storage** when `MEDIA_S3_BUCKET` is set: django-storages' S3 backend (AWS S3 or any
  S3-compatible service through `MEDIA_S3_ENDPOINT_URL`). Files are written there and their URLs
  point there (signed unless `MEDIA_S3_CUSTOM_DOMAIN` names a public domain). This is the way for
  more than one web host: nothing is kept on a host's disk.
- **The web process** otherwise (`DJANGO_SERVE_MEDIA`, on by default when no bucket is set): a course
  cover is served by `courses.views.cover_image` to members of the course's organization only (a
  404 for anyone else), through `media_file_response`, DEBUG on or off. Django's `static.serve` is
  documented as unfit for production; this view is the small part of it we need, with a safe path
  join, a content type only for images, and caching headers. Whitenoise cannot do it: it indexes
  files when the process starts, and covers are uploaded while it runs.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404
from django.utils._os import safe_join

FILESYSTEM = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# Only what the product uploads: a media URL never serves anything a browser would run.
SERVED_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def media_storage(environ: Mapping[str, str]) -> dict:
    """The STORAGES["default"] entry for these environment variables."""
    bucket = environ.get("MEDIA_S3_BUCKET", "")
    if not bucket:
        return FILESYSTEM
    options = {
        "bucket_name": bucket,
        "endpoint_url": environ.get("MEDIA_S3_ENDPOINT_URL") or None,
        "region_name": environ.get("MEDIA_S3_REGION") or None,
        "access_key": environ.get("MEDIA_S3_ACCESS_KEY_ID") or None,
        "secret_key": environ.get("MEDIA_S3_SECRET_ACCESS_KEY") or None,
        "custom_domain": environ.get("MEDIA_S3_CUSTOM_DOMAIN") or None,
        "location": environ.get("MEDIA_S3_PREFIX", "media"),
        "file_overwrite": False,
        "default_acl": None,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def media_image_sources(environ: Mapping[str, str]) -> list[str]:
    """Extra CSP img-src entries the media storage needs (the bucket's address), if any."""
    if not environ.get("MEDIA_S3_BUCKET"):
        return []
    if environ.get("MEDIA_S3_CUSTOM_DOMAIN"):
        return [f"https://{environ['MEDIA_S3_CUSTOM_DOMAIN']}"]
    endpoint = environ.get("MEDIA_S3_ENDPOINT_URL")
    return [endpoint.rstrip("/")] if endpoint else ["https://*.amazonaws.com"]


def media_file_response(path: str) -> FileResponse:
    """One uploaded image under MEDIA_ROOT, cached by the browser only; anything else is a 404.

    Who may see the file is the caller's decision (courses.views.cover_image checks the organization).
    """
    try:
        full_path = Path(safe_join(settings.MEDIA_ROOT, path))
    except SuspiciousFileOperation:
        raise Http404("Outside the media directory.") from None
    content_type, _ = mimetypes.guess_type(full_path.name)
    if content_type not in SERVED_TYPES or not full_path.is_file():
        raise Http404("No such media file.")
    response = FileResponse(full_path.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
