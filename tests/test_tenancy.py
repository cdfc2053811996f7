"""Tenancy fails closed: the cross-organization sweep and the scoped-model rule.

The sweep requests every URL pattern of every project app (found from the app registry and the URL
resolver, see tests/tenancy_world.py) as every persona of Acme (admin, manager, employee, a manager
who authors), GET and POST, with Globex's ids:

1. in the path: the answer is a 404;
2. in the query string (every id-like parameter a view reads, found in the source): no 500, and
   nothing of Globex's shows;
3. in the form fields of every form Acme's people are shown (ids in values and in field names): a 404
   or the form again with an error of its own (one the same submission with Acme's id does not get),
   and no row is written.

Throughout, Globex's text fields carry canary markers (tests/test_canary.py), so a page that shows a
Globex row is caught whatever its status; Globex's rows must not change and no row may point at
another organization's. A view that cannot be swept (an unnamed pattern, a URL argument or an id field
with no Globex object, an unclassified query parameter) fails the sweep instead of being skipped.
Positive controls prove each part can fail: the same requests with Acme's own ids get through.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import Resolver404, resolve, reverse

from organizations.models import OrganizationScopedQuerySet
from tests import tenancy_world
from tests.test_canary import mark_text_fields

# Public by design: the secret in the URL is the permission, and these pages show nothing beyond what
# the holder of the secret is meant to see.
PUBLIC_PATTERNS = {
    "organizations:invitation_accept": "the invitation token is the invitee's credential",
    "enrollments:certificate": "certificates are publicly verifiable by their code",
    "enrollments:calendar_feed": "the feed's token is its holder's credential (calendar apps cannot sign in)",
    "followups:refresher_by_token": "the signed token is the permission (that refresher only, 7 days, spent once used)",
    "notifications:unsubscribe": "the signed token is its holder's credential (RFC 8058 one-click, no session)",
}

PERSONAS = tuple(tenancy_world.PERSONAS)


@pytest.fixture
def worlds(db, notice_categories):
    acme, globex = tenancy_world.build_worlds()
    markers = mark_text_fields(globex)
    return acme, globex, markers


def _url(pattern: tenancy_world.AppPattern, world: tenancy_world.World) -> str:
    return reverse(pattern.name, kwargs={key: world.url_kwargs[key] for key in pattern.kwargs})


def _urls(pattern: tenancy_world.AppPattern, world: tenancy_world.World) -> list[str]:
    """The pattern's URL with the world's objects, and with each variant of them (drafts...)."""
    urls = []
    for kwargs in world.all_url_kwargs():
        url = reverse(pattern.name, kwargs={key: kwargs[key] for key in pattern.kwargs})
        if url not in urls:
            urls.append(url)
    return urls


def _leaked_markers(response, markers: set[str]) -> list[str]:
    raw = b"".join(response.streaming_content) if response.streaming else response.content  # files stream
    body = raw.decode(errors="replace")
    return sorted(marker for marker in markers if marker in body)


# --- What is swept ----------------------------------------------------------------------------------


def test_the_project_apps_come_from_the_app_registry():
    labels = {config.label for config in tenancy_world.project_app_configs()}

    assert {"organizations", "courses", "enrollments"} <= labels
    assert not labels & {"auth", "admin", "sessions", "account", "contenttypes"}


def test_every_pattern_of_the_project_apps_can_be_swept(worlds):
    acme, _, _ = worlds
    problems = []
    for pattern in tenancy_world.app_patterns():
        if pattern.name is None:
            problems.append(f"{pattern.route} ({pattern.module}) has no name: the sweep cannot reverse it")
            continue
        missing = sorted(pattern.kwargs - acme.url_kwargs.keys())
        if missing:
            problems.append(f"{pattern.name}: no object for {missing}; add one to build_world()")

    assert problems == [], "\n".join(problems)


def test_public_patterns_still_exist():
    names = {pattern.name for pattern in tenancy_world.app_patterns()}

    assert set(PUBLIC_PATTERNS) <= names


def test_the_sweep_covers_every_app_with_views():
    apps_with_patterns = {pattern.module.split(".")[0] for pattern in tenancy_world.app_patterns()}

    assert {"organizations", "courses", "enrollments"} <= apps_with_patterns


# --- 1. Ids in the path -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_another_organizations_ids_in_the_path_are_404(persona, worlds):
    acme, globex, markers = worlds
    client = acme.client(persona)
    fingerprint = tenancy_world.organization_fingerprint(globex.organization)
    leaks = []

    for pattern in tenancy_world.app_patterns():
        if not pattern.kwargs or pattern.name in PUBLIC_PATTERNS:
            continue
        for url in _urls(pattern, globex):
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                if response.status_code != 404:
                    leaks.append(f"{method.upper()} {url} ({pattern.name}) → {response.status_code}")
                if seen := _leaked_markers(response, markers):
                    leaks.append(f"{method.upper()} {url} ({pattern.name}) shows {seen}")

    assert leaks == [], "\n".join(leaks)
    assert tenancy_world.organization_fingerprint(globex.organization) == fingerprint
    assert tenancy_world.cross_organization_references() == []


def test_positive_control_own_ids_in_the_path_reach_some_persona(worlds):
    acme, _, _ = worlds
    clients = {persona: acme.client(persona) for persona in PERSONAS}
    unreachable = []

    for pattern in tenancy_world.app_patterns():
        if not pattern.kwargs or pattern.name in PUBLIC_PATTERNS:
            continue
        url = _url(pattern, acme)
        statuses = {persona: client.get(url).status_code for persona, client in clients.items()}
        if all(status == 404 for status in statuses.values()):
            unreachable.append(f"GET {url} ({pattern.name})")

    assert unreachable == []


# --- The scoped-model rule --------------------------------------------------------------------------


def test_every_organization_owned_model_uses_the_organization_scoped_queryset():
    owned = tenancy_world.organization_owned_models()
    problems = []

    for model, path in owned.items():
        queryset_class = getattr(model._default_manager, "_queryset_class", None)
        if not (isinstance(queryset_class, type) and issubclass(queryset_class, OrganizationScopedQuerySet)):
            problems.append(f"{model._meta.label}: default manager's queryset is {queryset_class}")
            continue
        if queryset_class.organization_path != path:
            problems.append(
                f"{model._meta.label}: organization_path is {queryset_class.organization_path!r}, "
                f"the model's path to its organization is {path!r}"
            )

    assert problems == [], "\n".join(problems)


def test_the_scoped_model_rule_knows_the_owned_models():
    labels = {model._meta.label for model in tenancy_world.organization_owned_models()}

    # A few known owners, direct and through parents, so a broken discovery cannot pass vacuously.
    assert {
        "organizations.Membership",
        "organizations.ServiceStandardRevision",
        "courses.Choice",
        "enrollments.Attempt",
        "enrollments.Certificate",
    } <= labels
    assert "organizations.Organization" not in labels
    assert "organizations.User" not in labels



# --- Requests that must change nothing of Globex's ------------------------------------------------------


@contextmanager
def _rolled_back():
    """Run a request in a savepoint that is rolled back, so every request meets the same world."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _signed_in(world: tenancy_world.World, persona: str):
    client = world.client(persona)
    client.raise_request_exception = False  # a 500 is a finding, not a crash of the sweep
    return client


