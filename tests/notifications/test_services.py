"""The delivery ledger's services against PostgreSQL: enqueue, claim, send, sweep, windows, cap."""

from __future__ import annotations

import re
import smtplib
from datetime import UTC, datetime, time, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.test import override_settings

from notifications import services
from notifications.models import OPTED_OUT_REASON, EmailOptOut, Message, MessageStatus
from notifications.services import Draft, SendingWindow
from tests import factories

MONDAY_9_PARIS = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 in Paris, a Monday


def draft(key: str, user=None, **fields) -> Draft:
    defaults = {
        "category": "test-reminder",
        "to_email": user.email if user else "someone@example.com",
        "recipient_id": user.pk if user else None,
        "subject": f"Subject {key}",
        "body_text": f"Text {key}",
        "body_html": f"<p>HTML {key}</p>",
        "url": f"/items/{key}/",
    }
    defaults.update(fields)
    return Draft(dedup_key=key, **defaults)


@pytest.fixture
def dana(db):
    return factories.UserFactory(email="dana@acme.test", time_zone="Europe/Paris")


@pytest.fixture
def erin(db):
    return factories.UserFactory(email="erin@acme.test", time_zone="America/New_York")


def run(now=MONDAY_9_PARIS) -> services.BatchResult:
    return services.notifications_run(now=now)


def test_enqueue_is_idempotent_on_the_dedup_key(dana):
    assert services.messages_enqueue(drafts=[draft("a", dana), draft("b", dana)]) == 2
    assert services.messages_enqueue(drafts=[draft("a", dana), draft("c", dana)]) == 1
    assert sorted(Message.objects.values_list("dedup_key", flat=True)) == ["a", "b", "c"]


def test_each_due_message_is_sent_once_even_when_the_pipeline_runs_again(dana, erin):
    services.messages_enqueue(
        drafts=[draft("a", dana, category="test-receipt"), draft("b", erin, category="test-receipt")]
    )

    first = run()
    second = run()

    assert (first.sent, second.sent) == (2, 0)
    assert sorted(message.to[0] for message in mail.outbox) == ["dana@acme.test", "erin@acme.test"]
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def test_a_message_not_yet_due_waits(dana):
    services.messages_enqueue(drafts=[draft("later", dana, not_before=MONDAY_9_PARIS + timedelta(hours=1))])
    assert run().sent == 0
    assert run(MONDAY_9_PARIS + timedelta(hours=1)).sent == 1


def test_a_redelivered_batch_sends_nothing_twice(dana):
    services.messages_enqueue(drafts=[draft("a", dana, category="test-receipt")])
    claim = services.messages_claim_due(now=MONDAY_9_PARIS)
    (batch,) = claim.batches

    services.messages_send_batch(token=claim.token, ids=batch, now=MONDAY_9_PARIS)
    again = services.messages_send_batch(token=claim.token, ids=batch, now=MONDAY_9_PARIS)

    assert again.sent == 0 and len(mail.outbox) == 1


def test_a_batch_whose_lease_was_swept_and_claimed_again_sends_nothing(dana):
    # given a worker that claimed a batch and died
    services.messages_enqueue(drafts=[draft("a", dana, category="test-receipt")])
    stale = services.messages_claim_due(now=MONDAY_9_PARIS)
    later = MONDAY_9_PARIS + timedelta(seconds=services.setting("LEASE_SECONDS") + 1)
    # when the sweeper returns it and a new claim takes it
    assert services.messages_sweep_expired(now=later) == 1
    fresh = services.messages_claim_due(now=later)
    # then the old batch, redelivered, finds nothing of its own; the new one sends it once
    assert services.messages_send_batch(token=stale.token, ids=stale.batches[0], now=later).sent == 0
    assert services.messages_send_batch(token=fresh.token, ids=fresh.batches[0], now=later).sent == 1
    assert len(mail.outbox) == 1
    assert Message.objects.get().attempts == 1


