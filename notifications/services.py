"""The delivery ledger's services: enqueue, claim, send, sweep (DESIGN.md, "plan, claim, send, sweep").

Nothing else in the project sends email: apps plan `Draft`s and enqueue them here. Postgres is the
source of truth; Redis only carries batches of ids for a few seconds. The only duplicate the design
allows is a crash between the SMTP server accepting a message and the database recording it.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError, transaction
from django.db import connection as db_connection
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from notifications import categories
from notifications.models import OPTED_OUT_REASON, EmailOptOut, Message, MessageStatus

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
CLAIM_CHUNK = 5_000  # dedup keys per query: well under every database's parameter limit


def setting(name: str) -> int:
    """The ledger's tunables (settings.NOTIFICATIONS_<NAME>), with their defaults."""
    defaults = {
        "LEASE_SECONDS": 300, "CLAIM_LIMIT": 50_000, "BATCH_SIZE": 250, "MAX_ATTEMPTS": 8, "RETRY_SECONDS": 30,
        "SYNCHRONOUS_COMMIT": False,
    }  # fmt: skip
    return int(getattr(settings, f"NOTIFICATIONS_{name}", defaults[name]))


# --- Sending windows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendingWindow:
    """Hours on given weekdays, in the recipient's own time zone, when optional mail may go out."""

    time_zone: str
    start: time = time(8)
    end: time = time(18)
    weekdays: str = "12345"  # ISO weekdays, Monday = 1

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(zoneinfo.ZoneInfo(self.time_zone))
        return str(local.isoweekday()) in self.weekdays and self.start <= local.time() < self.end

    def next_open(self, at: datetime) -> datetime:
        """`at` if the window is open then, else the next moment it opens (in UTC).

        Local opening times are built from the calendar date, so a daylight-saving change between
        `at` and the opening moves the UTC instant, not the local hour.
        """
        if self.contains(at):
            return at
        zone = zoneinfo.ZoneInfo(self.time_zone)
        local = at.astimezone(zone)
        for offset in range(8):
            day: date = local.date() + timedelta(days=offset)
            opening = datetime.combine(day, self.start, tzinfo=zone)
            if str(day.isoweekday()) in self.weekdays and opening > local:
                return opening.astimezone(zoneinfo.ZoneInfo("UTC"))
        raise ValueError(f"The sending window {self} never opens.")


def _window_of(message: Message) -> SendingWindow | None:
    if message.window_start is None or message.window_end is None:
        return None
    return SendingWindow(message.time_zone, message.window_start, message.window_end, message.window_weekdays)


# --- Enqueue --------------------------------------------------------------------------------------


@dataclass
class Draft:
    """A message as planned by the app that owns its category; `messages_enqueue` stores it."""

    dedup_key: str
    category: str
    to_email: str
    subject: str
    body_text: str
    body_html: str = ""
    recipient_id: int | None = None
    tenant_id: int | None = None
    object_id: int | None = None
    url: str = ""
    not_before: datetime | None = None
    window: SendingWindow | None = None
    daily_cap: int | None = None
    time_zone: str = field(default="")


def message_render(template_prefix: str, context: dict, *, time_zone: str = "UTC") -> tuple[str, str, str]:
    """Render `<prefix>-subject.txt`, `-body.txt` and `-body.html` in the recipient's time zone."""
    with timezone.override(zoneinfo.ZoneInfo(time_zone)):
        subject = " ".join(render_to_string(f"{template_prefix}-subject.txt", context).split())
        text = render_to_string(f"{template_prefix}-body.txt", context)
        html = render_to_string(f"{template_prefix}-body.html", context)
    return subject, text, html


def dedup_keys_existing(keys: Iterable[str]) -> set[str]:
    """Which of these dedup keys are already in the ledger (planners skip rendering those)."""
    keys = list(keys)
    found: set[str] = set()
    for start in range(0, len(keys), CLAIM_CHUNK):
        chunk = keys[start : start + CLAIM_CHUNK]
        found.update(Message.objects.filter(dedup_key__in=chunk).values_list("dedup_key", flat=True))
    return found


def message_id_for(keys: Sequence[str]) -> str:
    """A deterministic RFC 5322 Message-ID: the same message (or combination) always has the same one."""
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:40]
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{digest}@{domain}>"


