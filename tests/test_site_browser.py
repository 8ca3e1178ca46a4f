"""The built site, read in a real browser: the rules, their before/after tabs and search.

The site is built with ``mkdocs build --strict`` into a temporary folder, served on
127.0.0.1 (a port the system picks) and driven with Debian's Chromium through
chromedriver and Selenium, headless and with a fresh profile. Nothing is downloaded: the
browser and its driver are the system's (``.ci/run`` installs them), and the site loads no
third-party asset (``font: false`` in mkdocs.yml). Every test fails on a console error
(level SEVERE) and on any request the site's server could not answer (a missing
stylesheet, script, font or page).
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parent.parent
# No first-run dialogs, no updates, no calls home: the browser talks only to our server.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a small /dev/shm
    "--window-size=1280,1000",  # wide enough for the desktop layout: search in the header
)
WAIT = 15  # seconds for anything the page does by itself (search builds its index in a worker)

if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
    pytest.skip(
        f"needs Debian's Chromium ({CHROMIUM}) and its driver ({CHROMEDRIVER}): "
        "apt-get install -y chromium chromium-driver (.ci/run installs them)",
        allow_module_level=True,
    )
if importlib.util.find_spec("mkdocs") is None:
    pytest.skip("mkdocs is not installed (pip install -e '.[docs]')", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site and records every request's path and status."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.server.requests.append((self.path, int(code)))  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the test reports what matters


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[http.server.ThreadingHTTPServer]:
    site = tmp_path_factory.mktemp("browser") / "site"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(site),
        ],
        check=False,
        cwd=site.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(site)))
    httpd.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


class Reader:
    """A browser on the served site, which keeps count of what went wrong."""

    def __init__(self, driver: webdriver.Chrome, server: http.server.ThreadingHTTPServer) -> None:
        self.driver = driver
        self.server = server
        self.base = f"http://127.0.0.1:{server.server_address[1]}/"
        self.console_errors: list[str] = []

    def open(self, path: str) -> None:
        self._collect_console()
        self.driver.get(self.base + path)
        self.wait(lambda driver: driver.execute_script("return document.readyState") == "complete")

    def wait(self, condition: Callable[[webdriver.Chrome], Any], message: str = "") -> Any:
        return WebDriverWait(self.driver, WAIT).until(condition, message)

    def click(self, element: WebElement) -> None:
        # Clear of the sticky header, as a reader would scroll to it.
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()

    def click_when_found(self, selector: str, message: str) -> None:
        """Click the element `selector` names once it is there and stays put long enough to click.

        Search re-renders its results on every keystroke, so an element found a moment ago
        may be gone: find it again until a click lands.
        """

        def attempt(driver: webdriver.Chrome) -> bool:
            self.click(driver.find_element(By.CSS_SELECTOR, selector))
            return True

        WebDriverWait(
            self.driver, WAIT, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
        ).until(attempt, message)

    def title(self) -> str:
        return self.driver.find_element(By.CSS_SELECTOR, "article h1").text

    def _collect_console(self) -> None:
        for entry in self.driver.get_log("browser"):
            if entry["level"] == "SEVERE":
                self.console_errors.append(f"{self.driver.current_url}: {entry['message']}")

    def assert_clean(self) -> None:
        """No console error and no request that the server could not answer."""
        self._collect_console()
        failed = [f"{status} {path}" for path, status in self.server.requests if status >= 400]  # type: ignore[attr-defined]
        assert self.console_errors == [], "console errors"
        assert failed == [], "requests that failed (missing assets or pages)"


@pytest.fixture
def reader(server: http.server.ThreadingHTTPServer, tmp_path: Path) -> Iterator[Reader]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager (which would download a driver) never runs.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield Reader(driver, server)
    finally:
        driver.quit()


def _rule_links(reader: Reader) -> list[tuple[str, str]]:
    """(code, name) of every rule in the rules table, as the page shows them."""
    reader.open("rules/")
    rows = reader.driver.find_elements(By.CSS_SELECTOR, "article table tbody tr")
    rules = []
    for row in rows:
        cells = row.find_elements(By.TAG_NAME, "td")
        links = cells[1].find_elements(By.TAG_NAME, "a") if len(cells) > 1 else []
        if links:
            rules.append((cells[0].text, links[0].text))
    assert rules, "the rules index shows no rule links"
    return rules


def _check_before_after_tabs(reader: Reader) -> None:
    """Switch the first before/after pair to After: its code shows, Before hides, and the
    other pairs on the page follow (content.tabs.link)."""

    def labels(tabbed: WebElement) -> dict[str, WebElement]:
        found = tabbed.find_elements(By.CSS_SELECTOR, ":scope > .tabbed-labels > label")
        return {label.get_attribute("textContent").strip(): label for label in found}

    def blocks(tabbed: WebElement) -> list[WebElement]:
        return tabbed.find_elements(By.CSS_SELECTOR, ":scope > .tabbed-content > .tabbed-block")

    sets = [
        tabbed
        for tabbed in reader.driver.find_elements(By.CSS_SELECTOR, ".tabbed-set")
        if list(labels(tabbed))[:2] == ["Before", "After"]
    ]
    assert sets, f"{reader.driver.current_url}: no Before/After tabs"

    def label(tabbed: WebElement, text: str) -> WebElement:
        return labels(tabbed)[text]

    first = sets[0]
    reader.click(label(first, "Before"))  # the choice is remembered across pages: start from Before
    reader.wait(lambda _: blocks(first)[0].is_displayed(), "the Before panel did not show")
    reader.click(label(first, "After"))
    for tabbed in sets:
        before, after = blocks(tabbed)[:2]
        reader.wait(
            lambda _, before=before, after=after: after.is_displayed() and not before.is_displayed(),
            "the After panel did not show",
        )
        code = after.find_element(By.TAG_NAME, "code").text
        assert "def " in code or "import " in code, f"the After panel shows no code: {code!r}"


def test_every_rule_link_leads_to_its_page_and_its_tabs_switch(reader: Reader) -> None:
    for code, name in _rule_links(reader):
        reader.open("rules/")
        reader.click(reader.driver.find_element(By.LINK_TEXT, name))
        page = f"/rules/{name}/"
        reader.wait(lambda driver, page=page: driver.current_url.endswith(page), f"the link to {name} went elsewhere")
        assert reader.title().replace("¶", "").strip() == f"{name} ({code})"
        _check_before_after_tabs(reader)
    reader.assert_clean()


def test_search_finds_each_rule_by_its_code(reader: Reader) -> None:
    for code, name in _rule_links(reader):
        reader.open("")
        box = reader.driver.find_element(By.CSS_SELECTOR, "input.md-search__input")
        reader.click(box)
        box.send_keys(code)
        # The rule's own page is the first result, ahead of the pages that mention the code.
        selector = f".md-search-result__item:first-child > a.md-search-result__link[href*='rules/{name}/']"
        try:
            reader.click_when_found(selector, f"searching {code} did not list rules/{name}/ first")
        except TimeoutException:
            shown = reader.driver.find_element(By.CSS_SELECTOR, ".md-search-result").text
            pytest.fail(f"searching {code} did not list rules/{name}/ first; the results: {shown!r}")
        page = f"/rules/{name}/"
        reader.wait(lambda driver, page=page: page in driver.current_url, f"the result did not open {page}")
        assert code in reader.title()
    reader.assert_clean()


# The code block of the page whose first line is the longest, shown (the collapsed block
# around it opened, its tab chosen): the boxes of that line's text, of the part of the block
# that shows code (its padding box: the text scrolls within it), and of the copy button.
# None until the site's script has given the block its button.
LONGEST_FIRST_LINE = """
const firstLine = (code) => code.textContent.split("\\n")[0];
const code = [...document.querySelectorAll("pre > code")]
  .reduce((longest, code) => firstLine(code).length > firstLine(longest).length ? code : longest);
