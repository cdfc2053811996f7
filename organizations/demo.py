"""Demo data: Switchback Cycles, a regional chain of bike repair and rental shops.

`seed_demo_organization()` builds a realistic tenant to explore the product with: its vision and
customer promise, six service standards, two shop teams with their managers, an admin and ten
employees across three time zones, all able to sign in with one shared demo password.

It is idempotent: every row is looked up by its natural key (organization slug, team name, user
email, standard code) and only created when missing; nothing that exists is changed, so running it
again, or after someone edited the demo in the interface, writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When

from organizations import services
from organizations.models import Membership, Organization, Role, ServiceStandard, Team, User

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105  the demo's sign-in, printed by `make run`
DEMO_ORGANIZATION_SLUG = "switchback-cycles"
EMAIL_DOMAIN = "switchbackcycles.example"  # .example is reserved: these addresses reach nobody

ORGANIZATION = {
    "name": "Switchback Cycles",
    "time_zone": "America/Denver",
    # The shops open every day, so reminders may go out any day, 08:00-18:00 where each person is.
    "sending_weekdays": "1234567",
    "vision": "More people riding more often, on bikes they trust, in every town we serve.",
    "customer_promise": (
        "When you bring us your bike, we treat your ride like our own: a warm welcome, a clear "
        "explanation, an honest price before we start, your bike ready when we said, and a safe, "
        "confident start to every ride. If something goes wrong, the person you talk to fixes it."
    ),
}

STANDARDS: list[dict] = [
    {
        "code": "S1",
        "title": "Greet every rider within 10 seconds",
        "description": (
            "Whoever is nearest the door acknowledges a customer within ten seconds, even in the middle "
            "of a repair or a phone call. A rider who feels seen will wait; one who feels ignored walks out."
        ),
        "behaviors": [
            "Looks up and greets the customer within 10 seconds of the door chime",
            "When busy, makes eye contact and says when they will be free (“Be right with you, two minutes”)",
            "Asks about the ride before the bike: “Where are you riding?”",
            "Steps out from behind the counter or the workstand to talk",
        ],
    },
    {
        "code": "S2",
        "title": "Explain the diagnosis in plain words",
        "description": (
            "Customers decide with confidence when they understand what is wrong. We show, we don't lecture, "
            "and we never make anyone feel silly for not knowing bike jargon."
        ),
        "behaviors": [
            "Shows the worn or broken part on the bike itself",
            "Explains what the part does and what happens if it is left as it is",
            "Separates “needed for safety” from “nice to have”",
            "Checks understanding before moving on: “Does that make sense?”",
        ],
    },
    {
        "code": "S3",
        "title": "No surprises: quote before we wrench",
        "description": (
            "No work starts without a written estimate the customer agreed to, and the final bill never "
            "goes past it without their say-so."
        ),
        "behaviors": [
            "Writes the price and the ready-by time on the ticket before any work starts",
            "Calls or texts for approval before doing anything not on the estimate",
            "Makes sure the invoice matches the approved estimate at pick-up",
        ],
    },
    {
        "code": "S4",
        "title": "Ready when we said",
        "description": (
            "A promised time is a promise. If it is going to slip, the customer hears it from us before the "
            "deadline, with the reason and a new time."
        ),
        "behaviors": [
            "Sets a realistic ready-by time from the workshop board, not a guess",
            "Contacts the customer before the deadline when it will be missed, with a reason and a new time",
            "Has the bike tagged, cleaned and waiting at the front when the customer arrives",
            "Offers a loaner bike or a discount when we miss a promised time",
        ],
    },
    {
        "code": "S5",
        "title": "Send every rider out safe and confident",
        "description": (
            "Rental or repair, the handover is where trust is won: the bike fits, everything works, and the "
            "rider knows where they are going."
        ),
        "behaviors": [
            "Sets the saddle height with the rider sitting on the bike",
            "Checks brakes and shifting together with the rider before they leave",
            "Offers a helmet and checks that it fits",
            "Gives today's trail or route conditions and the shop's phone number for emergencies",
        ],
    },
    {
        "code": "S6",
        "title": "Own the problem until it is solved",
        "description": (
            "The first person who hears about a problem owns it: no passing the customer around, no blaming "
            "a colleague. Everyone may spend up to $50 to make it right without asking a manager."
        ),
        "behaviors": [
            "Listens without interrupting, then apologizes sincerely",
            "Says what they will do and by when, and writes it on the ticket",
            "Uses the $50 make-it-right allowance without waiting for a manager",
            "Follows up within two business days to check that the fix held",
        ],
    },
]

BOULDER = "Boulder shop"
FLAGSTAFF = "Flagstaff shop"
TEAMS = [BOULDER, FLAGSTAFF]

# (local part, name, job title, time zone, team); emails are <local part>@EMAIL_DOMAIN.
ADMIN = ("maya.okafor", "Maya Okafor", "Director of Customer Experience", "America/Denver", None)
# (..., can_author)
MANAGERS = [
    ("luis.ortega", "Luis Ortega", "Store Manager, Boulder", "America/Denver", BOULDER, True),
    ("hannah.begay", "Hannah Begay", "Store Manager, Flagstaff", "America/Phoenix", FLAGSTAFF, False),
]
EMPLOYEES = [
    ("priya.natarajan", "Priya Natarajan", "Service Writer", "America/Denver", BOULDER),
    ("jonas.weber", "Jonas Weber", "Senior Mechanic", "America/Denver", BOULDER),
    ("keisha.brown", "Keisha Brown", "Mechanic", "America/Denver", BOULDER),
    ("tomas.rivera", "Tomás Rivera", "Rental Lead", "America/Denver", BOULDER),
    ("emily.chen", "Emily Chen", "Sales & Rental Associate", "America/Denver", BOULDER),
    ("daniel.yazzie", "Daniel Yazzie", "Service Writer", "America/Phoenix", FLAGSTAFF),
    ("sofia.marquez", "Sofia Márquez", "Mechanic", "America/Phoenix", FLAGSTAFF),
    ("ben.carter", "Ben Carter", "Rental Associate", "America/Phoenix", FLAGSTAFF),
    ("aiyana.tso", "Aiyana Tso", "Trail Guide", "America/Phoenix", FLAGSTAFF),
    ("rosa.delgado", "Rosa Delgado", "Remote Bookings Coordinator", "America/Los_Angeles", FLAGSTAFF),
]


@dataclass
class DemoOrganization:
    """What `seed_demo_organization` made (or found): the organization and its people."""

    organization: Organization
    admin: Membership
    managers: list[Membership]
    employees: list[Membership]
    teams: list[Team]
    standards: list[ServiceStandard]
    password: str = DEMO_PASSWORD
    created: bool = field(default=False)

    @property
    def people(self) -> list[Membership]:
        return [self.admin, *self.managers, *self.employees]

    @property
    def author(self) -> Membership:
        """A manager allowed to author courses (the demo courses are written in their name)."""
        return next(manager for manager in self.managers if manager.can_author)


def _email(local_part: str) -> str:
    return f"{local_part}@{EMAIL_DOMAIN}"


class _People:
    """Creates demo users and memberships, hashing the shared password once."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self._password_hash: str | None = None

    def password_hash(self) -> str:
        if self._password_hash is None:
            self._password_hash = make_password(DEMO_PASSWORD)
        return self._password_hash

    def member(
        self, local_part: str, name: str, job_title: str, time_zone: str, role: str, *, can_author: bool = False
    ) -> Membership:
        email = _email(local_part)
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create(email=email, name=name, time_zone=time_zone, password=self.password_hash())
        # Verified and primary: allauth's mandatory verification lets demo people sign in at once.
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        membership, _ = Membership.objects.get_or_create(
            user=user,
            organization=self.organization,
            defaults={"role": role, "job_title": job_title, "can_author": can_author},
        )
        return membership


