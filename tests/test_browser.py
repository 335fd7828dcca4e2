"""The built website (_build/html) in a real browser: Chromium driven by Playwright.

The suite serves _build/html from a local HTTP server that it starts and stops,
and opens every page of both languages once in one headless Chromium (Debian's
``chromium``, found on PATH or through $BOOK_CHROMIUM). Each page load feeds
several checks: console errors, failed local requests, ``<html lang>``, the
language link, the Colab and download buttons, solutions folded away, figures'
alternative text, math typeset by the site's own MathJax, axe-core's
accessibility rules, and the layout at a 375-pixel-wide viewport. Every request
to another host is aborted, as it would fail offline: a page that needs the
internet to work shows up as an error. One screenshot per page goes to
_build/screenshots/.

Without the site, or without Chromium or Playwright, the module is skipped with
the reason, except in CI (CI=true or BOOK_SITE_REQUIRED=1), where each is an
error. Run it alone with ``pytest tests/test_browser.py -n0`` after
``jupyter-book build .``.
"""

from __future__ import annotations

import functools
import html.parser
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import colab_edition  # noqa: E402  (the Colab edition's converter)

#: The site under test; BOOK_SITE_DIR tests another copy (for example a broken one).
SITE = Path(os.environ.get("BOOK_SITE_DIR") or ROOT / "_build" / "html")
SCREENSHOTS = ROOT / "_build" / "screenshots"
LANGS = ("es", "en")
REQUIRED = (os.environ.get("CI", "").strip().lower() == "true"
            or os.environ.get("BOOK_SITE_REQUIRED") == "1")


def _unavailable(reason: str) -> None:
    if REQUIRED:
        raise RuntimeError(f"{reason} (CI=true or BOOK_SITE_REQUIRED=1: the browser "
                           "tests must run here)")
    pytest.skip(reason, allow_module_level=True)


if not (SITE / "index.html").exists():
    _unavailable(f"the site is not built in {SITE} (run jupyter-book build .)")
CHROMIUM = (os.environ.get("BOOK_CHROMIUM") or shutil.which("chromium")
            or shutil.which("chromium-browser"))
if not CHROMIUM:
    _unavailable("no Chromium installed (apt-get install chromium, or set BOOK_CHROMIUM "
                 "to a Chromium or Chrome binary)")
try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright
except ImportError as error:
    _unavailable(f"{error.name} is not installed (pip install -r requirements.txt)")

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
#: The chapter pages of both languages, in reading order: "book/es/preface", ...
CHAPTERS = [chapter["file"] for part in TOC["parts"] for chapter in part["chapters"]]
NOTEBOOKS = [doc for doc in CHAPTERS if (ROOT / f"{doc}.ipynb").exists()]
#: The page whose code cells axe checks for colour contrast (the same colours everywhere).
CODE_CONTRAST_PAGE = NOTEBOOKS[0]
#: Every page a reader reaches: the chapters, the landing page, search and index.
PAGES = [*CHAPTERS, TOC["root"], "search", "genindex"]
DESKTOP = {"width": 1280, "height": 900}
PHONE_WIDTH = 375
AXE_IMPACTS = ("critical", "serious")


def language_of(doc: str) -> str:
    parts = doc.split("/")
    if len(parts) >= 3 and parts[0] == "book" and parts[1] in LANGS:
        return parts[1]
    return CONFIG["sphinx"]["config"]["language"]


def twin_of(doc: str) -> str | None:
    parts = doc.split("/")
    if len(parts) >= 3 and parts[0] == "book" and parts[1] in LANGS:
        return "/".join(["book", "en" if parts[1] == "es" else "es", *parts[2:]])
    return None


def pair_of(doc: str) -> str:
    """The page that a visit of ``doc`` loads first: its Spanish twin, or itself."""
    twin = twin_of(doc)
    return doc if twin is None or language_of(doc) == "es" else twin


# --- The local server ---------------------------------------------------------

class _Handler(SimpleHTTPRequestHandler):
    """Serves the site quietly and records each request's path and status."""

    def log_request(self, code="-", size="-"):
        self.server.requests.append((self.path, int(code) if str(code).isdigit() else 0))

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                functools.partial(_Handler, directory=str(SITE)))
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


# --- One browser for the module, one visit per page ------------------------------

