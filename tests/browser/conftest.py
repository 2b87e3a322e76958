"""Fixtures of the browser tests: Debian's chromium driven by Playwright against live_server.

Nothing here is autouse: a test gets a browser only by asking for ``pages``.
"""

import os

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, sync_playwright

# Playwright's sync API keeps an asyncio event loop running in the test thread for as long as
# Playwright is started (the whole session, once the first browser test ran). Django then takes
# every ORM call of that thread (factories, the database checks of the tests, pytest-django's
# flush between tests) for a call from async code and raises SynchronousOnlyOperation. No
# coroutine ever touches the ORM here, the calls are plain blocking ones, so the check is safely
# switched off. It must be set before Playwright starts, hence at import time.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ESCRITORIO = {"width": 1366, "height": 900}
TELEFONO = {"width": 390, "height": 844}
CLAVE = "clave-segura-123"


@pytest.fixture(scope="session")
def browser() -> Browser:
    """One chromium for the whole session; every test gets its own context (cookies, storage)."""
    wrappers = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        # While an event loop runs in this thread, asgiref's Local (which holds Django's
        # connections) switches to a context-var storage, so connections[alias] would be a new
        # wrapper without the test database's serialized contents: serialized rollback would be
        # silently skipped and the groups created by migrations lost for every later test
        # (pytest-django#1117). Put the existing wrappers into that storage as well.
        for alias, wrapper in wrappers.items():
            connections[alias] = wrapper
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Pages:
    """Opens pages in fresh browser contexts and records the JavaScript errors they report."""

    def __init__(self, browser: Browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.errors: list[str] = []
        self._contexts = []

    def open(self, user=None, *, viewport=ESCRITORIO, **context_options) -> Page:
        """A new page in a new context: Spanish locale, a desktop screen unless told otherwise.

        With ``user``, it logs in first through the real login form (password of the
        factories) and lands on the case list.
        """
        context = self.browser.new_context(
            base_url=self.base_url, locale="es-ES", viewport=viewport, **context_options
        )
        context.set_default_timeout(5_000)
        self._contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", self._on_console)
        if user is not None:
            page.goto("/cuentas/login/")
            page.get_by_label("Usuario").fill(user.username)
            page.get_by_label("Contraseña").fill(CLAVE)
            page.get_by_role("button", name="Entrar").click()
            page.wait_for_url(f"{self.base_url}/")  # logging in lands on Inicio
            page.goto("/casos/")  # where the tests start
        return page

    def _on_console(self, message):
        if message.type == "error":
            self.errors.append(f"console.error: {message.text} ({message.location.get('url')})")

    def close(self):
        for context in self._contexts:
            context.close()


@pytest.fixture
def pages(browser, live_server, django_db_serialized_rollback):
    """Pages of the live server.

    live_server needs a transactional database, flushed after each test; the serialized
    rollback puts back what the migrations created (the Soporte and Coordinador groups with
    their permissions, the document counter) so the next test still finds them.
    """
    pages = Pages(browser, live_server.url)
    yield pages
    pages.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail a browser test whose pages logged a JavaScript error or a console error."""
    __tracebackhide__ = True
    pages = item.funcargs.get("pages")
    try:
        result = yield
    except BaseException as exc:
        if isinstance(pages, Pages) and pages.errors:
            exc.add_note("La página registró errores:\n" + "\n".join(pages.errors))
        raise
    if isinstance(pages, Pages) and pages.errors:
        raise AssertionError("La página registró errores:\n" + "\n".join(pages.errors))
    return result