def messages_enqueue(*, drafts: Iterable[Draft], now: datetime | None = None, send_now: bool = False) -> int:
    """Store drafts in the ledger; a dedup key already there is left alone. Returns how many were new.

    One multi-row `INSERT … ON CONFLICT DO NOTHING` per thousand drafts, so planning the same
    message twice, or from two processes at once, stores it once. A draft with a sending window
    gets its `not_before` moved to the window's next opening. With `send_now` (invitations,
    sign-in mail: a person is waiting for it) a worker is asked to send these at once after commit;
    if that request is lost the dispatcher still sends them within a minute.
    """
    now = now or timezone.now()
    rows = []
    for draft in drafts:
        not_before = draft.not_before or now
        window = draft.window
        if window is not None:
            not_before = window.next_open(not_before)
        rows.append(
            Message(
                dedup_key=draft.dedup_key,
                category=draft.category,
                recipient_id=draft.recipient_id,
                to_email=draft.to_email,
                tenant_id=draft.tenant_id,
                object_id=draft.object_id,
                subject=draft.subject[:300],
                body_text=draft.body_text,
                body_html=draft.body_html,
                url=draft.url,
                message_id=message_id_for([draft.dedup_key]),
                not_before=not_before,
                visible_from=draft.not_before or now,
                time_zone=(window.time_zone if window else draft.time_zone) or "UTC",
                window_start=window.start if window else None,
                window_end=window.end if window else None,
                window_weekdays=window.weekdays if window else "",
                daily_cap=draft.daily_cap,
                created_at=now,
            )
        )
    if not rows:
        return 0
    existing = dedup_keys_existing(row.dedup_key for row in rows)
    Message.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    if send_now:
        from notifications import tasks

        keys = [row.dedup_key for row in rows]
        transaction.on_commit(lambda: _request_send_now(tasks, keys))
    return len({row.dedup_key for row in rows} - existing)


def _request_send_now(tasks, keys: list[str]) -> None:
    try:
        tasks.notifications_send_now.delay(keys)
    except Exception:  # the broker is down: the row is safe in the ledger and beat sends it
        logger.warning("notifications: could not ask a worker to send %s now", keys, exc_info=True)


# --- Claim and sweep ------------------------------------------------------------------------------


@dataclass
class Claim:
    token: uuid.UUID
    batches: list[list[int]]

    @property
    def count(self) -> int:
        return sum(len(batch) for batch in self.batches)


def messages_claim_due(
    *, now: datetime | None = None, limit: int | None = None, dedup_keys: Sequence[str] | None = None
) -> Claim:
    """Claim due pending messages in one short transaction and split them into batches for workers.

    One statement, `WITH due AS MATERIALIZED (SELECT … LIMIT n FOR UPDATE SKIP LOCKED) UPDATE …
    WHERE status = 'pending' AND id IN (SELECT pk FROM due) RETURNING …`: on PostgreSQL two
    dispatchers never wait on each other; on SQLite (no row locks) the conditional update still
    gives each row to one claimer. The selection is materialized: as a plain `IN (subquery)` the
    planner may run it once per row updated, and the LIMIT no longer limits. A person's messages
    stay in one batch, so the worker can combine reminders due at once and apply the daily cap.
    """
    now = now or timezone.now()
    limit = limit or setting("CLAIM_LIMIT")
    token = uuid.uuid4()
    lease_until = now + timedelta(seconds=setting("LEASE_SECONDS"))
    with transaction.atomic():
        due = Message.objects.filter(status=MessageStatus.PENDING, not_before__lte=now)
        if dedup_keys is not None:
            due = due.filter(dedup_key__in=list(dedup_keys))
        due = due.order_by("not_before", "id")
        if db_connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        # Written in SQL around the queryset's own: the ids never travel to Python and back (100,000
        # of them made the claim three times slower, bench/notifications.py).
        due_sql, due_params = due.values("pk")[:limit].query.sql_with_params()
        table = db_connection.ops.quote_name(Message._meta.db_table)
        field = Message._meta.get_field
        with db_connection.cursor() as cursor:
            cursor.execute(
                f"WITH due AS MATERIALIZED ({due_sql}) "  # noqa: S608 (no input)
                f"UPDATE {table} SET status = %s, claim_token = %s, lease_expires_at = %s "
                "WHERE status = %s AND id IN (SELECT pk FROM due) RETURNING id, recipient_id, to_email",
                [
                    *due_params,
                    MessageStatus.CLAIMED,
                    field("claim_token").get_db_prep_value(token, db_connection),
                    field("lease_expires_at").get_db_prep_value(lease_until, db_connection),
                    MessageStatus.PENDING,
                ],
            )
            rows = cursor.fetchall()
    rows.sort(key=lambda row: row[0])
    return Claim(token=token, batches=_batches_by_person(rows, setting("BATCH_SIZE")))


