"""The delivery log: an admin's view of the organization's messages in the notifications ledger.

alice is Acme's admin, bob a manager, carol an employee; charlie is Globex's admin and must never see
Acme's messages (nor alice Globex's).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import OPTED_OUT_REASON, Message, MessageStatus
from notifications.services import Draft, messages_enqueue
from organizations import selectors
from tests.conftest import client_for

LOG = reverse("organizations:delivery_log")
MANAGER_PAGE_BUDGET = 20
NOON = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("notice_categories")


def message(key: str, membership, *, category: str = "sample-news", organization=None, **fields) -> Message:
    user = membership.user
    messages_enqueue(
        drafts=[
            Draft(
                dedup_key=key, category=category, to_email=user.email, recipient_id=user.pk,
                tenant_id=(organization or membership.organization).pk, subject=f"Subject {key}", body_text="Body",
                not_before=NOON,
            )
        ],
        now=NOON,
    )
    if fields:
        Message.objects.filter(dedup_key=key).update(**fields)
    return Message.objects.get(dedup_key=key)


def rows(response) -> list[str]:
    return re.findall(r'<th scope="row">Subject ([^<]+)</th>', response.content.decode())


@pytest.fixture
def acme_log(alice, bob, carol):
    message("carol-news", carol, status=MessageStatus.SENT, sent_at=NOON + timedelta(minutes=1))
    message("carol-skipped", carol, status=MessageStatus.SKIPPED, skip_reason=OPTED_OUT_REASON)
    message("bob-reminder", bob, category="sample-reminder", status=MessageStatus.FAILED, attempts=1,
            error="550 No such mailbox")
    message("bob-retry", bob, category="sample-reminder", attempts=2, error="451 Try again later")
    message("alice-news", alice)


def test_the_log_shows_the_organizations_messages_with_their_fate(alice, charlie, acme_log):
    message("globex-secret", charlie)

    response = client_for(alice).get(LOG)

    assert response.status_code == 200
    assert sorted(rows(response)) == ["alice-news", "bob-reminder", "bob-retry", "carol-news", "carol-skipped"]
    body = response.content.decode()
    assert "globex" not in body.lower()
    assert OPTED_OUT_REASON in body and "550 No such mailbox" in body and "451 Try again later" in body
    assert "Training news" in body and "Due-date reminders" in body  # category labels
    assert "Retrying" in body and "Failed" in body and "Skipped" in body


def test_times_are_shown_in_the_admins_time_zone(alice, carol):
    alice.user.time_zone = "America/New_York"
    alice.user.save(update_fields=["time_zone"])
    message("sent", carol, status=MessageStatus.SENT, sent_at=NOON)

    body = client_for(alice).get(LOG).content.decode()

    assert "Sent <time datetime=\"2026-12-07T07:00:00-05:00\">7 Dec 2026, 07:00 EST</time>" in body


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"q": "carol"}, ["carol-news", "carol-skipped"]),
        ({"q": "Bob Manager"}, ["bob-reminder", "bob-retry"]),  # the recipient's name
        ({"q": "ALICE@ACME"}, ["alice-news"]),  # the email, any case
        ({"category": "sample-reminder"}, ["bob-reminder", "bob-retry"]),
        ({"status": "skipped"}, ["carol-skipped"]),
        ({"status": "failed", "q": "bob"}, ["bob-reminder"]),
        ({"status": "pending"}, ["alice-news", "bob-retry"]),
        ({"q": "nobody"}, []),
        ({"category": "no-such-category"}, ["alice-news", "bob-reminder", "bob-retry", "carol-news", "carol-skipped"]),
    ],
)
def test_filters(query, expected, alice, acme_log):
    response = client_for(alice).get(LOG, query)

    assert response.status_code == 200
    assert sorted(rows(response)) == expected


def test_an_unknown_filter_value_is_a_field_error_and_is_left_out(alice, acme_log):
    body = client_for(alice).get(LOG, {"category": "no-such-category", "status": "bogus"}).content.decode()

    assert body.count('class="field-error"') == 2


def test_another_organizations_admin_sees_none_of_it(charlie, acme_log):
    response = client_for(charlie).get(LOG, {"q": "acme"})

    assert response.status_code == 200 and rows(response) == []
    assert rows(client_for(charlie).get(LOG)) == []


def test_only_admins_may_open_the_log(bob, carol, client):
    assert client_for(bob).get(LOG).status_code == 404
    assert client_for(carol).get(LOG).status_code == 404
    assert client.get(LOG).status_code == 302  # signed out: to sign in


def test_the_selector_is_scoped_to_the_acting_membership(alice, charlie, acme_log):
    message("globex-one", charlie)

    assert {m.dedup_key for m in selectors.delivery_log(membership=charlie)} == {"globex-one"}
    assert "globex-one" not in {m.dedup_key for m in selectors.delivery_log(membership=alice)}


def test_the_log_is_paginated_and_pages_keep_the_filters(alice, carol):
    for number in range(55):
        message(f"n{number:02}", carol, created_at=NOON + timedelta(seconds=number))
    client = client_for(alice)

    first = client.get(LOG, {"q": "carol"})
    second = client.get(LOG, {"q": "carol", "page": 2})

    assert rows(first) == [f"n{number:02}" for number in range(54, 4, -1)]
    assert rows(second) == [f"n{number:02}" for number in range(4, -1, -1)]
    assert 'href="?q=carol&amp;page=2"' in first.content.decode()


def test_the_settings_page_links_to_the_log(alice):
    assert f'href="{LOG}"' in client_for(alice).get(reverse("organizations:settings")).content.decode()


def test_the_log_costs_the_same_queries_at_two_sizes(alice, bob, carol):
    client = client_for(alice)
    counts = []
    for size in (3, 60):
        for number in range(len(counts) and 3, size):
            message(f"c{number}", carol, status=MessageStatus.SENT, sent_at=NOON)
            message(f"b{number}", bob, category="sample-reminder", status=MessageStatus.FAILED, error="550")
        client.get(LOG)  # warm: the header's unread count is cached
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LOG)
        assert len(rows(response)) == min(2 * size, 50)
        counts.append(len(queries.captured_queries))

    assert counts[0] == counts[1] <= MANAGER_PAGE_BUDGET, counts