@dataclass
class Visit:
    """What one page load showed."""

    url: str
    lang: str = ""
    console_errors: list = field(default_factory=list)
    failed_local: list = field(default_factory=list)
    external: list = field(default_factory=list)
    switch_href: str | None = None
    colab_hrefs: list = field(default_factory=list)
    download_hrefs: list = field(default_factory=list)
    exercise_links: list = field(default_factory=list)
    stray_colab: list = field(default_factory=list)
    images: list = field(default_factory=list)
    math: dict = field(default_factory=dict)
    axe: list = field(default_factory=list)
    solutions: list = field(default_factory=list)
    phone: dict = field(default_factory=dict)
    screenshot: Path | None = None
    # For chapter pages: where the language link led, and where its link led back.
    twin_landed: str | None = None
    back_landed: str | None = None


class _Recorder:
    """Collects a page's console errors and requests since the last reset."""

    def __init__(self, base: str):
        self.base = base
        self.reset()

    def reset(self):
        self.console_errors, self.failed_local, self.external = [], [], []

    def on_console(self, message):
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def on_page_error(self, error):
        self.console_errors.append(f"uncaught: {error}")

    def on_request_failed(self, request):
        # A navigation (the language link clicked) cancels the requests still
        # pending, e.g. the favicon: net::ERR_ABORTED says nothing of the file;
        # a missing file answers 404, which on_response records.
        if request.url.startswith(self.base) and request.failure != "net::ERR_ABORTED":
            self.failed_local.append(f"{request.url}: {request.failure}")

    def on_response(self, response):
        if response.url.startswith(self.base) and response.status >= 400:
            self.failed_local.append(f"{response.url}: HTTP {response.status}")

    def route(self, route):
        if route.request.url.startswith(self.base):
            route.continue_()
        else:
            # Offline, every request to another host fails: make it fail here too.
            self.external.append(route.request.url)
            route.abort()


_WAIT_FOR_MATH = """async () => {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) {
    await mj.startup.promise;
    return true;
  }
  return false;
}"""

_FACTS = """() => {
  const content = document.querySelector('article') || document.body;
  const links = [...document.querySelectorAll('a[href]')].map(a => a.href);
  // The page's own buttons (launch, download); the chapter's exercise notebook
  // links (book/_ext/instructors.py) are checked on their own.
  const buttons = [...document.querySelectorAll('.article-header-buttons a[href]')].map(a => a.href);
  const exercises = [...document.querySelectorAll('.exercise-notebook-links a[href]')].map(a => a.href);
  const maths = [...content.querySelectorAll('.math')];
  const switchLink = document.querySelector('.bilingual-switch a');
  return {
    lang: document.documentElement.lang,
    switch_href: switchLink ? switchLink.href : null,
    colab: buttons.filter(h => h.startsWith('https://colab.research.google.com/')),
    downloads: buttons.filter(h => h.startsWith(location.origin) && h.split('?')[0].endsWith('.ipynb')),
    exercise_links: exercises,
    stray_colab: links.filter(h => h.startsWith('https://colab.research.google.com/')
                              && !buttons.includes(h) && !exercises.includes(h)),
    images: [...document.querySelectorAll('img')].map(img => ({
      src: img.getAttribute('src'), alt: img.getAttribute('alt'),
      in_content: content.contains(img)})),
    math: {
      count: maths.length,
      typeset: maths.filter(m => m.querySelector('mjx-container')).length,
      scripts: [...document.querySelectorAll('script[src]')].map(s => s.src)
                 .filter(s => /mathjax|katex/i.test(s)),
    },
  };
}"""

