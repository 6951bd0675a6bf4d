"""Fixtures for the browser tests: the test app on a live server and headless Chromium.

The app is the ``app`` fixture of ``tests/conftest.py``, so these tests run on SQLite and on
PostgreSQL like every database test. Chromium is Debian's (``/usr/bin/chromium``), driven by
Playwright for Python; without either the tests are skipped with the reason (CI installs both and
turns skips into failures).

Every page is watched: a console error (CSP violations are reported as such), an uncaught script
error, a failed request, a broken sub-resource or a request to any host but the live server fails
the test. Pages load nothing from third parties; courts have fined sites for less (Google Fonts).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Page,
        Playwright,
        Request,
        Response,
        Route,
    )

# Debian's Chromium; another build can be named with MATCHMAKER_TEST_CHROMIUM.
CHROMIUM = Path(os.environ.get("MATCHMAKER_TEST_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous limits for a loaded 2-core machine; they bound waits, nothing asserts on time.
ACTION_TIMEOUT_MS = 15_000
SCREENSHOT_ENV = "MATCHMAKER_SCREENSHOT_DIR"
PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
# Answers a page may get for its own URL as part of a flow (form errors, refusals).
EXPECTED_DOCUMENT_ERRORS = {400, 401, 403, 404, 409, 422}


# --- the live server ----------------------------------------------------------------------------


class _TrackedHandler(WSGIRequestHandler):
    """Remembers open connections so that shutting down can close kept-alive ones."""

    def setup(self) -> None:
        super().setup()
        self.server.open_connections.add(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        self.server.open_connections.discard(self.connection)  # type: ignore[attr-defined]
        super().finish()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Quiet: the browser's own record of requests is what the tests look at."""

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        """The browser went away mid-answer (a favicon when a form is sent): close the answer.

        Werkzeug can skip closing it then, which leaves e.g. a static file open.
        """
        response = (environ or {}).get(_RESPONSE_KEY)
        close = getattr(response, "close", None)
        if close is not None:
            close()


_RESPONSE_KEY = "tests.live_server.response"


def _remember_response(app: Flask) -> Any:
    """The app, keeping each answer in its environ for the handler's ``connection_dropped``."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        response = app(environ, start_response)
        environ[_RESPONSE_KEY] = response
        return response

    return wsgi


@dataclass
class LiveServer:
    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def stop(self) -> None:
        self.server.shutdown()
        for connection in list(self.server.open_connections):  # type: ignore[attr-defined]
            with contextlib.suppress(OSError):  # closed by the browser in the meantime
                connection.shutdown(socket.SHUT_RDWR)
        self.server.server_close()  # joins the request threads
        self.thread.join()


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The test app served on 127.0.0.1 (a free port) from a background thread.

    Links in e-mails point at this server, as they point at the public URL in production.
    """
    server = make_server(
        "127.0.0.1", 0, _remember_response(app), threaded=True, request_handler=_TrackedHandler
    )
    server.open_connections = set()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    live = LiveServer(app, server, thread)
    app.config["MATCHMAKER"] = app.config["MATCHMAKER"].model_copy(update={"base_url": live.url})
    thread.start()
    yield live
    live.stop()


# --- the browser --------------------------------------------------------------------------------


def _missing_browser_parts() -> str:
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return ""


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    missing = _missing_browser_parts()
    if missing:
        pytest.skip(f"Browser tests skipped: {missing}")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    runner = sync_playwright().start()
    yield runner
    runner.stop()


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    """One headless Chromium for the session; every test gets fresh contexts (no shared state).

    Playwright gives the browser a new temporary profile (user data dir) and removes it on close.
    """
    chromium = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
    )
    yield chromium
    chromium.close()


@dataclass
class Problems:
    """What went wrong in the pages of one test, beyond what the test asserts itself."""

    entries: list[str] = field(default_factory=list)
    # (url, status) of documents answered with an expected error status, e.g. a form with 422
    expected_documents: set[tuple[str, int]] = field(default_factory=set)

    def add(self, entry: str) -> None:
        self.entries.append(entry)


PROBLEMS_KEY = pytest.StashKey[Problems]()
BROWSING_KEY = pytest.StashKey["Browsing"]()


