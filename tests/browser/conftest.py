"""Browser fixtures and helpers shared by the end-to-end tests in this folder.

The browser is Debian's chromium (DESIGN.md §6). Playwright's sync API keeps an asyncio loop running
in the test thread, so Django's ORM needs DJANGO_ALLOW_ASYNC_UNSAFE while the browser is up.
Set E2E_SHOTS=/some/folder to save screenshots of the key pages there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect, sync_playwright

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


@pytest.fixture
def new_context(
    browser: Browser, live_server, console: ConsoleErrors, request
) -> Iterator[Callable[..., BrowserContext]]:
    """Opens browser contexts (desktop by default) on the live server; all are closed after the test.

    With E2E_SHOTS set, the last state of every page is saved too (what a failing test saw).
    """
    contexts: list[BrowserContext] = []

    def open_context(**options) -> BrowserContext:
        context = browser.new_context(base_url=live_server.url, **(options or DESKTOP))
        context.set_default_timeout(TIMEOUT_MS)
        context.on("page", console.watch)
        contexts.append(context)
        return context

    yield open_context
    for number, context in enumerate(contexts):
        for index, page in enumerate(context.pages):
            shot(page, f"last-{request.node.name[5:40]}-{number}{index}")
        context.close()


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