_PHONE_LAYOUT = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const scrolls = el => {
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const overflow = getComputedStyle(a).overflowX;
      if ((overflow === 'auto' || overflow === 'scroll') && a.clientWidth <= width) return true;
    }
    return false;
  };
  const content = document.querySelector('article') || document.body;
  const sticking_out = [];
  for (const el of content.querySelectorAll('*')) {
    // MathJax's copy of each formula for screen readers is clipped to nothing.
    if (el.closest('mjx-assistive-mml')) continue;
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1 && !scrolls(el)) {
      sticking_out.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''));
    }
  }
  const tables = [...content.querySelectorAll('table')];
  return {
    scroll_width: root.scrollWidth, client_width: width,
    sticking_out: [...new Set(sticking_out)].slice(0, 10),
    wide_tables: tables.filter(t => t.scrollWidth > width).length,
    wide_tables_not_scrolling: tables.filter(t => t.scrollWidth > width && !scrolls(t)).length,
  };
}"""


def _screenshot_name(doc: str) -> str:
    return doc.replace("/", "-") + ".jpg"


class Site:
    """The browser session: visits pages on demand, each once."""

    def __init__(self, page, recorder: _Recorder, base: str):
        self.page, self.recorder, self.base = page, recorder, base
        self.visits: dict[str, Visit] = {}
        self.axe = Axe()

    def url(self, doc: str) -> str:
        return self.base + doc + ".html"

    def visit(self, doc: str) -> Visit:
        if doc not in self.visits:
            if twin_of(doc) is None:
                self.visits[doc] = self._load(doc)
            else:
                first = pair_of(doc)
                self._visit_pair(first, twin_of(first))
        return self.visits[doc]

    def _load(self, doc: str) -> Visit:
        self.recorder.reset()
        self.page.goto(self.url(doc), wait_until="load")
        return self._inspect(doc)

    def _visit_pair(self, first: str, second: str) -> None:
        """Loads `first`, follows its language link to `second`, and that one's back."""
        visit = self._load(first)
        self.visits[first] = visit
        if visit.switch_href is None:
            self.visits[second] = self._load(second)
            return
        self.recorder.reset()
        with self.page.expect_navigation(wait_until="load"):
            self.page.click(".bilingual-switch a")
        landed = self.page.url
        other = self._inspect(second) if landed == self.url(second) else self._load(second)
        visit.twin_landed = landed
        self.visits[second] = other
        if other.switch_href is not None:
            with self.page.expect_navigation(wait_until="load"):
                self.page.click(".bilingual-switch a")
            other.back_landed = self.page.url

    def _inspect(self, doc: str) -> Visit:
        page, recorder = self.page, self.recorder
        page.set_viewport_size(DESKTOP)
        has_mathjax = page.evaluate(_WAIT_FOR_MATH)
        facts = page.evaluate(_FACTS)
        visit = Visit(url=page.url, lang=facts["lang"], switch_href=facts["switch_href"],
                      colab_hrefs=facts["colab"], download_hrefs=facts["downloads"],
                      exercise_links=facts["exercise_links"], stray_colab=facts["stray_colab"],
                      images=facts["images"], math={**facts["math"], "mathjax": has_mathjax})
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        visit.screenshot = SCREENSHOTS / _screenshot_name(doc)
        # JPEG: a full page of a long chapter encodes in half the time of a PNG.
        page.screenshot(path=str(visit.screenshot), full_page=True, type="jpeg", quality=60)
        visit.axe = self._axe_violations(doc)
        visit.solutions = self._toggle_solutions()
        page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
        page.wait_for_timeout(200)
        visit.phone = page.evaluate(_PHONE_LAYOUT)
        page.set_viewport_size(DESKTOP)
        visit.console_errors = list(recorder.console_errors)
        visit.failed_local = list(recorder.failed_local)
        visit.external = list(recorder.external)
        return visit

    def _axe_violations(self, doc: str) -> list[dict]:
        """axe-core's critical and serious violations on the page as it loaded.

        Colour contrast takes four fifths of axe's time, most of it on the
        syntax-highlighted code, whose colours are the same on every page: it is
        checked on the code of one chapter (CODE_CONTRAST_PAGE) and on everything
        but the code cells' sources elsewhere (outputs, prose, chrome).
        """
        # No preload: axe would fetch the stylesheets itself and resolve their
        # @import against the page's URL, a 404 that the site never causes.
        options = {"resultTypes": ["violations"], "preload": False}
        runs = [(None, {**options, "rules": {"color-contrast": {"enabled": False}}}),
                (None if doc == CODE_CONTRAST_PAGE else {"exclude": [[".cell_input"]]},
                 {**options, "runOnly": ["color-contrast"]})]
        violations = []
        for context, run_options in runs:
            results = self.axe.run(self.page, context=context, options=run_options).response
            violations += [
                {"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"]),
                 "example": v["nodes"][0]["target"] if v["nodes"] else None, "help": v["help"]}
                for v in results["violations"] if v["impact"] in AXE_IMPACTS]
        return violations

    def _toggle_solutions(self) -> list[dict]:
        """Each solution's content: visible before and after clicking its toggle."""
        states = []
        solutions = self.page.locator("div.solution")
        for i in range(solutions.count()):
            solution = solutions.nth(i)
            body = solution.locator(":scope > :not(.admonition-title)")
            before = any(body.nth(j).is_visible() for j in range(body.count()))
            button = solution.locator(".toggle-button, .admonition-title").first
            clicked = True
            try:
                button.click(timeout=5000)
                self.page.wait_for_timeout(100)
            except PlaywrightError:
                clicked = False
            after = [body.nth(j) for j in range(body.count()) if body.nth(j).is_visible()]
            text = " ".join(b.inner_text() for b in after).strip()
            states.append({"id": solution.get_attribute("id"), "visible_before": before,
                           "clicked": clicked, "visible_after": bool(after), "text": text})
        return states