class Browsing:
    """Opens watched browser contexts and pages against the live server for one test."""

    def __init__(
        self, browser: Browser, server: LiveServer, problems: Problems, shots: Path
    ) -> None:
        self.browser = browser
        self.server = server
        self.problems = problems
        self.shots = shots
        self.contexts: list[BrowserContext] = []
        self.pages: list[Page] = []

    @property
    def url(self) -> str:
        return self.server.url

    def new_page(self, **options: Any) -> Page:
        """A page in a fresh context (own cookies, own storage); ``options`` as for
        ``browser.new_context`` (viewport, is_mobile, has_touch, ...)."""
        options.setdefault("locale", "de-DE")
        options.setdefault("timezone_id", "Europe/Berlin")
        context = self.browser.new_context(base_url=self.url, **options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        # Requests to the live server pass untouched; every other one goes to the guard.
        elsewhere = re.compile(rf"^(?!{re.escape(self.url)}/)")
        context.route(elsewhere, self._guard)
        self.contexts.append(context)
        page = context.new_page()
        self._watch(page)
        self.pages.append(page)
        return page

    def _guard(self, route: Route) -> None:
        """Only the live server may be asked; anything else is refused and reported."""
        request = route.request
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https", "ws", "wss") or parts.netloc == self.server.host:
            route.continue_()  # not a network request to another host
            return
        self.problems.add(f"third-party request refused: {request.method} {request.url}")
        route.abort("blockedbyclient")

    def _watch(self, page: Page) -> None:
        problems = self.problems

        def on_console(message: ConsoleMessage) -> None:
            if message.type not in ("error", "assert"):
                return
            location = message.location.get("url", "")
            text = message.text
            if "ERR_BLOCKED_BY_CLIENT" in text and urlsplit(location).netloc != self.server.host:
                return  # refused by the guard, which reported it
            if text.startswith("Failed to load resource: the server responded with a status of"):
                status = int(text.split("status of ", 1)[1].split(" ", 1)[0])
                if (location, status) in problems.expected_documents:
                    return  # the page itself, answered with e.g. 422: part of the flow
            problems.add(f"console {message.type} on {page.url}: {text} ({location})")

        def on_response(response: Response) -> None:
            request = response.request
            status = response.status
            if request.resource_type == "document" and request.is_navigation_request():
                if status in EXPECTED_DOCUMENT_ERRORS:
                    problems.expected_documents.add((response.url, status))
                elif status >= 400:
                    problems.add(f"page answered {status}: {request.method} {response.url}")
            elif status >= 400:
                problems.add(f"sub-resource answered {status}: {request.method} {response.url}")

        def on_request_failed(request: Request) -> None:
            if urlsplit(request.url).netloc != self.server.host:
                return  # refused by the guard, which reported it
            if request.failure == "net::ERR_ABORTED":
                # cancelled: the page moved on (a favicon still loading when a form is sent), or
                # the browser refused the answer, which it reports on the console
                return
            problems.add(f"request failed: {request.method} {request.url}: {request.failure}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.add(f"script error on {page.url}: {error}"))
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)

    def screenshot(self, page: Page, name: str) -> Path:
        """A full-page screenshot into the test's folder and, if set, into
        ``$MATCHMAKER_SCREENSHOT_DIR/<backend>/``."""
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        extra = os.environ.get(SCREENSHOT_ENV)
        if extra:
            backend = self.server.app.extensions["matchmaker.engine"].dialect.name
            folder = Path(extra) / backend
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, folder / path.name)
        return path

    def settle(self) -> None:
        """Let Playwright deliver the events still on their way (console messages, failures)."""
        for page in self.pages:
            if not page.is_closed():
                page.evaluate("() => document.readyState")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsing(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer, tmp_path: Path
) -> Iterator[Browsing]:
    problems = Problems()
    session = Browsing(browser, live_server, problems, tmp_path / "screenshots")
    request.node.stash[PROBLEMS_KEY] = problems
    request.node.stash[BROWSING_KEY] = session
    yield session
    session.close()


@pytest.fixture
def page(browsing: Browsing) -> Page:
    """A fresh page (own context) on the live server, German like most users' browsers."""
    return browsing.new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test whose pages logged errors or asked a third party, even if its steps passed."""
    outcome = yield
    session = item.stash.get(BROWSING_KEY, None)
    problems = item.stash.get(PROBLEMS_KEY, None)
    if session is not None and problems is not None:
        session.settle()
        if problems.entries:
            listed = "\n  ".join(problems.entries)
            pytest.fail(f"the pages reported problems:\n  {listed}", pytrace=False)
    return outcome
