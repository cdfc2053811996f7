"""The canary pass: no page Acme's people can reach shows anything of Globex's.

Every text field of every row Globex owns (and of its people's accounts) gets a unique marker. Each
Acme persona signs in and follows every same-site link reachable from the home page (pagination
included, GET only); no response may contain a marker. The same crawl as Globex's own people must find
markers of every kind of content, so the pass cannot succeed by reaching nothing.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.core import validators
from django.db import models

from tests import tenancy_world

MARKER_PATTERN = re.compile(r"Zq\d{7}Xj")
MAX_PAGES_PER_PERSONA = 400

# How many pages each persona's crawl reaches at least with the world of tests/tenancy_world.py.
# (admin 64, manager 14, employee 8, author 48 when this was written).
MINIMUM_PAGES = {"admin": 50, "manager": 10, "employee": 6, "author": 35}

# Fields whose markers a Globex persona must see somewhere in its own crawl (proof the crawl reaches
# the pages that show each kind of content). Only an invitation's token and the organization's slug
# were never shown when this was written.
SHOWN_TO_THEIR_OWNERS = {
    "courses.Choice.feedback",
    "courses.Choice.text",
    "courses.Course.summary",
    "courses.Course.title",
    "courses.Lesson.body_html",
    "courses.Lesson.body_markdown",
    "courses.Lesson.title",
    "courses.Lesson.video_url",
    "courses.Program.description",
    "courses.Program.title",
    "courses.Question.explanation",
    "courses.Question.prompt",
    "courses.Question.title",
    "enrollments.Certificate.code",
    "enrollments.Certificate.course_title",
    "enrollments.Certificate.recipient_name",
    "followups.FollowUp.notes",
    "followups.FollowUp.prompt",
    "followups.FollowUp.reflection",
    "followups.FollowUp.reply",
    "followups.Review.notes",
    "notifications.Message.error",
    "notifications.Message.skip_reason",
    "notifications.Message.subject",
    "notifications.Message.to_email",
    "organizations.Invitation.email",
    "organizations.Invitation.name",
    "organizations.Membership.job_title",
    "organizations.Organization.customer_promise",
    "organizations.Organization.name",
    "organizations.Organization.vision",
    "organizations.ServiceStandard.behaviors",
    "organizations.ServiceStandard.code",
    "organizations.ServiceStandard.description",
    "organizations.ServiceStandard.title",
    "organizations.Team.name",
    "organizations.User.email",
    "organizations.User.name",
}

# Validators that any text satisfies once it has the right shape (see `_marker_for`); a field with any
# other validator (a time zone, say) keeps its value, because the code relies on it being valid.
_HARMLESS_VALIDATORS = (
    validators.MaxLengthValidator,
    validators.ProhibitNullCharactersValidator,
    validators.EmailValidator,
    validators.RegexValidator,  # slugs and URLs: the markers are valid slugs and URL parts
)


# Text fields too short to hold a marker, and why nothing in them could show another organization's text.
TOO_SHORT_FOR_A_MARKER = {
    "notifications.Message.window_weekdays": "ISO weekday digits of a sending window (at most 7)",
}


def _markable(field: models.Field) -> bool:
    if not isinstance(field, models.CharField | models.TextField) or field.primary_key or field.choices:
        return False
    if f"{field.model._meta.label}.{field.name}" in TOO_SHORT_FOR_A_MARKER:
        return False
    if field.name == "password":  # a hash no page shows; changing it would sign the person out
        return False
    return all(isinstance(validator, _HARMLESS_VALIDATORS) for validator in field.validators)


def _marker_for(field: models.Field, marker: str) -> str:
    if isinstance(field, models.EmailField):
        return f"{marker}@globex.test"
    if isinstance(field, models.URLField):
        return f"https://www.youtube.com/watch?v={marker}"
    return marker


def mark_text_fields(world: tenancy_world.World) -> dict[str, str]:
    """Give every text field of every row the world's organization owns a unique marker.

    Returns marker → "app.Model.field" it was written to.

    Also marks lists of strings in JSON fields (a standard's behaviors) and the accounts of the
    organization's people. String URL arguments of the world (tokens, codes) follow their rows.
    """
    counter = itertools.count(1)
    markers: dict[str, str] = {}
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    rows_by_model = dict(world.objects)
    rows_by_model[user_model] = [membership.user for membership in world.people.values()]
    renamed: dict[str, str] = {}
    for model, rows in rows_by_model.items():
        fields = [f for f in model._meta.concrete_fields if _markable(f)]
        lists = [f for f in model._meta.concrete_fields if isinstance(f, models.JSONField)]
        for row in rows:
            changes = {}
            for field in fields:
                marker = f"Zq{next(counter):07d}Xj"
                if field.max_length is not None and len(_marker_for(field, marker)) > field.max_length:
                    raise AssertionError(f"{model._meta.label}.{field.name} is too short for a marker")
                markers[marker] = f"{model._meta.label}.{field.name}"
                value = _marker_for(field, marker)
                old = getattr(row, field.attname)
                if isinstance(old, str) and old:
                    renamed[old] = value
                changes[field.attname] = value
            for field in lists:
                value = getattr(row, field.attname)
                if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
                    items = [f"Zq{next(counter):07d}Xj" for _ in value]
                    markers.update(dict.fromkeys(items, f"{model._meta.label}.{field.name}"))
                    changes[field.attname] = items
            if changes:
                model._default_manager.filter(pk=row.pk).update(**changes)
    world.url_kwargs = {key: renamed.get(value, value) for key, value in world.url_kwargs.items()}
    for membership in world.people.values():
        membership.refresh_from_db()
        membership.user.refresh_from_db()
    return markers


def markers_in(body: str) -> set[str]:
    return set(MARKER_PATTERN.findall(body))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _same_site(url: str) -> str | None:
    """The path and query of a link to this site, or None for another site, an anchor, a file."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
        return None
    if parts.path.startswith((settings.STATIC_URL, settings.MEDIA_URL)):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(client, *, start: str = "/") -> dict[str, object]:
    """Follow every same-site link from `start` (GET only); every response by URL."""
    seen: dict[str, object] = {}
    queue = deque([start])
    while queue and len(seen) < MAX_PAGES_PER_PERSONA:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response
        if response.status_code in (301, 302, 303, 307, 308):
            target = _same_site(urljoin(url, response["Location"]))
            if target:
                queue.append(target)
            continue
        if "html" not in response.get("Content-Type", ""):
            continue
        parser = _Links()
        parser.feed(response.content.decode(errors="replace"))
        for href in parser.hrefs:
            target = _same_site(urljoin(url, href))
            if target and target not in seen:
                queue.append(target)
    return seen


@pytest.fixture
def canary_worlds(db, notice_categories):
    acme, globex = tenancy_world.build_worlds()
    markers = mark_text_fields(globex)
    return acme, globex, markers


@pytest.mark.parametrize("persona", tuple(tenancy_world.PERSONAS))
def test_no_page_an_acme_persona_reaches_shows_globex_markers(persona, canary_worlds):
    acme, _, markers = canary_worlds

    responses = crawl(acme.client(persona))

    leaks = {
        url: sorted(markers_in(response.content.decode(errors="replace")) & markers.keys())
        for url, response in responses.items()
    }
    assert {url: found for url, found in leaks.items() if found} == {}
    errors = {url: response.status_code for url, response in responses.items() if response.status_code >= 500}
    assert errors == {}
    # Not vacuous: the crawl got past the home page into the persona's part of the product.
    ok_pages = [url for url, response in responses.items() if response.status_code == 200]
    assert len(ok_pages) >= MINIMUM_PAGES[persona], sorted(ok_pages)



def test_positive_control_globex_people_see_their_own_markers(canary_worlds):
    _, globex, markers = canary_worlds
    seen: set[str] = set()
    pages = 0

    for persona in tenancy_world.PERSONAS:
        for response in crawl(globex.client(persona)).values():
            pages += 1
            seen |= markers_in(response.content.decode(errors="replace"))

    # The markers are where the pages read: every kind of content shows to its own organization.
    assert seen <= markers.keys()
    shown = {markers[marker] for marker in seen}
    assert SHOWN_TO_THEIR_OWNERS <= shown, f"never shown in {pages} pages: {sorted(SHOWN_TO_THEIR_OWNERS - shown)}"