@pytest.fixture(scope="module")
def site(server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(viewport=DESKTOP)
        recorder = _Recorder(server.base)
        context.route("**/*", recorder.route)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.on("console", recorder.on_console)
        page.on("pageerror", recorder.on_page_error)
        page.on("requestfailed", recorder.on_request_failed)
        page.on("response", recorder.on_response)
        yield Site(page, recorder, server.base)
        context.close()
        browser.close()


# --- Every page ----------------------------------------------------------------

#: How many browsers share the pages: each page's tests (and its twin's, visited
#: in the same pass) form one xdist group, so that `pytest -n 2` gives each
#: worker its own Chromium and half the pages. A chapter pair takes about 25 s
#: (axe, the full-page screenshot, the solutions clicked): one browser for all
#: of them made this module the slowest step of CI.
BROWSER_GROUPS = 2


_PAIRS = list(dict.fromkeys(pair_of(doc) for doc in PAGES))


def by_page(docs: list[str]) -> list:
    """`docs` as parameters, each in its pair's browser group."""
    return [pytest.param(doc, id=doc, marks=pytest.mark.xdist_group(
        f"browser-pages-{_PAIRS.index(pair_of(doc)) % BROWSER_GROUPS}")) for doc in docs]


@pytest.mark.parametrize("doc", by_page(PAGES))
def test_page_loads_cleanly_in_its_language(site, doc):
    visit = site.visit(doc)
    assert not visit.console_errors, f"JavaScript console errors: {visit.console_errors}"
    assert not visit.failed_local, f"failed requests to the site's files: {visit.failed_local}"
    assert not visit.external, f"requests to other hosts (they fail offline): {visit.external}"
    assert visit.lang == language_of(doc), "<html lang>"
    assert visit.screenshot.is_file() and visit.screenshot.stat().st_size > 0


@pytest.mark.parametrize("doc", by_page([d for d in CHAPTERS if language_of(d) == "es"]))
def test_language_link_leads_to_the_twin_and_back(site, doc):
    twin = twin_of(doc)
    visit = site.visit(doc)
    assert visit.switch_href == site.url(twin), f"the language link of {doc}"
    assert visit.twin_landed == site.url(twin), "the click did not land on the twin"
    assert site.visit(twin).lang == language_of(twin)
    assert site.visit(twin).switch_href == site.url(doc), f"the language link of {twin}"
    assert site.visit(twin).back_landed == site.url(doc), "the way back did not land here"


@pytest.mark.parametrize("doc", by_page(NOTEBOOKS))
def test_colab_button_opens_exactly_this_notebook(site, doc):
    repository = CONFIG["repository"]
    org_repo = repository["url"].removeprefix("https://github.com/").strip("/")
    # The Colab edition (book/_ext/colab_edition.py), on the colab branch.
    expected = (f"https://colab.research.google.com/github/{org_repo}/blob/"
                f"colab/{doc}.ipynb")
    assert (ROOT / f"{doc}.ipynb").is_file()
    visit = site.visit(doc)
    assert visit.colab_hrefs == [expected]
    assert visit.stray_colab == [], "Colab links that are neither the button nor the exercises'"


@pytest.mark.parametrize("doc", by_page(NOTEBOOKS))
def test_exercise_links_open_this_chapters_exercise_notebook(site, doc):
    # Above the exercises (book/_ext/instructors.py): the exercise notebook in Colab,
    # and the same notebook served by the site.
    org_repo = CONFIG["repository"]["url"].removeprefix("https://github.com/").strip("/")
    links = site.visit(doc).exercise_links
    if not any(c.cell_type == "markdown" and c.source.lstrip("`").startswith("{exercise")
               for c in nbformat.read(ROOT / f"{doc}.ipynb", as_version=4).cells):
        assert links == [], "exercise notebook links on a chapter without exercises"
        return
    assert links == [f"https://colab.research.google.com/github/{org_repo}/blob/"
                     f"colab/exercises/{doc}.ipynb", site.base + f"colab/exercises/{doc}.ipynb"]
    with urllib.request.urlopen(links[1], timeout=30) as response:
        assert response.status == 200
        served = nbformat.reads(response.read().decode("utf-8"), as_version=4)
    nbformat.validate(served)
    assert served.metadata["book"]["source"] == f"{doc}.ipynb"


@pytest.mark.parametrize("doc", by_page(NOTEBOOKS))
def test_download_button_serves_this_pages_notebook(site, doc):
    hrefs = site.visit(doc).download_hrefs
    assert hrefs == [site.base + f"colab/{doc}.ipynb"], "the .ipynb download link"
    with urllib.request.urlopen(hrefs[0], timeout=30) as response:
        assert response.status == 200
        served = nbformat.reads(response.read().decode("utf-8"), as_version=4)
    nbformat.validate(served)
    # The Colab edition of this page's own notebook, with no MyST markup left.
    assert served.metadata["book"]["source"] == f"{doc}.ipynb"
    assert not [left for cell in served.cells if cell.cell_type == "markdown"
                for left in colab_edition.myst_left(cell.source)]


@pytest.mark.parametrize("doc", by_page(NOTEBOOKS))
def test_each_solution_is_hidden_until_its_toggle_is_clicked(site, doc):
    solutions = site.visit(doc).solutions
    cells = nbformat.read(ROOT / f"{doc}.ipynb", as_version=4).cells
    expected = sum(c.cell_type == "markdown" and c.source.lstrip("`").startswith("{solution")
                   and not c.source.lstrip("`").startswith("{solution-end}") for c in cells)
    for state in solutions:
        assert not state["visible_before"], f"{state['id']} is shown before any click"
        assert state["clicked"], f"{state['id']} has no toggle to click"
        assert state["visible_after"] and state["text"], f"{state['id']}: the click showed nothing"
    assert len(solutions) == expected, "solutions on the page / in the notebook"


@pytest.mark.parametrize("doc", by_page(PAGES))
def test_no_sideways_scroll_on_a_375_pixel_screen(site, doc):
    phone = site.visit(doc).phone
    assert phone["scroll_width"] <= phone["client_width"], "the page scrolls sideways"
    assert phone["wide_tables_not_scrolling"] == 0, "a wide table does not scroll in its box"
    assert not phone["sticking_out"], (
        f"content wider than the screen, outside a scroll box: {phone['sticking_out']}")


@pytest.mark.parametrize("doc", by_page(PAGES))
def test_axe_finds_no_serious_accessibility_violation(site, doc):
    violations = site.visit(doc).axe
    assert violations == [], "\n".join(
        f"{v['impact']} {v['id']} on {v['nodes']} elements (first: {v['example']}): {v['help']}"
        for v in violations)


_PATH_LIKE = re.compile(r"(^|/)[^\s/]+\.(png|jpe?g|gif|svg|webp)$", re.IGNORECASE)


@pytest.mark.parametrize("doc", by_page(PAGES))
def test_figures_have_alternative_text(site, doc):
    images = site.visit(doc).images
    missing = [img["src"] for img in images if img["alt"] is None]
    assert missing == [], "images without an alt attribute"
    bad = [(img["src"], img["alt"]) for img in images if img["in_content"]
           and (not img["alt"].strip() or _PATH_LIKE.search(img["alt"].strip()))]
    assert not bad, f"figures whose alternative text is empty or a file path: {bad}"


MATH_PAGES = [doc for doc in CHAPTERS
              if re.search(r'class="math[ "]', (SITE / f"{doc}.html").read_text(encoding="utf-8"))]


def test_math_pages_exist_in_both_languages():
    assert {language_of(doc) for doc in MATH_PAGES} == set(LANGS), MATH_PAGES


@pytest.mark.parametrize("doc", by_page(MATH_PAGES))
def test_math_is_typeset_by_the_sites_own_mathjax(site, doc):
    math = site.visit(doc).math
    assert math["scripts"], "the page loads no MathJax"
    assert all(src.startswith(site.base) for src in math["scripts"]), (
        f"MathJax comes from another host: {math['scripts']}")
    assert math["mathjax"], "MathJax did not start"
    assert math["count"] and math["typeset"] == math["count"], (
        f"{math['typeset']} of {math['count']} formulas typeset")


# --- Search ----------------------------------------------------------------------

@pytest.mark.parametrize("lang, term", [("es", "convolución"), ("en", "convolution")])
def test_search_finds_a_term_on_the_pages_of_its_language(site, lang, term):
    page = site.page
    site.recorder.reset()
    # Search as a reader does: from a chapter of that language, through its search form.
    page.goto(site.url(f"book/{lang}/convolutions"), wait_until="load")
    action = page.eval_on_selector("form.bd-search", "form => form.action")
    page.goto(action + "?q=" + urllib.parse.quote(term), wait_until="load")
    page.wait_for_function(
        "() => document.querySelector('#search-results .search-summary, "
        "#search-results p')?.textContent.trim().length > 0", timeout=60_000)
    hrefs = page.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.href)")
    pages = {urllib.parse.urlsplit(h).path.lstrip("/") for h in hrefs}
    assert f"book/{lang}/convolutions.html" in pages, f"{term!r} found {sorted(pages)}"
    ours = [p for p in pages if p.startswith(f"book/{lang}/")]
    assert len(ours) >= len(pages) / 2, f"{term!r} found mostly other pages: {sorted(pages)}"
    assert not site.recorder.console_errors, site.recorder.console_errors


