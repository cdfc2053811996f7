"""Only claimed messages hold a lease, and the sweeper's index is on the lease rather than the status.

The old partial index (WHERE status = 'claimed') matched the per-email record `… AND status =
'claimed'`; with statistics from a moment when nothing was claimed, PostgreSQL preferred it to the
primary key and scanned every claimed row for each email recorded.
"""

from django.db import migrations, models


def clear_leases_of_unclaimed(apps, schema_editor):
    Message = apps.get_model("notifications", "Message")
    Message.objects.exclude(status="claimed").exclude(lease_expires_at=None).update(lease_expires_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_ledger"),
    ]

    operations = [
        migrations.RunPython(clear_leases_of_unclaimed, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="message", name="message_leased"),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                condition=models.Q(("lease_expires_at__isnull", False)), fields=["lease_expires_at"],
                name="message_leased",
            ),
        ),
    ]