def test_an_irrelevant_message_is_skipped_with_its_reason(dana, withdrawn_ids):
    services.messages_enqueue(drafts=[draft("done", dana, object_id=7), draft("open", dana, object_id=8)])
    withdrawn_ids.add(7)

    run()

    done = Message.objects.get(dedup_key="done")
    assert (done.status, done.skip_reason) == (MessageStatus.SKIPPED, "Already done.")
    assert [message.subject for message in mail.outbox] == ["Subject open"]


def test_a_deactivated_person_gets_nothing(dana):
    services.messages_enqueue(drafts=[draft("a", dana)])
    dana.is_active = False
    dana.save()

    run()

    assert Message.objects.get().skip_reason == "The person's account is deactivated."
    assert mail.outbox == []


def test_an_opted_out_category_is_not_emailed_but_stays_in_the_app(dana):
    services.email_opt_out_set(user_id=dana.pk, category="test-digest", enabled=False)
    services.messages_enqueue(drafts=[draft("digest", dana, category="test-digest"), draft("due", dana)])

    run()

    digest = Message.objects.get(dedup_key="digest")
    assert (digest.status, digest.skip_reason) == (MessageStatus.SKIPPED, OPTED_OUT_REASON)
    assert [message.subject for message in mail.outbox] == ["Subject due"]
    in_app = Message.objects.in_app_for(dana.pk, MONDAY_9_PARIS)
    assert sorted(in_app.values_list("dedup_key", flat=True)) == ["digest", "due"]


def test_mandatory_categories_cannot_be_turned_off(dana):
    with pytest.raises(ValueError):
        services.email_opt_out_set(user_id=dana.pk, category="test-reminder", enabled=False)
    assert not EmailOptOut.objects.exists()


def test_optional_mail_carries_a_one_click_unsubscribe_that_works_without_signing_in(client, dana):
    services.messages_enqueue(drafts=[draft("digest", dana, category="test-digest")])
    run()
    (email,) = mail.outbox
    link = email.extra_headers["List-Unsubscribe"].strip("<>")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and not EmailOptOut.objects.exists()  # a GET only asks
    response = client.post("/" + path, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert EmailOptOut.objects.filter(user=dana, category="test-digest").exists()


def test_a_tampered_unsubscribe_token_is_a_404(client, dana):
    token = services.unsubscribe_token(user_id=dana.pk, category="test-digest")
    assert client.post(f"/notifications/unsubscribe/{token[:-2]}xx/").status_code == 404
    mandatory = services.unsubscribe_token(user_id=dana.pk, category="test-reminder")
    assert client.post(f"/notifications/unsubscribe/{mandatory}/").status_code == 404
    assert not EmailOptOut.objects.exists()


def test_message_ids_are_deterministic_and_mail_has_text_and_html(dana):
    services.messages_enqueue(drafts=[draft("a", dana, category="test-receipt")])
    run()
    (email,) = mail.outbox
    assert email.extra_headers["Message-ID"] == services.message_id_for(["a"])
    assert email.body == "Text a"
    assert email.alternatives[0][1] == "text/html"


# --- Sending windows -------------------------------------------------------------------------------


def test_the_window_opens_in_the_recipients_own_time_zone():
    paris = SendingWindow("Europe/Paris")
    new_york = SendingWindow("America/New_York")
    saturday_noon_utc = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)

    assert paris.next_open(saturday_noon_utc) == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # Monday 08:00 CET
    assert new_york.next_open(saturday_noon_utc) == datetime(2026, 12, 7, 13, 0, tzinfo=UTC)  # 08:00 EST
    assert paris.next_open(MONDAY_9_PARIS) == MONDAY_9_PARIS  # open now: unchanged
    evening = datetime(2026, 12, 7, 17, 30, tzinfo=UTC)  # 18:30 in Paris, 12:30 in New York
    assert paris.next_open(evening) == datetime(2026, 12, 8, 7, 0, tzinfo=UTC)
    assert new_york.next_open(evening) == evening


def test_the_window_keeps_its_local_hour_across_a_daylight_saving_change():
    paris = SendingWindow("Europe/Paris")
    # Friday 27 March 2026 after hours (CET, UTC+1); clocks go forward on Sunday 29 March.
    friday_evening = datetime(2026, 3, 27, 19, 0, tzinfo=UTC)
    assert paris.next_open(friday_evening) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)  # Monday 08:00 CEST