# --- Links ------------------------------------------------------------------------

class _LinkParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(name):
                self.ids.add(attrs[name])
        for name in ("href", "src"):
            if attrs.get(name) and tag in ("a", "link", "img", "script", "source", "iframe"):
                self.links.append(attrs[name])


def broken_internal_links(site_dir: Path) -> list[str]:
    """Links and anchors of the HTML pages under `site_dir` that lead nowhere.

    LinkChecker (the maintained tool) was tried first: its anchor check took 3 to 5
    minutes on this site on a 2-core machine, so this small checker reads each
    page once with html.parser instead. External links are not followed.
    """
    pages = {}
    for path in site_dir.rglob("*.html"):
        if "_static" in path.relative_to(site_dir).parts:
            continue
        parser = _LinkParser()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path.relative_to(site_dir).as_posix()] = parser
    broken = []
    for name, parser in sorted(pages.items()):
        for link in parser.links:
            parts = urllib.parse.urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith("//"):
                continue
            target = name
            if parts.path:
                target = posixpath.normpath(posixpath.join(posixpath.dirname(name),
                                                           urllib.parse.unquote(parts.path)))
                if parts.path.endswith("/"):
                    target += "/index.html"
            if target.startswith("..") or not (site_dir / target).exists():
                broken.append(f"{name}: {link} (no {target})")
                continue
            anchor = urllib.parse.unquote(parts.fragment)
            if anchor and target in pages and anchor not in pages[target].ids:
                broken.append(f"{name}: {link} (no id {anchor!r} in {target})")
    return broken


