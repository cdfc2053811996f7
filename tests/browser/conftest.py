"""Browser fixtures and helpers shared by the end-to-end tests in this folder.

The browser is Debian's chromium (DESIGN.md §6). Playwright's sync API keeps an asyncio loop running
in the test thread, so Django's ORM needs DJANGO_ALLOW_ASYNC_UNSAFE while the browser is up.
Set E2E_SHOTS=/some/folder to save screenshots of the key pages there.

Every page a test opens through `new_context` (or `context`) is checked with axe-core (vendored in
vendor/axe-core/): once loaded (a navigation away waits for that check to finish) and, for the pages still
open, again when the test ends. A page left before its load event is not checked: wait for it to load
(an expect on its content is not enough) if it must be. A serious or critical violation fails the test
at teardown, listing the page, the rule and the elements. `assert_accessible(page)` checks a page now, for
states reached without a navigation (a menu opened, a row added by script).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from config.celery_app import app as celery_app
from organizations.demo import DEMO_PASSWORD, DemoOrganization, seed_demo_organization

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
TIMEOUT_MS = 10_000
SHOTS = os.environ.get("E2E_SHOTS", "")


# --- Browser fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # While Playwright's event loop runs in this thread, Django keeps a separate set of connections
    # (asgiref's Local is per context). Close the current ones before and the loop's own after, or
    # an orphaned session keeps the test database from being dropped at the end of the run.
    connections.close_all()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class ConsoleErrors:
    """Console errors and uncaught script errors of every page of the contexts it watches."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: uncaught {error}"))

    def assert_none(self) -> None:
        assert self.errors == [], "console errors:\n" + "\n".join(self.errors)


@pytest.fixture
def console() -> ConsoleErrors:
    return ConsoleErrors()


# --- Accessibility (axe-core) ---------------------------------------------------------------------

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
AXE_FAILING_IMPACTS = ["serious", "critical"]
# The longest a navigation waits for the check of the page it leaves (a check takes 0.3–3 s on a busy
# machine); below TIMEOUT_MS, so the click or goto that navigates does not time out meanwhile.
AXE_WAIT_MS = 8_000
# Runs axe on the document and resolves to the nodes whose impact fails the test. Runs are chained: axe
# refuses to start while another run is going (the check at load and assert_accessible may overlap).
AXE_RUN = """(impacts) => {
    const previous = window.__axeRun || Promise.resolve();
    const run = previous.catch(() => null).then(() => window.axe.run(document, {resultTypes: ["violations"]}));
    window.__axeRun = run;
    return run.then((results) => {
        const found = [];
        for (const violation of results.violations) {
            for (const node of violation.nodes) {
                if (impacts.includes(node.impact)) {
                    found.push({
                        rule: violation.id, impact: node.impact, help: violation.help,
                        target: node.target.map(String).join(" >>> "),
                        summary: (node.failureSummary || "").split("\\n").slice(1, 3).join(" ").trim(),
                    });
                }
            }
        }
        return found;
    });
}"""
# Added to every document of a watched context (through the DevTools protocol, so the site's
# Content-Security-Policy does not apply): axe itself, then a check of the page once it has loaded,
# reported to Python through the __axeReport binding with an id for the document.
AXE_INIT = f"""
{AXE_SOURCE}
;(() => {{
    if (window !== window.top || !/^https?:$/.test(location.protocol)) return;
    const doc = Math.random().toString(36).slice(2);
    window.__axeReport("loading", doc, location.href, null);
    window.addEventListener("load", () => {{
        window.__axeReport("running", doc, location.href, null);
        ({AXE_RUN})({AXE_FAILING_IMPACTS!r}).then(
            (found) => window.__axeReport("done", doc, location.href, found),
            (error) => window.__axeReport("done", doc, location.href, [{{
                rule: "axe-error", impact: "critical", help: String(error), target: "", summary: ""
            }}]),
        );
    }});
}})();
"""
# A check that loses its document to a navigation (or a closed page) has nothing left to check: the
# page it would have checked is gone.
NAVIGATION_RACES = (
    "Execution context was destroyed",
    "Cannot find context with specified id",
    "Target page, context or browser has been closed",
    "Target closed",
    "frame was detached",
    "Frame was detached",
)


def _lines(url: str, nodes: list[dict]) -> list[str]:
    return [
        f"{url} [{node['impact']}] {node['rule']} ({node['help']}): {node['target']}"
        + (f" — {node['summary']}" if node["summary"] else "")
        for node in nodes
    ]


def axe_violations(page: Page) -> list[str] | None:
    """Serious and critical axe-core violations of the page as it is now, one line each.

    None when there was nothing to check (not a page of the site, or the document went away meanwhile).
    """
    if page.is_closed() or not page.url.startswith(("http://", "https://")):
        return None
    url = page.url
    try:
        if not page.evaluate("() => typeof window.axe === 'object'"):  # a page of an unwatched context
            page.evaluate(f"() => {{\n{AXE_SOURCE}\n}}")
        nodes = page.evaluate(AXE_RUN, AXE_FAILING_IMPACTS)
    except PlaywrightError as error:
        if any(race in str(error) for race in NAVIGATION_RACES):
            return None
        raise
    return _lines(url, nodes)