def test_a_windowed_message_waits_for_the_window_and_is_deferred_if_it_arrives_late(dana):
    window = SendingWindow("Europe/Paris")
    saturday = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    services.messages_enqueue(drafts=[draft("a", dana, not_before=saturday, window=window)], now=saturday)
    message = Message.objects.get()
    assert message.not_before == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    assert message.visible_from == saturday  # in the app it shows when it became due

    # A claim that reaches the worker after hours (say, beat was down) defers instead of sending.
    Message.objects.update(not_before=saturday)
    result = run(saturday)
    assert (result.sent, result.deferred) == (0, 1)
    assert Message.objects.get().not_before == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    assert run(datetime(2026, 12, 7, 7, 0, tzinfo=UTC)).sent == 1


# --- Combining and the daily cap -------------------------------------------------------------------


def test_reminders_due_at_once_go_out_as_one_email(dana, erin):
    services.messages_enqueue(
        drafts=[draft("r1", dana), draft("r2", dana), draft("r3", dana), draft("e1", erin)]
        + [draft("x", dana, category="test-receipt")]
    )

    result = run()

    assert (result.sent, result.emails) == (5, 3)
    to_dana = sorted((m for m in mail.outbox if m.to == ["dana@acme.test"]), key=lambda m: m.subject)
    combined = next(m for m in to_dana if m.subject.startswith("3 reminders"))
    assert all(f"Text {key}" in combined.body for key in ("r1", "r2", "r3"))
    assert combined.extra_headers["Message-ID"] == services.message_id_for(["r1", "r2", "r3"])
    assert set(Message.objects.filter(dedup_key__in=["r1", "r2", "r3"]).values_list("message_id", flat=True)) == {
        services.message_id_for(["r1", "r2", "r3"])
    }


def test_the_daily_cap_counts_emails_and_defers_the_rest_to_the_next_window(dana):
    window = SendingWindow("Europe/Paris", time(8), time(18), "12345")
    for hour in range(4):
        at = MONDAY_9_PARIS + timedelta(hours=hour)
        services.messages_enqueue(drafts=[draft(f"r{hour}", dana, not_before=at, window=window, daily_cap=3)], now=at)
        run(at)

    assert len(mail.outbox) == 3
    fourth = Message.objects.get(dedup_key="r3")
    assert fourth.status == MessageStatus.PENDING
    assert fourth.not_before == datetime(2026, 12, 8, 7, 0, tzinfo=UTC)  # Tuesday 08:00 in Paris
    assert run(datetime(2026, 12, 8, 7, 0, tzinfo=UTC)).sent == 1


# --- SMTP failures -------------------------------------------------------------------------------------


def _failing_send(error):
    return mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=error)


def test_a_5xx_reply_is_recorded_as_failed_and_not_retried(dana):
    services.messages_enqueue(drafts=[draft("a", dana, category="test-receipt")])
    refused = smtplib.SMTPRecipientsRefused({dana.email: (550, b"5.1.1 No such user")})
    with _failing_send(refused):
        run()
    message = Message.objects.get()
    assert (message.status, message.error) == (MessageStatus.FAILED, "550 5.1.1 No such user")
    assert run(MONDAY_9_PARIS + timedelta(days=1)).sent == 0


def test_a_4xx_reply_is_retried_with_backoff_then_delivered(dana):
    services.messages_enqueue(drafts=[draft("a", dana, category="test-receipt")])
    with _failing_send(smtplib.SMTPDataError(451, b"4.3.0 Try again later")):
        run()
    message = Message.objects.get()
    assert (message.status, message.attempts, message.error) == (MessageStatus.PENDING, 1, "451 4.3.0 Try again later")
    assert message.not_before == MONDAY_9_PARIS + timedelta(seconds=30)

    assert run(MONDAY_9_PARIS + timedelta(seconds=29)).sent == 0
    assert run(MONDAY_9_PARIS + timedelta(seconds=30)).sent == 1
    assert len(mail.outbox) == 1


