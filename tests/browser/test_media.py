"""End-to-end: an author uploads a course cover and sees it, served by the web process (DEBUG off),
on a phone and on a desktop, axe-checked."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, shot, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_an_uploaded_cover_is_shown(size, new_context, console, demo, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    assert not settings.DEBUG
    image = tmp_path / "cover.png"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 160), (20, 110, 100)).save(buffer, "PNG")
    image.write_bytes(buffer.getvalue())
    course = factories.CourseFactory(organization=demo.organization, title="With a cover")
    page = new_context(**(PHONE if size == "phone" else DESKTOP)).new_page()
    sign_in(page, demo.admin.user.email)

    page.goto(f"/author/courses/{course.pk}/")
    page.locator("input[name=cover_image]").set_input_files(str(image))
    page.get_by_role("button", name="Save details").click()

    cover = page.locator("img.course-cover")
    expect(cover).to_be_visible()
    assert cover.evaluate("img => img.complete && img.naturalWidth") == 320
    assert cover.get_attribute("src").startswith(settings.MEDIA_URL)
    shot(page, f"cover-{size}")
