"""The delivery ledger: every email and in-app notice to a person is one row here.

This app sits at the bottom of the import chain: it knows users (through AUTH_USER_MODEL) and nothing
of organizations, courses or enrollments. The app that owns a kind of message registers its category
(`notifications.categories`) with the check that says, at send time, whether it is still relevant.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Being sent"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


# The skip reason written when the person turned the category's email off: the notice still shows
# in the app (it is only the email they declined).
OPTED_OUT_REASON = "The person turned this kind of email off."


class MessageQuerySet(models.QuerySet):
    def in_app_for(self, user_id: int, now) -> MessageQuerySet:
        """The in-app notices of one person: visible by now, not withdrawn as no longer relevant."""
        from notifications.categories import in_app_category_names

        return (
            self.filter(recipient_id=user_id, category__in=in_app_category_names(), visible_from__lte=now)
            .exclude(Q(status=MessageStatus.SKIPPED) & ~Q(skip_reason=OPTED_OUT_REASON))
            .exclude(status=MessageStatus.FAILED)
        )

    def of_tenant(self, tenant_id: int) -> MessageQuerySet:
        return self.filter(tenant_id=tenant_id)


class Message(models.Model):
    """One message to one person: rendered when planned, delivered at most once, its fate recorded.

    `dedup_key` is unique: planning the same message twice inserts nothing. `not_before` is when it
    may go out (already moved into the recipient's sending window when it has one); a worker that
    claims it writes `claim_token` and `lease_expires_at`, and a sweeper returns it to pending if
    the lease runs out before it is recorded as sent. Only a claimed message has a lease: every
    change out of `claimed` clears it.
    """

    dedup_key = models.CharField(max_length=200, unique=True)
    category = models.CharField(max_length=40)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    to_email = models.EmailField()
    # The organization the message belongs to, as an opaque number: this app does not import
    # organizations, but the delivery log and the in-app list are scoped by it.
    tenant_id = models.PositiveBigIntegerField(null=True, blank=True)
    # The row the category's relevance check looks at (an enrollment, an invitation...).
    object_id = models.BigIntegerField(null=True, blank=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="Site-relative link to the item.")
    # Deterministic, from the dedup key (or the keys of the messages combined into one email).
    message_id = models.CharField(max_length=200, blank=True)

    not_before = models.DateTimeField(default=timezone.now)
    visible_from = models.DateTimeField(default=timezone.now)
    # The sending window in the recipient's own time zone; no window means "as soon as possible".
    time_zone = models.CharField(max_length=64, default="UTC")
    window_start = models.TimeField(null=True, blank=True)
    window_end = models.TimeField(null=True, blank=True)
    window_weekdays = models.CharField(max_length=7, blank=True, help_text="ISO weekdays, Monday = 1.")
    daily_cap = models.PositiveSmallIntegerField(null=True, blank=True)

    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    skip_reason = models.TextField(blank=True)
    error = models.TextField(blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-visible_from", "-id"]
        indexes = [
            # The dispatcher's claim and the sweeper touch only these few rows, however long the log grows.
            models.Index(fields=["not_before"], condition=Q(status="pending"), name="message_due"),
            # Only claimed rows hold a lease. The condition is on the lease, not on the status, on purpose:
            # a partial index WHERE status = 'claimed' matched every per-email record (`… AND status =
            # 'claimed'`), and with statistics taken while nothing was claimed the planner preferred it to
            # the primary key and scanned every claimed row for each email (bench/README.md).
            models.Index(
                fields=["lease_expires_at"], condition=Q(lease_expires_at__isnull=False), name="message_leased"
            ),
            models.Index(fields=["recipient", "-visible_from"], name="message_inbox"),
            models.Index(fields=["recipient", "sent_at"], condition=Q(status="sent"), name="message_sent_to"),
            models.Index(fields=["tenant_id", "-created_at"], name="message_log"),
        ]

    def __str__(self) -> str:
        return f"{self.category} to {self.to_email} ({self.status})"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class EmailOptOut(models.Model):
    """A person turned one optional category's email off (the preferences page or one-click unsubscribe)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["category"]
        constraints = [models.UniqueConstraint(fields=["user", "category"], name="email_opt_out_once")]

    def __str__(self) -> str:
        return f"{self.user_id} opted out of {self.category}"