def _place_in_team(membership: Membership, team: Team) -> None:
    if membership.team_id is None:
        membership.team = team
        membership.save(update_fields=["team"])


def seed_demo_organization() -> DemoOrganization:
    """Create the Switchback Cycles demo tenant, or return it unchanged when it already exists."""
    with transaction.atomic():
        organization, created = Organization.objects.get_or_create(slug=DEMO_ORGANIZATION_SLUG, defaults=ORGANIZATION)
        people = _People(organization)

        admin = people.member(*ADMIN[:4], Role.ADMIN)
        managers = {
            team_name: people.member(local, name, title, tz, Role.MANAGER, can_author=can_author)
            for local, name, title, tz, team_name, can_author in MANAGERS
        }

        teams = {}
        for team_name in TEAMS:
            team = Team.objects.filter(organization=organization, name=team_name).first()
            if team is None:
                team = services.team_create(actor=admin, name=team_name, managers=[managers[team_name]])
            teams[team_name] = team
            _place_in_team(managers[team_name], team)

        employees = []
        for local, name, title, tz, team_name in EMPLOYEES:
            membership = people.member(local, name, title, tz, Role.EMPLOYEE)
            _place_in_team(membership, teams[team_name])
            employees.append(membership)

        existing = {standard.code: standard for standard in ServiceStandard.objects.of_organization(organization.pk)}
        standards = []
        for order, values in enumerate(STANDARDS, start=1):
            standard = existing.get(values["code"])
            if standard is None:
                standard = services.standard_create(actor=admin, order=order, **values)
            standards.append(standard)

    return DemoOrganization(
        organization=organization,
        admin=admin,
        managers=list(managers.values()),
        employees=employees,
        teams=list(teams.values()),
        standards=standards,
        created=created,
    )


def _role_label(membership: Membership) -> str:
    if membership.role == Role.MANAGER and membership.can_author:
        return "manager, may author courses"
    return membership.get_role_display().lower()


def demo_sign_in_lines(*, sign_in_url: str) -> list[str]:
    """How to sign in as the demo people: the page, the shared password, one line per person.

    Read from the database (admin, then managers, then employees, as seeded), so `make run` can print
    them once everything is up without seeding again. Empty when there is no demo organization.
    """
    role_order = Case(
        *(When(role=role, then=Value(position)) for position, role in enumerate(Role.values)),
        output_field=IntegerField(),
    )
    people = list(
        Membership.objects.filter(organization__slug=DEMO_ORGANIZATION_SLUG, is_active=True)
        .select_related("user", "team")
        .order_by(role_order, "id")
    )
    if not people:
        return []
    width = max(len(membership.user.email) for membership in people)
    lines = [f"  Sign in at: {sign_in_url}", f"  Password for every demo person: {DEMO_PASSWORD}", ""]
    for membership in people:
        team = f", {membership.team.name}" if membership.team_id else ""
        lines.append(
            f"  {membership.user.email:<{width}}  {membership.user.name} — {membership.job_title}"
            f" ({_role_label(membership)}{team})"
        )
    return lines