def assert_accessible(page: Page) -> None:
    """Fails now if the page, in its current state, has a serious or critical axe-core violation."""
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    if violations is None and not page.is_closed():  # it navigated while being checked: check where it went
        page.wait_for_load_state("load")
        violations = axe_violations(page)
    assert not violations, "accessibility violations:\n" + "\n".join(violations or [])


class Accessibility:
    """Serious and critical axe-core violations of every page of the contexts it watches.

    Each document checks itself once loaded (AXE_INIT) and reports here. A main-frame navigation is held
    (a route) until a check under way in the document it leaves has reported, so a test that moves on at
    once loses no check.
    The handler cannot ask the page anything while its navigation is held (Playwright's evaluate waits
    for the navigation), hence the page reports on its own. Pages still open at the end are checked
    again as they are then.
    """

    def __init__(self) -> None:
        self.violations: dict[str, None] = {}  # ordered and without repeats (a page checked twice)
        self.checked: list[str] = []
        self.unchecked: list[str] = []  # left before loading, or a check that took too long
        self.state: dict[Page, str] = {}  # of each page's current document: loading, running or done

    def on_report(self, source: dict, state: str, doc: str, url: str, nodes: list[dict] | None) -> None:
        self.state[source["page"]] = state
        if state == "done":
            self.checked.append(url)
            self.violations.update(dict.fromkeys(_lines(url, nodes or [])))

    def wait_for_check(self, page: Page) -> None:
        """Until the page's current document has reported its check (at most AXE_WAIT_MS).

        Only a check under way is waited for: a document left before its load event never loads while
        the navigation away is held, so it goes unchecked (tests wait for a page to load before leaving
        it when they want it checked).
        """
        waited = 0
        while self.state.get(page) == "running" and waited < AXE_WAIT_MS and not page.is_closed():
            page.wait_for_timeout(50)  # a client-side sleep: events (the report) are handled meanwhile
            waited += 50

    def check(self, page: Page) -> None:
        self.wait_for_check(page)
        violations = axe_violations(page)
        if violations is not None:
            self.checked.append(page.url)
            self.violations.update(dict.fromkeys(violations))

    def watch(self, context: BrowserContext) -> None:
        def on_request(route: Route) -> None:
            request = route.request
            try:
                if request.is_navigation_request() and request.frame.parent_frame is None:
                    page = request.frame.page
                    self.wait_for_check(page)
                    if self.state.get(page) in ("loading", "running"):
                        self.unchecked.append(page.url)
            finally:
                route.fallback()

        context.expose_binding("__axeReport", self.on_report)
        context.add_init_script(AXE_INIT)
        context.route("**/*", on_request)

    def assert_none(self) -> None:
        assert not self.violations, "accessibility violations (axe-core, serious or critical):\n" + "\n".join(
            self.violations
        )


@pytest.fixture
def accessibility() -> Accessibility:
    return Accessibility()


@pytest.fixture
def new_context(
    browser: Browser, live_server, console: ConsoleErrors, accessibility: Accessibility, request
) -> Iterator[Callable[..., BrowserContext]]:
    """Opens browser contexts (desktop by default) on the live server; all are closed after the test.

    Every page they show is checked with axe-core (see the module's docstring); a violation fails the
    test here, after the contexts are closed. With E2E_SHOTS set, the last state of every page is saved
    too (what a failing test saw).
    """
    contexts: list[BrowserContext] = []

    def open_context(**options) -> BrowserContext:
        context = browser.new_context(base_url=live_server.url, **(options or DESKTOP))
        context.set_default_timeout(TIMEOUT_MS)
        context.on("page", console.watch)
        accessibility.watch(context)
        contexts.append(context)
        return context

    yield open_context
    try:
        for number, context in enumerate(contexts):
            for index, page in enumerate(context.pages):
                accessibility.check(page)
                shot(page, f"last-{request.node.name[5:40]}-{number}{index}")
    finally:
        for context in contexts:
            context.close()
    accessibility.assert_none()


@pytest.fixture
def context(new_context) -> BrowserContext:
    return new_context()


@pytest.fixture
def eager_celery():
    """Tasks run in-process when enqueued (on commit, in the live server's thread): emails land in mail.outbox."""
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def demo() -> DemoOrganization:
    return seed_demo_organization()


# --- Helpers ------------------------------------------------------------------------------------


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password:", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#nav-links")).to_be_attached()  # the menu of signed-in people


def open_menu(page: Page) -> None:
    """On a phone the links hide behind a Menu button (app.js); on a desktop they are always shown."""
    page.wait_for_load_state("domcontentloaded")  # app.js (deferred) has set the menu up
    toggle = page.get_by_role("button", name="Menu")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(page.locator("#nav-links")).to_be_visible()


def menu(page: Page, name: str) -> None:
    """Follow a link of the main menu."""
    open_menu(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def sign_out(page: Page) -> None:
    open_menu(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def expect_message(page: Page, text: str | re.Pattern) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


def assert_no_horizontal_overflow(page: Page) -> None:
    page.wait_for_load_state("load")  # stylesheets and fonts applied
    widths = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"{page.url} scrolls sideways on a phone: {widths}"


def link_in(body: str, pattern: str) -> str:
    match = re.search(pattern, body)
    assert match, f"no link matching {pattern!r} in:\n{body}"
    return match.group(0)

