"""The person's own notification pages: the list, opening a notice, mark all read, the header count, preferences.

dana and erin are two people (no organization needed: these are a person's own pages). erin must never
see, open or mark dana's notices.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications import selectors, services
from notifications.models import OPTED_OUT_REASON, EmailOptOut, Message
from notifications.services import Draft
from tests import factories
from tests.conftest import client_for

LIST = reverse("notifications:list")
MARK_ALL = reverse("notifications:mark_all_read")
PREFERENCES = reverse("notifications:preferences")
LEARNER_PAGE_BUDGET = 10


@pytest.fixture
def dana(db):
    return factories.UserFactory(email="dana@acme.test", name="Dana Desk", time_zone="Europe/Paris")


@pytest.fixture
def erin(db):
    return factories.UserFactory(email="erin@acme.test", name="Erin Else")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def notice(key: str, user, *, hours_ago: float = 1, category: str = "test-digest", **fields) -> Message:
    """A notice visible since `hours_ago` (negative: not visible yet), stored through the ledger."""
    draft = Draft(
        dedup_key=key, category=category, to_email=user.email, recipient_id=user.pk, subject=f"Subject {key}",
        body_text=f"Text {key}", url=f"/items/{key}/", not_before=timezone.now() - timedelta(hours=hours_ago),
        tenant_id=7,
    )
    for name, value in fields.items():
        setattr(draft, name, value)
    services.messages_enqueue(drafts=[draft])
    return Message.objects.get(dedup_key=key)


def subjects(response) -> list[str]:
    return re.findall(r'class="notice-subject">([^<]+)<', response.content.decode())


def unread_subjects(response) -> list[str]:
    return re.findall(r'is-unread">\s*<a[^>]*>\s*<span class="badge notice-new">Unread</span> '
                      r'<span class="notice-subject">([^<]+)<', response.content.decode())


def header_label(response) -> str:
    body = response.content.decode()
    match = re.search(r'class="notice-bell".*?<span class="visually-hidden">([^<]+)</span>', body, re.S)
    assert match, "no notifications link in the header"
    return match.group(1)


# --- The list ---------------------------------------------------------------------------------------


def test_the_list_shows_the_persons_own_visible_notices_newest_first_unread_marked(dana, erin):
    notice("old", dana, hours_ago=5)
    notice("new", dana, hours_ago=1, category="test-reminder")
    read = notice("read", dana, hours_ago=3)
    Message.objects.filter(pk=read.pk).update(read_at=timezone.now())
    notice("later", dana, hours_ago=-2)  # planned for later: not visible yet
    notice("receipt", dana, category="test-receipt")  # email only, not in the app
    notice("erins", erin)

    response = signed_in(dana).get(LIST)

    assert response.status_code == 200
    assert subjects(response) == ["Subject new", "Subject read", "Subject old"]
    assert unread_subjects(response) == ["Subject new", "Subject old"]
    body = response.content.decode()
    assert "Test reminders" in body and "Test digest" in body  # the category labels
    assert "Subject erins" not in body


def test_a_notice_withdrawn_as_irrelevant_leaves_the_list_but_an_opted_out_one_stays(dana, withdrawn_ids):
    notice("done", dana, category="test-reminder", object_id=1)
    notice("digest", dana)
    withdrawn_ids.add(1)
    services.email_opt_out_set(user_id=dana.pk, category="test-digest", enabled=False)
    services.notifications_run()

    assert dict(Message.objects.values_list("dedup_key", "skip_reason")) == {
        "done": "Already done.", "digest": OPTED_OUT_REASON,
    }
    assert subjects(signed_in(dana).get(LIST)) == ["Subject digest"]


def test_the_list_is_paginated(dana):
    for number in range(25):
        notice(f"n{number:02}", dana, hours_ago=number + 1)
    client = signed_in(dana)

    first, second = client.get(LIST), client.get(LIST, {"page": 2})

    assert subjects(first) == [f"Subject n{number:02}" for number in range(20)]
    assert subjects(second) == [f"Subject n{number:02}" for number in range(20, 25)]
    assert "Older →" in first.content.decode() and "← Newer" in second.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(dana):
    mine = notice("mine", dana)
    client = Client()

    for url in (LIST, PREFERENCES, reverse("notifications:open", args=[mine.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert client.post(MARK_ALL).status_code == 302
    assert Message.objects.get(pk=mine.pk).read_at is None


# --- Opening a notice -------------------------------------------------------------------------------


def test_opening_a_notice_marks_it_read_and_goes_to_its_item(dana):
    mine = notice("mine", dana)
    client = signed_in(dana)

    response = client.get(reverse("notifications:open", args=[mine.pk]))
    again = client.get(reverse("notifications:open", args=[mine.pk]))

    assert response.status_code == again.status_code == 302
    assert response["Location"] == again["Location"] == "/items/mine/"
    first_read = Message.objects.get(pk=mine.pk).read_at
    assert first_read is not None


@pytest.mark.parametrize(
    "url", ["https://evil.example/phish", "//evil.example/phish", "/\\evil.example", "javascript:alert(1)", ""]
)
def test_a_notice_never_sends_anyone_off_the_site(dana, url):
    mine = notice("mine", dana, url=url)

    response = signed_in(dana).get(reverse("notifications:open", args=[mine.pk]))

    assert response.status_code == 302 and response["Location"] == LIST
    assert Message.objects.get(pk=mine.pk).read_at is not None


def test_another_persons_notice_is_not_found_and_stays_unread(dana, erin):
    danas = notice("danas", dana)
    later = notice("later", erin, hours_ago=-1)  # erin's own, not visible yet
    client = signed_in(erin)

    for method in ("get", "post"):
        assert getattr(client, method)(reverse("notifications:open", args=[danas.pk])).status_code == 404
    assert client.get(reverse("notifications:open", args=[later.pk])).status_code == 404
    assert client.get(reverse("notifications:open", args=[10**9])).status_code == 404
    assert Message.objects.get(pk=danas.pk).read_at is None


# --- Mark all as read --------------------------------------------------------------------------------


def test_mark_all_read_touches_only_the_persons_own_visible_notices_and_twice_is_harmless(dana, erin):
    notice("a", dana)
    notice("b", dana, category="test-reminder")
    notice("future", dana, hours_ago=-24)  # not seen yet: stays unread for when it shows
    notice("erins", erin)
    client = signed_in(dana)

    first = client.post(MARK_ALL, follow=True)
    second = client.post(MARK_ALL, follow=True)

    unread = set(Message.objects.filter(read_at__isnull=True).values_list("dedup_key", flat=True))
    assert unread == {"future", "erins"}
    assert "2 notifications marked as read." in first.content.decode()
    assert "All your notifications were already read." in second.content.decode()
    assert client.get(MARK_ALL).status_code == 405


def test_the_service_marks_only_visible_notices(dana):
    notice("now", dana)
    notice("future", dana, hours_ago=-1)

    assert services.messages_mark_read(user_id=dana.pk) == 1
    assert services.messages_mark_read(user_id=dana.pk, ids=list(Message.objects.values_list("pk", flat=True))) == 0


# --- The header count --------------------------------------------------------------------------------


def test_the_header_count_updates_after_marking_read(dana):
    first = notice("first", dana)
    notice("second", dana)
    notice("third", dana)
    client = signed_in(dana)

    assert header_label(client.get(LIST)) == "3 unread notifications"
    client.get(reverse("notifications:open", args=[first.pk]))
    assert header_label(client.get(LIST)) == "2 unread notifications"
    client.post(MARK_ALL)
    page = client.get(LIST)
    assert header_label(page) == "Notifications"
    assert 'class="badge notice-count"' not in page.content.decode()


def test_the_header_count_is_cached_for_a_short_time_and_costs_no_query_when_warm(dana):
    notice("first", dana)
    client = signed_in(dana)
    preferences_page = client.get(PREFERENCES)  # a page that counts nothing itself
    assert header_label(preferences_page) == "1 unread notification"

    notice("second", dana)  # a worker adds one: the header catches up when the count expires
    with CaptureQueriesContext(connection) as warm:
        assert header_label(client.get(PREFERENCES)) == "1 unread notification"
    selectors.unread_count_forget(user_id=dana.pk)  # what the short expiry (UNREAD_COUNT_SECONDS) does
    with CaptureQueriesContext(connection) as cold:
        assert header_label(client.get(PREFERENCES)) == "2 unread notifications"

    assert selectors.UNREAD_COUNT_SECONDS <= 60
    assert len(ledger_queries(cold)) == 1 and ledger_queries(warm) == []
    assert len(cold.captured_queries) == len(warm.captured_queries) + 1


def ledger_queries(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if "notifications_message" in query["sql"]]


def test_a_warm_learner_page_does_not_query_the_ledger(carol):
    """The header count must not cost every page a query (the learner pages' budget, issue 13)."""
    notice("for-carol", carol.user)
    client = client_for(carol)
    home = reverse("enrollments:home")
    assert header_label(client.get(home)) == "1 unread notification"

    with CaptureQueriesContext(connection) as warm:
        assert header_label(client.get(home)) == "1 unread notification"

    assert ledger_queries(warm) == []


def test_signed_out_pages_have_no_notifications_link(client):
    response = client.get(reverse("account_login"))

    assert 'class="notice-bell"' not in response.content.decode()


def test_the_list_costs_the_same_queries_at_two_sizes(dana, erin):
    client = signed_in(dana)
    counts = []
    for size in (3, 60):
        for number in range(len(counts) and 3, size):
            notice(f"d{number}", dana, hours_ago=number + 1)
            notice(f"e{number}", erin, hours_ago=number + 1)
        client.get(LIST)  # warm: the header count is cached
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST)
        assert response.status_code == 200 and len(subjects(response)) == min(size, 20)
        counts.append(len(queries.captured_queries))

    assert counts[0] == counts[1] <= LEARNER_PAGE_BUDGET, counts