def _invariants(globex: tenancy_world.World, fingerprint: dict[str, str]) -> list[str]:
    problems = [f"cross-organization reference {ref}" for ref in tenancy_world.cross_organization_references()]
    if tenancy_world.organization_fingerprint(globex.organization) != fingerprint:
        problems.append("Globex's rows changed")
    return problems


# --- 2. Ids in the query string ----------------------------------------------------------------------

# Query parameters that name an object, with the model whose Globex id the sweep passes. Every name
# a view reads from request.GET must be here or in NOT_IDS (test_every_query_parameter_is_classified).
ID_PARAMETERS = {
    "team": "organizations.Team",
    "person": "organizations.Membership",
    "membership": "organizations.Membership",
    "member": "organizations.Membership",
    "manager": "organizations.Membership",
    "standard": "organizations.ServiceStandard",
    "invitation": "organizations.Invitation",
    "organization": "organizations.Organization",
    "course": "courses.Course",
    "lesson": "courses.Lesson",
    "question": "courses.Question",
    "choice": "courses.Choice",
    "program": "courses.Program",
    "attempt": "enrollments.Attempt",
    "certificate": "enrollments.Certificate",
}
NOT_IDS = {
    "status": "an invitation status filter (pending, accepted...)",
    "page": "a page number",
    "kind": "a question type",
    "next": "where to go after signing in (same-site paths only)",
    "format": "json: an import job's progress as figures for its page's script",
    "q": "a search text (the delivery log's person: a name or an email)",
    "category": "a notification category's name",
}
_GET_READ = re.compile(r"request\.GET(?:\.get|\.getlist|\.__getitem__)?\s*[\(\[]\s*[\"'](\w+)[\"']")