const button = code.parentElement.querySelector("button[data-md-type='copy'], button.md-clipboard");
if (!button) return null;
const ancestors = [];
for (let element = code; element; element = element.parentElement) ancestors.unshift(element);
for (const element of ancestors) {  // outermost first: a tab in a closed block does not switch
  if (element.tagName === "DETAILS") element.open = true;
  if (element.classList.contains("tabbed-block")) {
    const index = [...element.parentElement.children].indexOf(element);
    element.closest(".tabbed-set").querySelectorAll(":scope > .tabbed-labels > label")[index].click();
  }
}
code.scrollIntoView({block: "center"});
const range = document.createRange();
const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
const length = firstLine(code).length;
let seen = 0;
for (let node = walker.nextNode(), first = true; node; node = walker.nextNode(), first = false) {
  if (first) range.setStart(node, 0);
  if (seen + node.length >= length) { range.setEnd(node, length - seen); break; }
  seen += node.length;
}
const box = (r) => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
const outer = code.getBoundingClientRect();
const left = outer.left + code.clientLeft, top = outer.top + code.clientTop;
return {
  line: firstLine(code),
  text: [...range.getClientRects()].filter((r) => r.width > 0).map(box),
  shown: {left: left, top: top, right: left + code.clientWidth, bottom: top + code.clientHeight},
  button: box(button.getBoundingClientRect()),
};
"""


def _overlap(one: dict[str, float], other: dict[str, float]) -> bool:
    return (
        one["left"] < other["right"]
        and other["left"] < one["right"]
        and one["top"] < other["bottom"]
        and other["top"] < one["bottom"]
    )


def _clipped(box: dict[str, float], to: dict[str, float]) -> dict[str, float]:
    return {
        "left": max(box["left"], to["left"]),
        "top": max(box["top"], to["top"]),
        "right": min(box["right"], to["right"]),
        "bottom": min(box["bottom"], to["bottom"]),
    }


def test_the_copy_button_covers_no_code(reader: Reader) -> None:
    """On a phone's screen a long first line runs on under the copy button: the button
    covers none of the text that the block shows, at the line's start as the page opens."""
    reader.driver.set_window_size(500, 1000)
    reader.open("rules/import-side-effects/")
    boxes = reader.wait(lambda driver: driver.execute_script(LONGEST_FIRST_LINE), "no copy button on the code")
    line, button = boxes["line"], boxes["button"]
    assert boxes["text"], f"the first line {line!r} is not shown"
    assert max(box["right"] for box in boxes["text"]) > button["left"], f"{line!r} is too short to test the button"
    shown = [_clipped(box, boxes["shown"]) for box in boxes["text"]]
    assert [box for box in shown if _overlap(box, button)] == [], f"the copy button covers {line!r}"
    reader.assert_clean()


def test_home_page_pair_copy_buttons_and_dark_mode(reader: Reader) -> None:
    reader.open("")
    _check_before_after_tabs(reader)
    copy = "pre button[data-md-type='copy'], pre button.md-clipboard"  # Material 9.7+, and older
    assert reader.driver.find_elements(By.CSS_SELECTOR, copy), "no copy button on the code blocks"
    body = reader.driver.find_element(By.TAG_NAME, "body")
    scheme = body.get_attribute("data-md-color-scheme")
    toggle = reader.driver.find_element(By.CSS_SELECTOR, "form[data-md-component='palette'] label:not([hidden])")
    reader.click(toggle)
    reader.wait(lambda _: body.get_attribute("data-md-color-scheme") != scheme, "the light/dark toggle did nothing")
    reader.assert_clean()
