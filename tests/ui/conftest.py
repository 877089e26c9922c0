"""Fixtures of the browser UI tests: one live app + worker and one Chromium per module,
a fresh browser context (own sessionStorage) per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.ui.support_ui import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    LiveApp,
    require_chromium,
    start_app,
)


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    app, stop = start_app(tmp_path_factory.mktemp("ui-app"))
    try:
        yield app
    finally:
        stop()


@pytest.fixture(scope="module")
def browser(live_app: LiveApp) -> Iterator[Any]:
    sync_api = require_chromium()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            yield chromium
        finally:
            chromium.close()


CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` (${event.sourceFile}:${event.lineNumber}) ${event.sample || ""}`);
});
"""
"""runs before the page's scripts: every CSP violation becomes a console error"""


@dataclass
class PageLog:
    """What the page said: console errors (CSP violations included), uncaught errors,
    dialogs (alert() & co). Any error a test did not announce with :meth:`expect` fails
    the test, in the fixture's teardown if the test did not look itself."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def expect(self, fragment: str) -> None:
        """Console errors containing ``fragment`` are part of what the test provokes
        (e.g. the browser's "Failed to load resource" line for a refused request)."""
        self.expected.append(fragment)

    def own_errors(self) -> list[str]:
        """Every error the test did not expect: none may remain."""
        return [e for e in self.errors if not any(f in e for f in self.expected)]


@pytest.fixture
def page(browser: Any, live_app: LiveApp) -> Iterator[tuple[Any, PageLog]]:
    context = browser.new_context(viewport=VIEWPORT, base_url=live_app.url, accept_downloads=True)
    context.set_default_timeout(30_000)
    # nothing may leave the machine: only the app's own origin is reachable
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(live_app.url)
            else route.abort("blockedbyclient")
        ),
    )
    context.add_init_script(CSP_REPORTER)
    tab = context.new_page()
    log = PageLog()
    tab.on("console", lambda m: log.errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: log.errors.append(f"uncaught: {e}"))

    def on_dialog(dialog: Any) -> None:
        log.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    try:
        yield tab, log
    finally:
        context.close()
    assert not log.own_errors(), f"console errors or CSP violations: {log.own_errors()}"