def query_parameters_read_by_views() -> set[str]:
    """Every name a project app reads from request.GET, found in its source."""
    names = set()
    for config in tenancy_world.project_app_configs():
        for path in Path(config.path).rglob("*.py"):
            if "migrations" not in path.parts:
                names |= set(_GET_READ.findall(path.read_text()))
    return names


def _foreign_query(world: tenancy_world.World) -> str:
    values = {}
    for name, label in ID_PARAMETERS.items():
        row = world.first(apps.get_model(label))
        assert row is not None, f"build_world() makes no {label} for ?{name}="
        values[name] = row.pk
        values[f"{name}_id"] = row.pk
    return urlencode(values)


def test_every_query_parameter_is_classified():
    unknown = query_parameters_read_by_views() - ID_PARAMETERS.keys() - {f"{n}_id" for n in ID_PARAMETERS}
    unknown -= NOT_IDS.keys()

    assert unknown == set(), "Add these to ID_PARAMETERS (they name an object) or NOT_IDS in tests/test_tenancy.py"


@pytest.mark.parametrize("persona", PERSONAS)
def test_another_organizations_ids_in_the_query_string_show_and_change_nothing(persona, worlds):
    acme, globex, markers = worlds
    client = _signed_in(acme, persona)
    fingerprint = tenancy_world.organization_fingerprint(globex.organization)
    query = _foreign_query(globex)
    problems = []

    for pattern in tenancy_world.app_patterns():
        if pattern.name in PUBLIC_PATTERNS:
            continue
        url = f"{_url(pattern, acme)}?{query}"
        for method in ("get", "post"):
            with _rolled_back():
                response = getattr(client, method)(url)
                where = f"{method.upper()} {url} ({pattern.name})"
                if response.status_code >= 500:
                    problems.append(f"{where} → {response.status_code}")
                if seen := _leaked_markers(response, markers):
                    problems.append(f"{where} shows {seen}")
                problems += [f"{where}: {problem}" for problem in _invariants(globex, fingerprint)]

    assert problems == [], "\n".join(problems)


# --- 3. Ids in form fields -----------------------------------------------------------------------------


@dataclass
class FormControl:
    tag: str  # input, select, textarea, button
    type: str
    name: str
    value: str = ""
    checked: bool = False
    required: bool = False
    multiple: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # (value, selected)


@dataclass
class HtmlForm:
    action: str
    controls: list[FormControl] = field(default_factory=list)


