"""Bulk invitations from a CSV file: all or nothing, every bad line reported, re-uploads harmless."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from notifications.services import messages_claim_due
from organizations import services, tasks
from organizations.models import Invitation, Role
from tests import factories
from tests.conftest import client_for
from tests.mailbox import deliver
from tests.organizations.invitation_fixtures import (  # noqa: F401  (fixtures)
    age,
    eager_celery,
    front_desk,
    housekeeping,
)

HEADER = "email,name,role,team,time_zone\n"
GOOD = (
    HEADER
    + "ana@example.com,Ana Lima,employee,Front desk,Europe/Lisbon\n"
    + "sam@example.com,Sam Reed,Manager,,\n"
    + '"kim@example.com","Kim, Park",admin,front desk,asia/tokyo\n'
)


def import_csv(organization, inviter, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return services.invitations_import_csv(actor=inviter, data=data)


def test_a_good_file_invites_everyone_and_sends_emails_in_a_batch_on_commit(
    acme, alice, front_desk, eager_celery, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = import_csv(acme, alice, GOOD)

    # then
    assert result.ok
    assert (len(result.invited), len(result.skipped)) == (3, 0)
    rows = {i.email: (i.name, i.role, i.team, i.time_zone, i.invited_by) for i in Invitation.objects.all()}
    assert rows == {
        "ana@example.com": ("Ana Lima", Role.EMPLOYEE, front_desk, "Europe/Lisbon", alice.user),
        "sam@example.com": ("Sam Reed", Role.MANAGER, None, "Europe/Paris", alice.user),  # the org's time zone
        "kim@example.com": ("Kim, Park", Role.ADMIN, front_desk, "Asia/Tokyo", alice.user),
    }
    assert len(callbacks) == 1  # one batch task for the three
    assert sorted(message.to[0] for message in mail.outbox) == ["ana@example.com", "kim@example.com", "sam@example.com"]
    assert all(invitation.sent_at for invitation in Invitation.objects.all())


def test_a_large_import_asks_for_one_immediate_send_and_the_ledger_batches_it(
    acme, alice, django_capture_on_commit_callbacks
):
    lines = "".join(f"p{n}@example.com,,employee,,\n" for n in range(5))

    with django_capture_on_commit_callbacks() as callbacks:
        result = import_csv(acme, alice, HEADER + lines)

    assert len(result.invited) == 5
    assert len(callbacks) == 1
    with override_settings(NOTIFICATIONS_BATCH_SIZE=2):
        claim = messages_claim_due()
    assert [len(batch) for batch in claim.batches] == [2, 2, 1]


def test_a_file_with_bad_lines_creates_nothing_and_reports_every_line(acme, alice, front_desk):
    text = (
        HEADER
        + "ok@example.com,Fine,employee,,\n"  # line 2
        + "not-an-email,Bad,employee,,\n"  # line 3
        + "role@example.com,Bad,boss,,\n"  # line 4
        + "team@example.com,Bad,employee,Kitchen,\n"  # line 5
        + "zone@example.com,Bad,employee,,Mars/Olympus\n"  # line 6
        + "OK@example.com,Again,employee,,\n"  # line 7: duplicate of line 2
        + "short@example.com,employee\n"  # line 8
        + "\n"  # line 9: blank lines are fine
        + "two@example.com,Two,,Kitchen,\n"  # line 10: two problems
        + f"{'a' * 250}@example.com,Long,employee,,\n"  # line 11: longer than the column
    )

    result = import_csv(acme, alice, text)

    assert not result.ok
    assert Invitation.objects.count() == 0
    reported = [(problem.line, problem.message) for problem in result.errors]
    assert [line for line, _ in reported] == [3, 4, 5, 6, 7, 8, 10, 10, 11]
    messages = dict(reported[:6])
    assert "not a valid email" in messages[3]
    assert "unknown role “boss”" in messages[4]
    assert "unknown team “Kitchen”" in messages[5]
    assert "unknown time zone “Mars/Olympus”" in messages[6]
    assert "appears twice" in messages[7] and "line 2" in messages[7]
    assert "expected 5 values, found 2" in messages[8]


def test_uploading_the_same_file_twice_creates_nothing_new(acme, alice, front_desk, django_capture_on_commit_callbacks):
    import_csv(acme, alice, GOOD)

    with django_capture_on_commit_callbacks() as callbacks:
        again = import_csv(acme, alice, GOOD)

    assert again.ok
    assert again.invited == []
    assert [(skip.line, skip.reason) for skip in again.skipped] == [
        (2, "already invited"), (3, "already invited"), (4, "already invited")
    ]
    assert Invitation.objects.count() == 3
    assert callbacks == []


def test_members_are_skipped_and_expired_invitations_renewed(acme, alice, carol):
    expired = age(factories.InvitationFactory(organization=acme, email="old@example.com"), days=8)
    old_token = expired.token

    result = import_csv(acme, alice, HEADER + "carol@acme.test,,employee,,\nold@example.com,Old,employee,,\n")

    assert [(skip.email, skip.reason) for skip in result.skipped] == [("carol@acme.test", "already a member")]
    assert [invitation.pk for invitation in result.invited] == [expired.pk]
    expired.refresh_from_db()
    assert expired.status == "pending" and expired.token != old_token
    assert Invitation.objects.count() == 1


def test_invitations_are_created_in_the_importing_organization_only(acme, globex, alice, charlie):
    factories.TeamFactory(organization=globex, name="Checkout")

    result = import_csv(acme, alice, HEADER + "ana@example.com,,employee,Checkout,\n")

    assert [problem.line for problem in result.errors] == [2]  # Globex's team is unknown in Acme
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("email,name,role,team,time_zone\nzoë@example.com,Zoë,employee,,\n".encode("latin-1"), "not UTF-8"),
        (b"Dear team, please invite these people.\nThanks!\n", "not an invitation file"),
        (b"email,name,role\nana@example.com,Ana,employee\n", "missing column(s): team, time_zone"),
        (b"email,name,role,team,time_zone,salary\n", "unknown column(s): salary"),
        (b"   \n", "empty"),
        (HEADER.encode(), "no invitations"),
        (b"x" * (1024 * 1024 + 1), "larger than 1 MiB"),
    ],
)
def test_a_file_that_is_not_an_invitation_csv_gets_one_clear_error(acme, alice, data, message):
    result = import_csv(acme, alice, data)

    assert len(result.errors) == 1
    assert message in result.errors[0].message
    assert Invitation.objects.count() == 0


def test_a_utf8_file_with_a_bom_and_windows_line_ends_is_fine(acme, alice):
    data = "\ufeffEmail,Name,Role,Team,Time_Zone\r\nzoe@example.com,Zoë,employee,,\r\n".encode()

    result = import_csv(acme, alice, data)

    assert result.ok
    assert Invitation.objects.get().name == "Zoë"


# --- the page ------------------------------------------------------------------------------------


def upload(client, name: str, content: bytes):
    return client.post(
        reverse("organizations:invitation_import"), {"file": SimpleUploadedFile(name, content, "text/csv")}
    )


def test_the_page_shows_a_summary_after_success(acme, alice, front_desk, django_capture_on_commit_callbacks):
    client = client_for(alice)
    upload(client, "people.csv", GOOD.encode())

    response = upload(client, "people.csv", (GOOD + "new@example.com,,employee,,\n").encode())

    assert response.status_code == 200
    body = response.content.decode()
    assert "1 invited, 3 skipped" in body
    assert "already invited" in body
    assert Invitation.objects.count() == 4


def test_the_page_lists_every_error_and_imports_nothing(acme, alice):
    response = upload(client_for(alice), "people.csv", (HEADER + "bad,,employee,,\nok@example.com,,chef,,\n").encode())

    body = response.content.decode()
    assert "Nothing was imported" in body
    assert "Line 2:" in body and "Line 3:" in body
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("people.xlsx", b"PK\x03\x04 a spreadsheet", "is not a CSV file"),
        ("people.csv", b"a" * (1024 * 1024 + 10), "larger than 1 MiB"),
        ("people.csv", b"\x00\x01\x02binary", "binary file"),
    ],
)
def test_the_page_refuses_files_that_are_not_small_csv_files(acme, alice, name, content, message):
    response = upload(client_for(alice), name, content)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Invitation.objects.count() == 0


def test_only_admins_import(bob):
    response = upload(client_for(bob), "people.csv", GOOD.encode())

    assert response.status_code == 404
    assert Invitation.objects.count() == 0


def test_imported_invitations_are_each_emailed_once(acme, alice, front_desk):
    result = import_csv(acme, alice, GOOD)
    assert len(result.invited) == 3

    deliver()
    deliver()  # the pipeline running again sends nothing twice

    assert sorted(message.to[0] for message in mail.outbox) == ["ana@example.com", "kim@example.com", "sam@example.com"]


# --- large files: a background job with a progress page -----------------------------------------------


def test_a_large_file_is_validated_then_written_by_a_job_in_batches(
    acme, alice, front_desk, eager_celery, django_capture_on_commit_callbacks
):
    from organizations.models import ImportJob, ImportJobStatus

    count = services.BACKGROUND_INVITATIONS_THRESHOLD + 1
    rows = "".join(f"person{i}@example.com,Person {i},employee,Front desk,\n" for i in range(count))
    client = client_for(alice)

    # when: the admin uploads it (the job is enqueued on commit; not run yet)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(client, "many.csv", (HEADER + rows).encode())

    # then: nothing is written, a job waits and the admin follows its progress page
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("organizations:import_job", kwargs={"job_id": job.pk})
    assert (job.total, job.done, job.status) == (count, 0, ImportJobStatus.PENDING)
    assert not Invitation.objects.exists() and len(callbacks) == 1

    # when: the task runs (eagerly), and once more as a duplicate delivery
    with django_capture_on_commit_callbacks(execute=True):
        tasks.invitations_import_run.apply(args=[job.pk]).get()
        tasks.invitations_import_run.apply(args=[job.pk]).get()

    # then: everyone is invited once, the invitations are emailed, the job is done
    job.refresh_from_db()
    assert (job.status, job.done) == (ImportJobStatus.DONE, count)
    assert Invitation.objects.filter(organization=acme).count() == count
    assert len(mail.outbox) == count
    page = client.get(reverse("organizations:import_job", kwargs={"job_id": job.pk})).content.decode()
    assert f"{count} of {count}" in page and "See the invitations" in page


def test_a_large_file_with_an_error_makes_no_job(acme, alice, front_desk):
    from organizations.models import ImportJob

    rows = "".join(f"person{i}@example.com,,employee,,\n" for i in range(services.BACKGROUND_INVITATIONS_THRESHOLD + 5))
    response = upload(client_for(alice), "many.csv", (HEADER + rows + "not-an-email,,employee,,\n").encode())

    assert "is not a valid email address" in response.content.decode()
    assert not ImportJob.objects.exists() and not Invitation.objects.exists()
