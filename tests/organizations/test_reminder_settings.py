"""The organization's reminder policy: its settings fields, their validation and their history."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from organizations import services
from organizations.models import Organization
from tests.conftest import client_for
from tests.organizations.test_views import REMINDER_DEFAULTS


def post(client, organization, **changes):
    data = {
        "name": organization.name,
        "vision": organization.vision,
        "customer_promise": organization.customer_promise,
        "time_zone": organization.time_zone,
        **REMINDER_DEFAULTS,
        **changes,
    }
    return client.post(reverse("organizations:settings"), data)


def test_a_new_organization_has_the_default_policy(acme):
    assert (
        acme.reminder_lead_days, acme.escalate_after_days, acme.skip_level_after_days, acme.sending_window_start,
        acme.sending_window_end, acme.sending_weekdays, acme.daily_reminder_cap,
    ) == (3, 3, 7, time(8), time(18), "12345", 3)


def test_the_settings_page_shows_the_policy_with_labelled_fields(acme, alice):
    html = client_for(alice).get(reverse("organizations:settings")).content.decode()

    assert "Reminders and escalation" in html
    for field in ("reminder_lead_days", "escalate_after_days", "skip_level_after_days", "sending_window_start",
                  "sending_window_end", "daily_reminder_cap"):
        assert f'<label for="id_{field}"' in html
    assert "<legend>Send reminders on</legend>" in html
    assert html.count('name="sending_weekdays"') == 7
    assert html.count('name="sending_weekdays" value="') == 7
    assert 'value="1" id="id_sending_weekdays_0" checked' in html  # Monday on by default
    assert 'value="6" id="id_sending_weekdays_5" checked' not in html  # Saturday off


def test_an_admin_changes_the_policy_and_it_is_kept_in_the_history(acme, alice):
    client = client_for(alice)

    response = post(
        client, acme, reminder_lead_days="5", escalate_after_days="2", skip_level_after_days="10",
        sending_window_start="07:30", sending_window_end="19:00", sending_weekdays=["6", "1", "2"],
        daily_reminder_cap="2",
    )

    assert response.status_code == 302
    acme.refresh_from_db()
    assert (
        acme.reminder_lead_days, acme.escalate_after_days, acme.skip_level_after_days, acme.sending_window_start,
        acme.sending_window_end, acme.sending_weekdays, acme.daily_reminder_cap,
    ) == (5, 2, 10, time(7, 30), time(19), "126", 2)
    [revision] = client.get(reverse("organizations:organization_history")).context["revisions"]
    changes = {change.name: (change.before, change.after) for change in revision.changes}
    assert changes["sending_window_start"] == ("08:00", "07:30")
    assert changes["sending_weekdays"] == ("12345", "126")
    assert changes["skip_level_after_days"] == ("7", "10")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"escalate_after_days": "7", "skip_level_after_days": "7"}, "skip_level_after_days",
         "Tell the manager's manager later than the team manager: more than 7 days overdue."),
        ({"sending_window_start": "18:00", "sending_window_end": "08:00"}, "sending_window_end",
         "The window must end after it starts (18:00); windows across midnight are not supported."),
        ({"sending_weekdays": []}, "sending_weekdays", "Choose at least one day on which reminders may be sent."),
        ({"sending_weekdays": ["8"]}, "sending_weekdays",
         "Select a valid choice. 8 is not one of the available choices."),
        ({"reminder_lead_days": "0"}, "reminder_lead_days", "Ensure this value is greater than or equal to 1."),
        ({"reminder_lead_days": "31"}, "reminder_lead_days", "Ensure this value is less than or equal to 30."),
        ({"daily_reminder_cap": "0"}, "daily_reminder_cap", "Ensure this value is greater than or equal to 1."),
        ({"sending_window_start": "8 o'clock"}, "sending_window_start", "Enter a valid time."),
    ],
)
def test_an_inconsistent_policy_is_a_clear_form_error(acme, alice, changes, field, message):
    response = post(client_for(alice), acme, **changes)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert f'id="id_{field}_error"' in response.content.decode()
    acme.refresh_from_db()
    assert (acme.escalate_after_days, acme.skip_level_after_days, acme.sending_window_start) == (3, 7, time(8))


def test_the_service_refuses_what_the_form_would(acme, alice):
    with pytest.raises(ValidationError) as error:
        services.organization_update(organization=acme, actor=alice, escalate_after_days=9)
    assert "skip_level_after_days" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.organization_update(organization=acme, actor=alice, daily_reminder_cap=0)
    assert "daily_reminder_cap" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.organization_update(organization=acme, actor=alice, sending_weekdays="")
    acme.refresh_from_db()
    assert (acme.escalate_after_days, acme.daily_reminder_cap, acme.sending_weekdays) == (3, 3, "12345")


def test_the_database_refuses_a_contradictory_policy_too(acme):
    for changes in ({"skip_level_after_days": 3}, {"sending_window_end": time(7)}, {"sending_weekdays": ""}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Organization.objects.filter(pk=acme.pk).update(**changes)


def test_a_manager_cannot_change_the_policy(acme, bob):
    response = post(client_for(bob), acme, daily_reminder_cap="20")

    assert response.status_code == 404
    acme.refresh_from_db()
    assert acme.daily_reminder_cap == 3
