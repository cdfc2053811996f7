"""Input parsing and validation for organization pages and sign-up."""

from typing import Any

from allauth.account.forms import SignupForm
from allauth.core import context as allauth_context
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.shortcuts import redirect

from organizations import services
from organizations.adapters import forget_invitation, invitation_unusable_response, signup_invitation
from organizations.integrity import violated_constraint
from organizations.models import (
    MAX_DAILY_REMINDER_CAP,
    MAX_OVERDUE_DAYS,
    MAX_REMINDER_LEAD_DAYS,
    MAX_STANDARD_ORDER,
    USER_EMAIL_CONSTRAINTS,
    WEEKDAY_NAMES,
    Membership,
    Organization,
    Role,
    ServiceStandard,
    Team,
    reminder_settings_errors,
    time_zone_choices,
)
from organizations.tenancy import set_current_organization


class InvitationSignupForm(SignupForm):
    """allauth's sign-up form, bound to the invitation whose token is in the session.

    The email is the invitation's: shown read-only, and any other address posted is refused. The name
    is prefilled from the invitation. Creating the user, using the invitation (allauth's `signup()`
    hook) and recording the email address happen in one transaction (`try_save`).
    """

    name = forms.CharField(
        label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    field_order = ["name", "email", "password1", "password2"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # allauth builds this form without the request; its middleware keeps it in a context variable.
        self.invitation = signup_invitation(allauth_context.request)
        email = self.fields["email"]
        email.widget.attrs["readonly"] = True
        email.help_text = "Your invitation was sent to this address; it will be your sign-in."
        if self.invitation is not None:
            email.initial = self.invitation.email
            self.fields["name"].initial = self.invitation.name

    def clean_email(self) -> str:
        posted = (self.cleaned_data.get("email") or "").strip().lower()
        if self.invitation is None:
            raise ValidationError("This invitation can no longer be used.", code="no_invitation")
        if posted != self.invitation.email.lower():
            raise ValidationError(
                "Sign up with the address your invitation was sent to (%(email)s).",
                code="not_invited",
                params={"email": self.invitation.email},
            )
        return super().clean_email()

    def try_save(self, request):
        try:
            with transaction.atomic():
                return super().try_save(request)
        except services.InvitationNotAcceptable as error:
            # Used by a concurrent sign-up, revoked or expired since the form was shown: no account.
            forget_invitation(request)
            return None, invitation_unusable_response(request, error.reason)
        except IntegrityError as error:
            # A concurrent sign-up with the same address (a double submit, or the link opened in
            # several tabs) created the account after this form checked that none existed. That
            # account is the one to use: say so, instead of a server error.
            if violated_constraint(error) not in USER_EMAIL_CONSTRAINTS:
                raise
            forget_invitation(request)
            messages.info(
                request,
                f"An account for {self.cleaned_data['email']} has just been created with this invitation. "
                "Sign in with it (check your inbox for the confirmation email first).",
            )
            return None, redirect("account_login")

    def signup(self, request, user) -> None:
        """allauth's hook, called right after the new user is saved: join the invitation's organization."""
        if self.invitation is None:
            raise services.InvitationNotAcceptable("expired")
        membership = services.invitation_accept(invitation=self.invitation, user=user)
        set_current_organization(request, membership.organization_id)
        forget_invitation(request)


# --- Organization settings, service standards, teams, people and the switcher -----------------


class OrganizationSettingsForm(forms.Form):
    name = forms.CharField(max_length=150)
    vision = forms.CharField(
        label="Vision statement",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where the organization is heading, in a sentence or two. Shown on everyone's home page.",
    )
    customer_promise = forms.CharField(
        label="Customer-experience promise",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The experience every customer can count on. Every standard and lesson serves it.",
    )
    time_zone = forms.ChoiceField(
        label="Default time zone",
        choices=time_zone_choices,
        help_text="Used for people who have not chosen their own time zone.",
    )

    # Reminders and escalation (enrollments.reminders reads them).
    reminder_lead_days = forms.IntegerField(
        label="First reminder, days before the due date",
        min_value=1, max_value=MAX_REMINDER_LEAD_DAYS, initial=3,
        help_text=(
            "People get a reminder this many days before an assignment is due, another on the day, "
            "and one when it is overdue."
        ),
    )
    escalate_after_days = forms.IntegerField(
        label="Tell the team manager after, days overdue",
        min_value=1, max_value=MAX_OVERDUE_DAYS, initial=3,
        help_text="The managers of the person's team hear about an assignment overdue for this many days.",
    )
    skip_level_after_days = forms.IntegerField(
        label="Tell the manager's manager after, days overdue",
        min_value=2, max_value=MAX_OVERDUE_DAYS, initial=7,
        help_text="Then the managers of the team that manager belongs to (skip level). Must be later than the above.",
    )
    sending_window_start = forms.TimeField(
        label="Send reminders from", initial="08:00", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="In each recipient's own time zone.",
    )
    sending_window_end = forms.TimeField(
        label="Send reminders until", initial="18:00", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Mail due outside these hours waits for the next opening.",
    )
    sending_weekdays = forms.MultipleChoiceField(
        label="Send reminders on",
        choices=list(WEEKDAY_NAMES.items()),
        initial=list("12345"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one day on which reminders may be sent."},
    )
    daily_reminder_cap = forms.IntegerField(
        label="Reminder emails per person per day, at most",
        min_value=1, max_value=MAX_DAILY_REMINDER_CAP, initial=3,
        help_text="Several reminders due at once go out as one email; beyond this number they wait for the next day.",
    )

    REMINDER_FIELDS = (
        "reminder_lead_days", "escalate_after_days", "skip_level_after_days",
        "sending_window_start", "sending_window_end", "sending_weekdays", "daily_reminder_cap",
    )

    def general_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.REMINDER_FIELDS]

    def reminder_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.REMINDER_FIELDS]

    @staticmethod
    def initial_for(organization: Organization) -> dict[str, Any]:
        from organizations.services import ORGANIZATION_SETTINGS_FIELDS

        initial = {name: getattr(organization, name) for name in ORGANIZATION_SETTINGS_FIELDS}
        initial["sending_weekdays"] = list(organization.sending_weekdays)
        return initial

    def clean_sending_weekdays(self) -> str:
        """The chosen days as ISO digits in order ("12345"), as the organization stores them."""
        return "".join(sorted(set(self.cleaned_data["sending_weekdays"])))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name, message in reminder_settings_errors(cleaned).items():
            if name not in self.errors:
                self.add_error(name, message)
        return cleaned


class ServiceStandardForm(forms.Form):
    """A standard's fields; behaviors are typed one per line and cleaned into a list."""

    code = forms.CharField(max_length=12, help_text="A short code such as S1, unique in the organization.")
    title = forms.CharField(max_length=160)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    behaviors = forms.CharField(
        label="Observable behaviors",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One behavior per line, for example “Greets the customer within 10 seconds”.",
    )
    order = forms.IntegerField(
        min_value=0, max_value=MAX_STANDARD_ORDER, initial=0,
        help_text="Standards are listed from the lowest number to the highest.",
    )

    def __init__(self, *args: Any, organization_id: int, standard: ServiceStandard | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.organization_id = organization_id
        self.standard = standard

    @staticmethod
    def initial_for(standard: ServiceStandard) -> dict[str, Any]:
        return {
            "code": standard.code,
            "title": standard.title,
            "description": standard.description,
            "behaviors": "\n".join(standard.behaviors or []),
            "order": standard.order,
        }

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        others = ServiceStandard.objects.of_organization(self.organization_id).filter(code__iexact=code)
        if self.standard is not None:
            others = others.exclude(pk=self.standard.pk)
        if others.exists():
            raise ValidationError(
                "Another standard of this organization already has the code “%(code)s”.",
                code="duplicate",
                params={"code": code},
            )
        return code

    def clean_behaviors(self) -> list[str]:
        lines = (line.strip() for line in self.cleaned_data["behaviors"].splitlines())
        return [line for line in lines if line]


class TeamManagersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.display_name} ({obj.get_role_display()})"


class TeamForm(forms.Form):
    """A team's name and managers; the manager choices are the acting organization's only."""

    name = forms.CharField(max_length=120)
    managers = TeamManagersField(
        queryset=Membership.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="One or more of the organization's managers or admins.",
        error_messages={"required": "Choose at least one manager."},
    )

    def __init__(
        self,
        *args: Any,
        organization_id: int,
        manager_choices: QuerySet[Membership],
        team: Team | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.organization_id = organization_id
        self.team = team
        self.fields["managers"].queryset = manager_choices

    @staticmethod
    def initial_for(team: Team) -> dict[str, Any]:
        return {"name": team.name, "managers": [manager.pk for manager in team.managers.all()]}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = Team.objects.of_organization(self.organization_id).filter(name__iexact=name)
        if self.team is not None:
            others = others.exclude(pk=self.team.pk)
        if others.exists():
            raise ValidationError(
                "This organization already has a team named “%(name)s”.", code="duplicate", params={"name": name}
            )
        return name


class TeamMemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        where = f"now in {obj.team.name}" if obj.team else "no team yet"
        return f"{obj.user.display_name} ({obj.get_role_display()}, {where})"


class TeamMemberForm(forms.Form):
    """Whom to add to a team: one of the organization's active members (the view passes the choices)."""

    membership = TeamMemberChoiceField(
        label="Add a person",
        queryset=Membership.objects.none(),
        empty_label="Choose a person",
        help_text="Someone in another team moves to this one.",
        error_messages={"invalid_choice": "Choose one of the organization's active members who is not in this team."},
    )

    def __init__(self, *args: Any, member_choices: QuerySet[Membership], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = member_choices


class MembershipForm(forms.Form):
    """What an admin may change about a person's membership; teams are the acting organization's."""

    role = forms.ChoiceField(choices=Role.choices)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, empty_label="No team")
    job_title = forms.CharField(max_length=120, required=False)
    can_author = forms.BooleanField(
        label="May author courses",
        required=False,
        help_text="Only for managers: admins may always author courses, employees never.",
    )
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        help_text="Inactive people can no longer act in this organization and receive no follow-ups.",
    )

    def __init__(self, *args: Any, team_choices: QuerySet[Team], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = team_choices

    @staticmethod
    def initial_for(membership: Membership) -> dict[str, Any]:
        return {
            "role": membership.role,
            "team": membership.team_id,
            "job_title": membership.job_title,
            "can_author": membership.can_author,
            "is_active": membership.is_active,
        }


class SwitchOrganizationForm(forms.Form):
    organization = forms.IntegerField(min_value=1)


# --- Invitations ------------------------------------------------------------------------------


class InvitationForm(forms.Form):
    """Whom to invite, with which role, team and time zone; teams are the ones the inviter may use."""

    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    name = forms.CharField(max_length=150, required=False, help_text="Prefilled on their sign-up page.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.EMPLOYEE)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, empty_label="No team")
    time_zone = forms.ChoiceField(
        choices=time_zone_choices, help_text="Follow-ups reach them at sensible local times."
    )

    def __init__(self, *args: Any, team_choices: QuerySet[Team], managers_only: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = team_choices
        if managers_only:
            # Managers invite employees into the teams they manage, nothing else.
            self.fields["role"].choices = [(Role.EMPLOYEE, Role.EMPLOYEE.label)]
            self.fields["team"].required = True
            self.fields["team"].empty_label = None

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class InvitationImportForm(forms.Form):
    """A CSV file of people to invite; checked for name and size before it is read into memory."""

    file = forms.FileField(
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text="UTF-8 CSV with the header email,name,role,team,time_zone. At most 1 MiB.",
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise ValidationError(
                "“%(name)s” is not a CSV file. Export the sheet as “CSV UTF-8” (a .csv file).",
                code="not_csv",
                params={"name": upload.name},
            )
        if upload.size > services.CSV_IMPORT_MAX_BYTES:
            raise ValidationError(
                "The file is larger than 1 MiB. Split it into smaller files.", code="too_big"
            )
        return upload.read()


class DeliveryLogFilterForm(forms.Form):
    """The delivery log's filters (GET): a person's name or email, a category, a status.

    A value that is not a choice (an old link, a category no longer registered) is a field error and
    that filter is left out, so the page still shows the rest.
    """

    q = forms.CharField(label="Person (name or email)", required=False, max_length=200)
    category = forms.ChoiceField(label="Category", required=False)
    status = forms.ChoiceField(label="Status", required=False)

    def __init__(self, *args, categories: list, statuses: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})
        self.fields["category"].choices = [("", "Any category"), *((c.name, c.label) for c in categories)]
        self.fields["status"].choices = [("", "Any status"), *statuses]

    def chosen(self) -> dict[str, str]:
        """The filters from the valid fields (an invalid one counts as not chosen)."""
        if not self.is_bound:
            return {"q": "", "category": "", "status": ""}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: (data.get(name) or "").strip() for name in ("q", "category", "status")}