class _Forms(HTMLParser):
    """The POST forms of a page with their controls, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._select: FormControl | None = None
        self._option: list | None = None
        self._textarea: FormControl | None = None

    def handle_starttag(self, tag, attrs) -> None:
        a = dict(attrs)
        if tag == "form":
            self._form = HtmlForm(action=a.get("action") or "") if (a.get("method") or "").lower() == "post" else None
            if self._form is not None:
                self.forms.append(self._form)
            return
        if self._form is None or "disabled" in a or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._option = [a.get("value"), "selected" in a, ""]
                self._select.options.append(("", False))
            return
        name = a["name"]
        if tag == "input":
            self._form.controls.append(
                FormControl(
                    tag="input", type=(a.get("type") or "text").lower(), name=name, value=a.get("value") or "",
                    checked="checked" in a, required="required" in a,
                )
            )
        elif tag == "select":
            self._select = FormControl(tag="select", type="select", name=name, multiple="multiple" in a,
                                       required="required" in a)
            self._form.controls.append(self._select)
        elif tag == "textarea":
            self._textarea = FormControl(tag="textarea", type="textarea", name=name, required="required" in a)
            self._form.controls.append(self._textarea)
        elif tag == "button" and (a.get("type") or "submit").lower() == "submit":
            self._form.controls.append(FormControl(tag="button", type="submit", name=name, value=a.get("value") or ""))

    def handle_data(self, data) -> None:
        if self._textarea is not None:
            self._textarea.value += data
        if self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value, selected, text = self._option
            self._select.options[-1] = (value if value is not None else text.strip(), selected)
            self._option = None


def _submission(form: HtmlForm) -> dict[str, list[str]]:
    """What a browser posts for the form as shown (first submit button; required blanks filled in)."""
    data: dict[str, list[str]] = {}
    radios_seen: set[str] = set()
    button = False
    for control in form.controls:
        if control.tag == "button":
            if not button:
                data.setdefault(control.name, []).append(control.value)
                button = True
        elif control.tag == "select":
            chosen = [value for value, selected in control.options if selected]
            if not chosen and not control.multiple and control.options:
                chosen = [control.options[0][0]]
            data.setdefault(control.name, []).extend(chosen)
        elif control.type in ("checkbox",):
            if control.checked:
                data.setdefault(control.name, []).append(control.value or "on")
        elif control.type == "radio":
            if control.checked:
                data[control.name] = [control.value]
                radios_seen.add(control.name)
            elif control.name not in radios_seen and control.name not in data and control.required:
                data[control.name] = [control.value]
        elif control.type in ("file", "submit", "reset", "image"):
            continue
        else:
            value = control.value
            if not value.strip() and control.required:
                value = {"email": "sweep@acme.test", "number": "1", "url": "https://example.com/"}.get(
                    control.type, "Sweep text"
                )
            data.setdefault(control.name, []).append(value)
    return data


def _candidate_ids(control: FormControl) -> set[int]:
    values = [value for value, _ in control.options] if control.tag == "select" else [control.value]
    return {int(value) for value in values if value and value.isdigit()}


@dataclass(frozen=True)
class IdSlot:
    """A place in a form that carries an object's id: a field's value, or a number in a field's name."""

    kind: str  # "value" or "name"
    field: str
    model: str
    acme_id: int
    sample: str = ""  # a value the control can post (an unticked checkbox is posted with it)


def _id_slots(form: HtmlForm) -> tuple[list[IdSlot], list[str]]:
    """The id slots of a form, and any Globex id found in it (a leak in itself)."""
    slots, foreign = set(), []
    for control in form.controls:
        for value in _candidate_ids(control):
            owner = tenancy_world.model_of_id(value)
            if owner and owner[0] == "acme":
                slots.add(IdSlot("value", control.name, owner[1]._meta.label, value))
            elif owner:
                foreign.append(f"{control.name}={value}")
        for number in re.findall(r"\d+", control.name):
            owner = tenancy_world.model_of_id(int(number))
            if owner and owner[0] == "acme":
                sample = next(iter(sorted(map(str, _candidate_ids(control)))), control.value or "on")
                slots.add(IdSlot("name", control.name, owner[1]._meta.label, int(number), sample))
            elif owner:
                foreign.append(control.name)
    return sorted(slots, key=lambda slot: (slot.field, slot.kind)), foreign


def _with_slot(data: dict[str, list[str]], slot: IdSlot, object_id: int) -> dict[str, list[str]]:
    """The submission with the slot holding `object_id` (Acme's own for the control, Globex's to forge)."""
    if slot.kind == "value":
        return {**data, slot.field: [str(object_id)]}
    token = re.compile(rf"(?<!\d){slot.acme_id}(?!\d)")
    data = {**data, slot.field: data.get(slot.field) or [slot.sample]}
    return {token.sub(str(object_id), name): values for name, values in data.items()}


