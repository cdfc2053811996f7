"""Uploaded media (course covers): served by the web process with DEBUG off, or kept in object storage."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from config.media import media_image_sources, media_storage
from organizations.models import Role
from tests import factories
from tests.conftest import client_for


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 4), (200, 80, 40)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEBUG = False
    return settings.MEDIA_ROOT


def test_an_uploaded_cover_appears_and_is_served_with_debug_off(acme, media_root):
    # given an author who uploads a cover through the course form
    author = factories.member(acme, Role.ADMIN)
    course = factories.CourseFactory(organization=acme, title="Greeting guests")
    client = client_for(author)
    url = reverse("courses:course_edit", kwargs={"course_id": course.pk})
    image = _png()
    form = {"title": "Greeting guests", "summary": "", "estimated_minutes": 15, "pass_mark_percent": 80}
    response = client.post(url, {**form, "cover_image": SimpleUploadedFile("cover.png", image, "image/png")})
    assert response.status_code == 302

    # when the course page is shown and its image requested
    page = client.get(url).content.decode()
    src = re.search(r'<img src="([^"]+)" alt="" class="course-cover"', page).group(1)
    served = client.get(src)

    # then the image is served as an image, with its bytes, from MEDIA_ROOT
    assert src.startswith("/media/course-covers/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == image
    assert served["Cache-Control"] == "private, max-age=3600"

    # and nobody outside the organization gets it: another organization's member, or signed out
    outsider = factories.member(factories.OrganizationFactory(), Role.ADMIN)
    assert client_for(outsider).get(src).status_code == 404
    assert Client().get(src).status_code == 302  # to sign in, like every members' page


@pytest.mark.parametrize(
    "path",
    [
        "/media/course-covers/../../manage.py",
        "/media/course-covers/..%2f..%2fmanage.py",
        "/media/course-covers/%2e%2e/%2e%2e/config/settings/base.py",
        "/media/course-covers/missing.png",
        "/media/other/ok.png",
    ],
)
def test_nothing_outside_the_covers_or_missing_is_served(path, acme, media_root):
    (media_root / "other").mkdir(parents=True)
    (media_root / "other" / "ok.png").write_bytes(_png())

    assert client_for(factories.member(acme, Role.ADMIN)).get(path).status_code == 404


def test_only_images_are_served(acme, media_root):
    (media_root / "course-covers").mkdir(parents=True)
    (media_root / "course-covers" / "page.html").write_text("<script>alert(1)</script>")
    (media_root / "course-covers" / "ok.png").write_bytes(_png())
    factories.CourseFactory(organization=acme, cover_image="course-covers/page.html")
    factories.CourseFactory(organization=acme, cover_image="course-covers/ok.png")
    client = client_for(factories.member(acme))

    assert client.get("/media/course-covers/page.html").status_code == 404
    assert client.get("/media/course-covers/ok.png").status_code == 200


def test_with_a_bucket_the_default_storage_is_s3_and_csp_allows_its_domain():
    environ = {
        "MEDIA_S3_BUCKET": "covers",
        "MEDIA_S3_ENDPOINT_URL": "https://s3.example.net",
        "MEDIA_S3_REGION": "eu-west-1",
        "MEDIA_S3_ACCESS_KEY_ID": "key",
        "MEDIA_S3_SECRET_ACCESS_KEY": "secret",
    }

    config = media_storage(environ)
    storage = storages.create_storage(config)

    assert type(storage).__name__ == "S3Storage"
    assert storage.bucket_name == "covers" and storage.endpoint_url == "https://s3.example.net"
    assert storage.file_overwrite is False
    assert media_image_sources(environ) == ["https://s3.example.net"]
    assert media_image_sources({**environ, "MEDIA_S3_CUSTOM_DOMAIN": "media.example.net"}) == [
        "https://media.example.net"
    ]


def test_without_a_bucket_media_stay_on_the_filesystem():
    assert media_storage({})["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert media_image_sources({}) == []