# --- Preferences --------------------------------------------------------------------------------------


def test_preferences_list_optional_switches_and_mandatory_categories_as_always_on(dana):
    services.email_opt_out_set(user_id=dana.pk, category="test-digest", enabled=False)

    body = signed_in(dana).get(PREFERENCES).content.decode()

    checkbox = re.search(r'<input type="checkbox" name="email" value="test-digest"[^>]*>', body).group(0)
    assert "checked" not in checkbox
    assert 'value="test-reminder"' not in body  # mandatory: no switch
    always = body.split('id="always-heading"')[1]
    assert "Test reminders" in always and "Always on" in always and "Test receipt" in always


def test_preferences_save_in_one_post_and_the_opt_out_takes_effect_on_the_next_send(dana):
    client = signed_in(dana)

    response = client.post(PREFERENCES, {"email": []}, follow=True)  # test-digest unticked

    assert "Your email preferences are saved." in response.content.decode()
    assert EmailOptOut.objects.filter(user=dana, category="test-digest").exists()  # (and the app's optional ones)
    notice("digest-1", dana, hours_ago=0)
    services.notifications_run()
    assert mail.outbox == []
    assert Message.objects.get(dedup_key="digest-1").skip_reason == OPTED_OUT_REASON

    client.post(PREFERENCES, {"email": ["test-digest"]})
    client.post(PREFERENCES, {"email": ["test-digest"]})  # twice: still one state
    notice("digest-2", dana, hours_ago=0)
    services.notifications_run()
    assert [message.subject for message in mail.outbox] == ["Subject digest-2"]
    assert not EmailOptOut.objects.filter(user=dana, category="test-digest").exists()


def test_preferences_refuse_a_mandatory_or_unknown_category_and_change_nothing(dana):
    client = signed_in(dana)

    response = client.post(PREFERENCES, {"email": ["test-digest", "test-reminder"]})

    assert response.status_code == 200
    assert "could not be saved" in response.content.decode()
    assert not EmailOptOut.objects.exists()


def test_the_unsubscribe_page_links_to_the_preferences(client, dana):
    token = services.unsubscribe_token(user_id=dana.pk, category="test-digest")
    url = reverse("notifications:unsubscribe", args=[token])

    assert f'href="{PREFERENCES}"' in client.get(url).content.decode()
    assert f'href="{PREFERENCES}"' in client.post(url).content.decode()