_ERROR_LIST = re.compile(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>|class="field-error"[^>]*>(.*?)</p>', re.S)
_ITEM = re.compile(r"<li>(.*?)</li>", re.S)


def form_errors(response) -> set[str]:
    """The error messages a page shows on its forms."""
    errors = set()
    for listed, paragraph in _ERROR_LIST.findall(response.content.decode(errors="replace")):
        errors |= {item.strip() for item in _ITEM.findall(listed)} if listed else {paragraph.strip()}
    return errors


def _posted_forms(client, acme: tenancy_world.World, persona: str):
    """Every distinct POST form the persona is shown on the project's pages (with Acme's ids), by action."""
    seen = set()
    for pattern in tenancy_world.app_patterns():
        if pattern.name in PUBLIC_PATTERNS:
            continue
        for page in _urls(pattern, acme):
            response = client.get(page)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            parser = _Forms()
            parser.feed(response.content.decode(errors="replace"))
            for form in parser.forms:
                action = urljoin(page, form.action) if form.action else page
                try:
                    match = resolve(urlsplit(action).path)
                except Resolver404:
                    continue
                if not (match.func.__module__ or "").startswith(
                    tuple(f"{config.name}." for config in tenancy_world.project_app_configs())
                ):
                    continue  # e.g. the sign-out form: not a project view
                key = (action, tuple(sorted({control.name for control in form.controls})))
                if key not in seen:
                    seen.add(key)
                    yield page, action, form


@pytest.mark.parametrize("persona", PERSONAS)
def test_another_organizations_ids_in_form_fields_are_refused_and_nothing_is_written(persona, worlds):
    acme, globex, markers = worlds
    client = _signed_in(acme, persona)
    fingerprint = tenancy_world.organization_fingerprint(globex.organization)
    problems, forged_count, accepted = [], 0, 0

    for page, action, form in _posted_forms(client, acme, persona):
        slots, foreign = _id_slots(form)
        if foreign:
            problems.append(f"{page} shows Globex ids in a form: {foreign}")
        data = _submission(form)
        for slot in slots:
            target = globex.first(apps.get_model(slot.model))
            if target is None:
                problems.append(f"{page}: build_world() makes no {slot.model} to forge {slot.field}")
                continue
            where = f"POST {action} with {slot.field} ({slot.kind}) = Globex {slot.model} #{target.pk}"
            # Control: the same submission with Acme's own id. Whatever it answers, the Globex id
            # must add a refusal of its own (a 404, or an error the control did not have).
            with _rolled_back():
                control = client.post(action, _with_slot(data, slot, slot.acme_id))
            if control.status_code == 404:
                problems.append(f"{where}: the form refuses Acme's own id too (404)")
                continue
            accepted += control.status_code == 302
            with _rolled_back():
                counts = tenancy_world.row_counts()
                response = client.post(action, _with_slot(data, slot, target.pk))
                forged_count += 1
                status = response.status_code
                refused = status == 404 or (
                    status in (200, 400) and form_errors(response) - form_errors(control)
                )
                if not refused:
                    problems.append(f"{where} → {status}, neither a 404 nor a form error of its own")
                if seen := _leaked_markers(response, markers):
                    problems.append(f"{where} shows {seen}")
                if tenancy_world.row_counts() != counts:
                    problems.append(f"{where} wrote rows")
                problems += [f"{where}: {problem}" for problem in _invariants(globex, fingerprint)]

    assert problems == [], "\n".join(problems)
    # Not vacuous: many id fields were forged, and most controls with Acme's ids were accepted.
    assert (forged_count, accepted) >= MINIMUM_FORGED_SLOTS[persona], (forged_count, accepted)


# How many id fields each persona's sweep forges at least, and for how many of them the control with
# Acme's own id is accepted (admin 34/30, manager 5/5, employee 4/4, author 27/23 when written).
MINIMUM_FORGED_SLOTS = {"admin": (28, 25), "manager": (4, 4), "employee": (3, 3), "author": (22, 18)}


def test_the_write_checks_see_a_foreign_id_written_and_a_globex_row_changed(worlds):
    """The checks the sweep relies on to say "nothing was written" can fail."""
    from organizations.models import Team

    acme, globex, _ = worlds
    fingerprint = tenancy_world.organization_fingerprint(globex.organization)
    counts = tenancy_world.row_counts()
    assert tenancy_world.cross_organization_references() == []

    employee = acme.people["employee"]
    employee.team = globex.first(Team)
    employee.save(update_fields=["team"])
    globex.first(Team).managers.add(acme.people["manager"])
    Team.objects.filter(pk=globex.first(Team).pk).update(name="Renamed")
    Team.objects.create(organization=acme.organization, name="New")

    crossing = Team.managers.through.objects.get(membership=acme.people["manager"], team=globex.first(Team))
    assert sorted(tenancy_world.cross_organization_references()) == [
        f"organizations.Membership.team#{employee.pk}",
        f"organizations_team_managers#{crossing.pk}",
    ]
    changed = tenancy_world.organization_fingerprint(globex.organization)
    assert {label for label in changed if changed[label] != fingerprint[label]} == {
        "organizations.Team",
        "organizations_team_managers",
    }
    assert tenancy_world.row_counts()["organizations_team"] == counts["organizations_team"] + 1