@override_settings(NOTIFICATIONS_MAX_ATTEMPTS=2)
def test_transient_failures_give_up_after_the_maximum_attempts(dana):
    services.messages_enqueue(drafts=[draft("a", dana, category="test-receipt")])
    with _failing_send(smtplib.SMTPServerDisconnected("Connection unexpectedly closed")):
        run()
        run(MONDAY_9_PARIS + timedelta(minutes=5))
    message = Message.objects.get()
    assert message.status == MessageStatus.FAILED
    assert message.error.startswith("Gave up after 2 attempts")


def test_claims_keep_a_persons_messages_in_one_batch(dana, erin):
    with override_settings(NOTIFICATIONS_BATCH_SIZE=3):
        drafts = [draft(f"d{i}", dana) for i in range(2)] + [draft(f"e{i}", erin) for i in range(2)]
        services.messages_enqueue(drafts=drafts)
        claim = services.messages_claim_due(now=MONDAY_9_PARIS)
    owners = [set(Message.objects.filter(pk__in=b).values_list("recipient_id", flat=True)) for b in claim.batches]
    assert sorted(map(sorted, owners)) == sorted([[dana.pk], [erin.pk]])


def test_two_claims_at_once_never_share_a_message(dana):
    services.messages_enqueue(drafts=[draft(f"m{i}", dana) for i in range(10)])
    first = services.messages_claim_due(now=MONDAY_9_PARIS, limit=6)
    second = services.messages_claim_due(now=MONDAY_9_PARIS)
    assert (first.count, second.count) == (6, 4)
    assert not set(sum(first.batches, [])) & set(sum(second.batches, []))


@pytest.mark.parametrize("synchronous", [False, True])
def test_sends_are_recorded_without_waiting_for_the_disk_unless_asked(dana, erin, synchronous):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.messages_enqueue(
        drafts=[draft("a", dana, category="test-receipt"), draft("b", erin, category="test-receipt")]
    )

    with override_settings(NOTIFICATIONS_SYNCHRONOUS_COMMIT=synchronous), CaptureQueriesContext(connection) as queries:
        assert run().sent == 2

    statements = [query["sql"] for query in queries.captured_queries]
    records = [i for i, sql in enumerate(statements) if "SET status = 'sent'" in sql]
    assert len(records) == 2
    switches = [i for i, sql in enumerate(statements) if "synchronous_commit" in sql]
    if synchronous:
        assert switches == []
    else:  # turned off around the sends, and back to the server's default after
        assert switches[0] < records[0] and records[-1] < switches[1] and len(switches) == 2
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


def test_each_email_is_recorded_through_the_primary_key_however_many_are_claimed(db):
    """The per-email record and the releases must not scan every claimed row.

    Statistics are taken while nothing is claimed, as autovacuum usually finds the table; then a
    claim makes 300 rows claimed. An index whose condition the record implies (the old one, WHERE
    status = 'claimed') looked empty to the planner and was preferred to the primary key, so each
    email scanned all claimed rows (bench/README.md, delivery ledger).
    """
    from django.db import connection

    services.messages_enqueue(
        drafts=[draft(f"m{i}", category="test-receipt", to_email=f"p{i}@example.com") for i in range(300)]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Message._meta.db_table}")
    plans: list[str] = []

    def explain_changes_by_id(execute, sql, params, many, context):
        # Changes to given messages (not the claim's nor the sweeper's, which read their own indexes).
        if sql.startswith("UPDATE") and re.search(r'(\bid|"id") IN \(%s', sql):
            context["cursor"].execute("EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in context["cursor"].fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain_changes_by_id):
        assert run().sent == 300

    assert len(plans) == 302  # each email's record and each batch's lease renewal (250 + 50)
    assert not [plan for plan in plans if "message_leased" in plan]
    records = [plan for plan in plans if "ANY (" not in plan]  # one id each
    assert len(records) == 300 and all("notifications_message_pkey" in plan for plan in records)