def test_no_broken_internal_links_or_anchors():
    broken = broken_internal_links(SITE)
    assert not broken, "\n".join(broken)


# --- A copy of the book built without solutions --------------------------------------

def _solution_texts(notebook: Path) -> list[str]:
    """Distinctive lines of every solution in `notebook` (code and prose)."""
    nb = nbformat.read(notebook, as_version=4)
    texts, inside = [], False
    for cell in nb.cells:
        source = cell.source
        if cell.cell_type == "markdown" and "{solution-start}" in source:
            inside = True
            continue
        if cell.cell_type == "markdown" and "{solution-end}" in source:
            inside = False
            continue
        if inside:
            for line in source.splitlines():
                line = line.strip()
                # Long lines only, markup apart: they are specific to the solution.
                if len(line) < 25 or line.startswith(("```", ":", "#")):
                    continue
                if cell.cell_type == "code":
                    texts.append(line)
                elif not any(mark in line for mark in "${[<"):
                    texts.append(line.replace("`", "").replace("*", ""))
    return texts


def _smallest_notebook_with_solutions() -> str:
    """The file name (same in both languages) of the smallest chapter with solutions."""
    stems = [Path(doc).name for doc in NOTEBOOKS if language_of(doc) == "en"
             and _solution_texts(ROOT / f"{doc}.ipynb")]
    return min(stems, key=lambda stem: (ROOT / "book" / "en" / f"{stem}.ipynb").stat().st_size)