def _batches_by_person(rows: list[tuple[int, int | None, str]], size: int) -> list[list[int]]:
    by_person: dict[object, list[int]] = defaultdict(list)
    for pk, recipient_id, to_email in rows:
        by_person[recipient_id or to_email.lower()].append(pk)
    batches: list[list[int]] = []
    current: list[int] = []
    for ids in by_person.values():
        if current and len(current) + len(ids) > size:
            batches.append(current)
            current = []
        current.extend(ids)
    if current:
        batches.append(current)
    return batches


def messages_sweep_expired(*, now: datetime | None = None) -> int:
    """Return claimed messages whose lease ran out (their worker died) to pending; returns how many.

    Each return counts as an attempt; a message that keeps killing its workers fails after
    NOTIFICATIONS_MAX_ATTEMPTS instead of being retried forever.
    """
    now = now or timezone.now()
    expired = Message.objects.filter(status=MessageStatus.CLAIMED, lease_expires_at__lt=now)
    max_attempts = setting("MAX_ATTEMPTS")
    expired.filter(attempts__gte=max_attempts - 1).update(
        status=MessageStatus.FAILED, lease_expires_at=None, attempts=F("attempts") + 1,
        error="Its worker was lost too many times.",
    )
    return expired.update(
        status=MessageStatus.PENDING, claim_token=None, lease_expires_at=None, attempts=F("attempts") + 1
    )


def notifications_dispatch(*, now: datetime | None = None, enqueue: bool = True) -> Claim:
    """One dispatcher tick: sweep expired leases, claim what is due, hand batches to workers on commit."""
    from notifications import tasks

    now = now or timezone.now()
    messages_sweep_expired(now=now)
    with transaction.atomic():
        claim = messages_claim_due(now=now)
        if enqueue:
            for batch in claim.batches:
                tasks.notifications_send_batch.apply_async_on_commit(
                    (str(claim.token), batch), argsrepr=_batch_repr(claim.token, batch)
                )
    return claim


def _batch_repr(token: uuid.UUID, batch: list[int]) -> str:
    """How a batch's arguments appear in the broker message and the worker's log.

    Celery would otherwise build a safe repr of all 250 ids for every message: a third of the CPU
    of publishing the 400 batches of 100,000 due messages (bench/notifications.py).
    """
    return f"('{token}', [{len(batch)} ids, {batch[0]}…{batch[-1]}])"


# --- Send -----------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    sent: int = 0  # messages recorded as sent (several may share one combined email)
    emails: int = 0
    skipped: int = 0
    deferred: int = 0
    retrying: int = 0
    failed: int = 0


class _PermanentFailure(Exception):
    pass


def messages_send_batch(*, token: uuid.UUID | str, ids: Sequence[int], now: datetime | None = None) -> BatchResult:
    """Send one claimed batch over one SMTP connection and record each message's fate.

    The lease is renewed first, by token: a batch redelivered after its rows were swept and claimed
    again finds nothing of its own and sends nothing. Each email is recorded as sent in its own
    statement right after the server accepts it. 4xx replies and lost connections go back to pending
    with backoff; 5xx replies are recorded as failed with the server's reply and never retried.
    """
    now = now or timezone.now()
    token = uuid.UUID(str(token))
    result = BatchResult()
    owned = Message.objects.filter(pk__in=list(ids), claim_token=token, status=MessageStatus.CLAIMED)
    renewed_until = now + timedelta(seconds=setting("LEASE_SECONDS"))
    # By id, token and status only: a lease that ran out unswept is still this batch's (the row lock
    # orders the renewal and the sweeper, and whichever comes second sees the other's change), and a
    # condition on the lease would steer PostgreSQL to the lease index and scan every claimed row.
    if not owned.update(lease_expires_at=renewed_until):
        return result
    messages = list(owned.select_related("recipient").order_by("id"))

    sendable = _skip_irrelevant(messages, token=token, now=now, result=result)
    sendable = _defer_outside_window(sendable, token=token, now=now, result=result)
    emails = _emails_within_cap(sendable, token=token, now=now, result=result)
    if emails:
        _deliver(emails, token=token, now=now, result=result)
    return result


def _release(messages: Iterable[Message], *, token: uuid.UUID, **changes) -> int:
    """Change these messages out of `claimed` if they are still claimed under this token (leases end here)."""
    return Message.objects.filter(
        pk__in=[message.pk for message in messages], claim_token=token, status=MessageStatus.CLAIMED
    ).update(lease_expires_at=None, **changes)


def _skip_irrelevant(messages: list[Message], *, token, now, result: BatchResult) -> list[Message]:
    reasons: dict[int, str] = {}
    by_category: dict[str, list[Message]] = defaultdict(list)
    for message in messages:
        by_category[message.category].append(message)
        if message.recipient is not None and not message.recipient.is_active:
            reasons[message.pk] = "The person's account is deactivated."
    for name, group in by_category.items():
        try:
            category = categories.get(name)
        except LookupError:
            reasons.update({message.pk: f"Unknown category {name!r}." for message in group})
            continue
        if category.still_relevant is not None:
            for pk, reason in category.still_relevant([m for m in group if m.pk not in reasons]).items():
                reasons.setdefault(pk, reason)
        if category.optional:
            opted_out = set(
                EmailOptOut.objects.filter(
                    category=name, user_id__in={m.recipient_id for m in group if m.recipient_id}
                ).values_list("user_id", flat=True)
            )
            for message in group:
                if message.recipient_id in opted_out:
                    reasons.setdefault(message.pk, OPTED_OUT_REASON)
    by_reason: dict[str, list[Message]] = defaultdict(list)
    for message in messages:
        if message.pk in reasons:
            by_reason[reasons[message.pk]].append(message)
    for reason, group in by_reason.items():
        result.skipped += _release(group, token=token, status=MessageStatus.SKIPPED, skip_reason=reason)
    return [message for message in messages if message.pk not in reasons]


def _defer_outside_window(messages: list[Message], *, token, now, result: BatchResult) -> list[Message]:
    """Messages that reach the worker outside their window (beat was down all night) wait for it."""
    sendable = []
    for message in messages:
        window = _window_of(message)
        if window is None or window.contains(now):
            sendable.append(message)
            continue
        result.deferred += _release(
            [message], token=token, status=MessageStatus.PENDING, claim_token=None,
            not_before=window.next_open(now),
        )
    return sendable


def _local_day(at: datetime, time_zone: str) -> date:
    return at.astimezone(zoneinfo.ZoneInfo(time_zone)).date()


def _emails_within_cap(messages: list[Message], *, token, now, result: BatchResult) -> list[list[Message]]:
    """Group into emails (a person's reminder-like messages due at once become one) and apply the cap.

    The cap counts emails, not messages: a combined email is one. Over the cap, the messages wait
    for the window's opening on the person's next day.
    """
    emails: list[list[Message]] = []
    combined: dict[tuple[object, str], list[Message]] = defaultdict(list)
    for message in messages:
        group = categories.get(message.category).combine_group
        if group:
            combined[(message.recipient_id or message.to_email.lower(), group)].append(message)
        else:
            emails.append([message])
    if not combined:
        return emails

    capped = categories.capped_category_names()
    recipients = {key[0] for key in combined if isinstance(key[0], int)}
    sent_today: dict[int, set[str]] = defaultdict(set)
    recent = Message.objects.filter(
        recipient_id__in=recipients, status=MessageStatus.SENT, category__in=capped,
        sent_at__gte=now - timedelta(days=2),
    ).values_list("recipient_id", "message_id", "sent_at", "time_zone")
    for recipient_id, message_id, sent_at, time_zone in recent:
        if _local_day(sent_at, time_zone) == _local_day(now, time_zone):
            sent_today[recipient_id].add(message_id)
    for (person, _group), group_messages in combined.items():
        first = group_messages[0]
        cap = min((m.daily_cap for m in group_messages if m.daily_cap is not None), default=None)
        if cap is not None and isinstance(person, int) and len(sent_today[person]) >= cap:
            window = _window_of(first) or SendingWindow(first.time_zone, time(0), time(23, 59, 59), "1234567")
            tomorrow = datetime.combine(
                _local_day(now, first.time_zone) + timedelta(days=1), time(0), tzinfo=zoneinfo.ZoneInfo(first.time_zone)
            )
            result.deferred += _release(
                group_messages, token=token, status=MessageStatus.PENDING, claim_token=None,
                not_before=window.next_open(tomorrow),
            )
            continue
        if isinstance(person, int):
            sent_today[person].add(message_id_for([m.dedup_key for m in group_messages]))
        emails.append(group_messages)
    return emails