def _visible_text(html_text: str) -> str:
    class Text(html.parser.HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.chunks = []

        def handle_data(self, data):
            self.chunks.append(data)

    parser = Text()
    parser.feed(html_text)
    return re.sub(r"\s+", " ", "".join(parser.chunks))


@pytest.fixture(scope="module")
def solution_free_build(tmp_path_factory):
    """A copy of the book, prefaces and one chapter per language, built with
    ``hide_solutions: true``. Notebooks are not executed: the solutions are their
    code and prose, which a failed removal would show without any output."""
    stem = _smallest_notebook_with_solutions()
    copy = tmp_path_factory.mktemp("no_solutions")
    for rel in ("book/index.md", "book/references.bib", "book/__init__.py", "requirements.txt"):
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, copy / rel)
    # The extensions, and the lib that the Colab edition reads (its imports and recipes).
    for folder in ("_ext", "lib"):
        shutil.copytree(ROOT / "book" / folder, copy / "book" / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    docs = []
    for lang in LANGS:
        for name in ("preface.md", f"{stem}.ipynb"):
            (copy / "book" / lang).mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / "book" / lang / name, copy / "book" / lang / name)
            docs.append(f"book/{lang}/{Path(name).stem}")
    # One part per language, the chapters' parts (the appendices' parts are left out).
    parts = [part for part in TOC["parts"] if part["chapters"][0]["file"].endswith("/preface")]
    toc = {**TOC, "parts": [{**part, "chapters": [{"file": d} for d in docs if f"/{lang}/" in d]}
                            for part, lang in zip(parts, LANGS)]}
    assert [p["chapters"][0]["file"] for p in parts] == [f"book/{lang}/preface"
                                                          for lang in LANGS]
    (copy / "_toc.yml").write_text(yaml.safe_dump(toc, allow_unicode=True), encoding="utf-8")
    config = json.loads(json.dumps(CONFIG))
    config["execute"]["execute_notebooks"] = "off"
    config["sphinx"]["config"]["hide_solutions"] = True
    (copy / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True),
                                      encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "BOOK_REQUIRE_EXECUTED"}
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book) if jupyter_book.exists() else "jupyter-book",
               "build", "--all", str(copy)]
    result = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return copy / "_build" / "html", stem


def test_a_build_with_hide_solutions_has_no_solution_text(solution_free_build):
    html_dir, stem = solution_free_build
    for lang in LANGS:
        page = (html_dir / "book" / lang / f"{stem}.html").read_text(encoding="utf-8")
        assert 'class="exercise' in page, "the exercises themselves must stay"
    texts = {lang: _solution_texts(ROOT / "book" / lang / f"{stem}.ipynb") for lang in LANGS}
    assert all(texts.values())
    leaks = []
    for path in sorted(html_dir.rglob("*")):
        if path.suffix not in (".html", ".js") or "_static" in path.parts:
            continue
        raw = path.read_text(encoding="utf-8")
        text = _visible_text(raw) if path.suffix == ".html" else raw
        if 'class="solution' in raw:
            leaks.append(f"{path.relative_to(html_dir)}: a solution block")
        leaks += [f"{path.relative_to(html_dir)}: {t!r}"
                  for lang_texts in texts.values() for t in lang_texts if t in text]
    assert not leaks, "solution text in the build:\n" + "\n".join(leaks)


def test_a_build_with_hide_solutions_offers_no_download_with_solutions(solution_free_build):
    html_dir, stem = solution_free_build
    leaks = []
    downloads = [*(html_dir / "_sources").rglob("*.ipynb"), *(html_dir / "colab").rglob("*.ipynb")]
    assert any((html_dir / "colab").rglob("*.ipynb")), "the copy has no Colab edition"
    for path in sorted(downloads):
        sources = "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)
        lang = path.parent.name
        leaks += [f"{path.relative_to(html_dir)}: {t!r}"
                  for t in _solution_texts(ROOT / "book" / lang / f"{stem}.ipynb")
                  if t in sources]
    assert not leaks, "the download button hands out the solutions:\n" + "\n".join(leaks)