def unsubscribe_token(*, user_id: int, category: str) -> str:
    return signing.dumps({"u": user_id, "c": category}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_token_read(token: str) -> tuple[int, str] | None:
    """The (user id, category) a one-click unsubscribe token stands for, or None if it was tampered with."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(data["u"]), str(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def _absolute(path: str) -> str:
    return path if "://" in path else settings.SITE_URL + path


def _email_for(messages: list[Message], connection) -> EmailMultiAlternatives:
    first = messages[0]
    message_id = message_id_for([m.dedup_key for m in messages])
    if len(messages) == 1:
        subject, text, html = first.subject, first.body_text, first.body_html
    else:
        context = {"messages": messages, "count": len(messages), "site_url": settings.SITE_URL}
        subject, text, html = message_render("emails/combined", context, time_zone=first.time_zone)
    headers = {"Message-ID": message_id}
    category = categories.get(first.category)
    if category.optional and first.recipient_id:
        from django.urls import reverse

        token = unsubscribe_token(user_id=first.recipient_id, category=category.name)
        link = _absolute(reverse("notifications:unsubscribe", args=[token]))
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[first.to_email],
        headers=headers, connection=connection,
    )
    if html:
        email.attach_alternative(html, "text/html")
    return email


def _smtp_reply(error: Exception) -> tuple[int | None, str]:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(error.recipients.values()))
        return code, reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        return error.smtp_code, reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return None, f"{type(error).__name__}: {error}"


def _retry_later(messages: list[Message], *, token, now, reply: str, result: BatchResult) -> None:
    """A transient failure: back to pending with exponential backoff, failed after too many attempts."""
    attempts = max(message.attempts for message in messages) + 1
    if attempts >= setting("MAX_ATTEMPTS"):
        result.failed += _release(
            messages, token=token, status=MessageStatus.FAILED, attempts=F("attempts") + 1,
            error=f"Gave up after {attempts} attempts. Last reply: {reply}",
        )
        return
    # 30 s, 60 s, 120 s, … at most 30 min (NOTIFICATIONS_RETRY_SECONDS is the first delay)
    delay = min(setting("RETRY_SECONDS") * 2 ** (attempts - 1), 30 * 60)
    result.retrying += _release(
        messages, token=token, status=MessageStatus.PENDING, claim_token=None,
        attempts=F("attempts") + 1, error=reply, not_before=now + timedelta(seconds=delay),
    )


def _record_sent(messages: list[Message], *, token: uuid.UUID, now: datetime) -> int:
    """Record one email's messages as sent, in one statement committed on its own.

    It runs right after the server accepted the email, once per email, so it is written in SQL:
    building and compiling the equivalent queryset cost more than the statement itself
    (bench/notifications.py). Same condition as `_release`: still claimed under this token.
    """
    table = Message._meta.db_table
    ids = [message.pk for message in messages]
    placeholders = ", ".join(["%s"] * len(ids))
    prepared = {
        name: Message._meta.get_field(name).get_db_prep_value(value, db_connection)
        for name, value in (("sent_at", now), ("claim_token", token))
    }
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, sent_at = %s, error = '', message_id = %s, "  # noqa: S608 (no input)
            "lease_expires_at = NULL "
            f"WHERE id IN ({placeholders}) AND claim_token = %s AND status = %s",
            [
                MessageStatus.SENT, prepared["sent_at"], message_id_for([m.dedup_key for m in messages]), *ids,
                prepared["claim_token"], MessageStatus.CLAIMED,
            ],
        )
        return cursor.rowcount


@contextmanager
def _records_not_waiting_for_disk() -> Iterator[None]:
    """On PostgreSQL, a batch's records of its sends don't wait for the write-ahead log to reach the disk.

    Each email is still recorded in its own statement right after the server accepted it, and a
    worker killed right after loses nothing it recorded: the commit is in the database server, and
    the kill test proves it. Only a crash of the database server itself (or its machine) within
    about 0.6 s (3 × wal_writer_delay) could forget the last records, and those emails would go
    out again when their lease runs out. Waiting for the disk on every email (`synchronous_commit`
    on, about 2 ms per flush on the development VM) kept delivery well under 500 emails/s with two
    worker processes (bench/README.md); NOTIFICATIONS_SYNCHRONOUS_COMMIT = True keeps waiting.
    """
    if setting("SYNCHRONOUS_COMMIT") or db_connection.vendor != "postgresql":
        yield
        return
    with db_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with db_connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:  # the connection is gone: so is its setting
            logger.info("notifications: could not reset synchronous_commit", exc_info=True)


def _deliver(emails: list[list[Message]], *, token, now, result: BatchResult) -> None:
    connection = get_connection()
    sent_by_category: dict[str, list[Message]] = defaultdict(list)
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        for messages in emails:
            _retry_later(messages, token=token, now=now, reply=_smtp_reply(error)[1], result=result)
        return
    try:
        with _records_not_waiting_for_disk():
            for index, messages in enumerate(emails):
                try:
                    _email_for(messages, connection).send()
                except (smtplib.SMTPException, OSError) as error:
                    code, reply = _smtp_reply(error)
                    if code is not None and code >= 500:
                        result.failed += _release(
                            messages, token=token, status=MessageStatus.FAILED, attempts=F("attempts") + 1,
                            error=f"{code} {reply}",
                        )
                        continue
                    if code is None or isinstance(error, smtplib.SMTPServerDisconnected):
                        # The connection is gone: this email and the rest of the batch try again later.
                        for rest in emails[index:]:
                            _retry_later(rest, token=token, now=now, reply=reply, result=result)
                        return
                    _retry_later(messages, token=token, now=now, reply=f"{code} {reply}", result=result)
                    continue
                recorded = _record_sent(messages, token=token, now=now)
                result.sent += recorded
                result.emails += 1
                for message in messages:
                    sent_by_category[message.category].append(message)
    finally:
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):
            logger.info("notifications: the SMTP connection did not close cleanly", exc_info=True)
        for name, sent in sent_by_category.items():
            hook = categories.get(name).on_sent
            if hook is not None:
                hook(sent)


def messages_send_now(*, dedup_keys: Sequence[str], now: datetime | None = None) -> BatchResult:
    """Claim and send these messages at once if they are still pending and due (transactional mail)."""
    from notifications import tasks

    claim = messages_claim_due(now=now, dedup_keys=dedup_keys)
    if not claim.batches:
        return BatchResult()
    # The first batch here; the others (a large import) to other workers, so no task runs for long.
    for batch in claim.batches[1:]:
        tasks.notifications_send_batch.apply_async((str(claim.token), batch), argsrepr=_batch_repr(claim.token, batch))
    return messages_send_batch(token=claim.token, ids=claim.batches[0], now=now)


def notifications_run(*, now: datetime | None = None) -> BatchResult:
    """Run the whole pipeline in this process at `now`: every planner, then sweep, claim and send.

    What beat and the workers do, synchronously; the demo uses it (`manage.py notifications_run
    --now …`) to move the clock, and the tests use it to exercise the pipeline without processes.
    """
    now = now or timezone.now()
    for name, planner in categories.planners():
        logger.info("notifications: planning %s at %s", name, now.isoformat())
        planner(now)
    total = BatchResult()
    messages_sweep_expired(now=now)
    while True:
        claim = messages_claim_due(now=now)
        if not claim.batches:
            return total
        for batch in claim.batches:
            _add(total, messages_send_batch(token=claim.token, ids=batch, now=now))


def _add(total: BatchResult, part: BatchResult) -> None:
    for name in ("sent", "emails", "skipped", "deferred", "retrying", "failed"):
        setattr(total, name, getattr(total, name) + getattr(part, name))


# --- People's side: preferences, in-app notices ------------------------------------------------------


def email_opt_out_set(*, user_id: int, category: str, enabled: bool) -> None:
    """Turn an optional category's email on or off for a person (mandatory categories refuse)."""
    if not categories.get(category).optional:
        raise ValueError(f"The category {category!r} cannot be turned off.")
    if enabled:
        EmailOptOut.objects.filter(user_id=user_id, category=category).delete()
    else:
        EmailOptOut.objects.bulk_create([EmailOptOut(user_id=user_id, category=category)], ignore_conflicts=True)


def messages_mark_read(*, user_id: int, ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Mark a person's in-app notices read (these ids, or all); only their own rows change.

    Only notices already visible: "mark all as read" must not mark a reminder planned for next week,
    which the person has not seen yet and will see then as unread.
    """
    now = now or timezone.now()
    rows = Message.objects.filter(recipient_id=user_id, read_at__isnull=True, visible_from__lte=now)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=now)
