"""The built website (_build/html): buttons, languages, and no log noise.

These tests read the site that `jupyter-book build .` wrote. They are skipped
when there is no build, unless BOOK_SITE_REQUIRED=1 (set by .ci/run, which
builds the book before it runs the tests).
"""

import json
import os
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
NOTEBOOKS = sorted((ROOT / "book").glob("[a-z][a-z]/*.ipynb"))

if not (SITE / "index.html").exists():
    if os.environ.get("BOOK_SITE_REQUIRED") == "1":
        raise RuntimeError(f"BOOK_SITE_REQUIRED=1 but {SITE} has no build: run jupyter-book build .")
    pytest.skip("the site is not built (run jupyter-book build .)", allow_module_level=True)


def page(notebook: Path) -> str:
    rel = notebook.relative_to(ROOT).with_suffix(".html")
    return (SITE / rel).read_text(encoding="utf-8")


def ids(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_colab_button_opens_this_pages_colab_edition(notebook):
    # The converted notebook (book/_ext/colab_edition.py), on the branch that
    # .github/workflows/pages.yml publishes it to; never the MyST source.
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    org_repo = repo["url"].removeprefix("https://github.com/")
    expected = (f"https://colab.research.google.com/github/{org_repo}/blob/"
                f"colab/{notebook.relative_to(ROOT).as_posix()}")
    html = page(notebook)
    assert f'href="{expected}"' in html
    # Once: the launch button. The chapter's exercise notebook has its own link
    # (book/_ext/instructors.py), to its own notebook.
    exercises = soup(html).select(".exercise-notebook-links a[href]")
    others = [a["href"] for a in exercises if a["href"].startswith("https://colab.research.google.com/")]
    assert others in ([], [expected.replace("/blob/colab/", "/blob/colab/exercises/")])
    assert html.count("https://colab.research.google.com/") == 1 + len(others)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_download_button_serves_this_pages_colab_edition(notebook):
    html = page(notebook)
    match = re.search(rf'href="((?:\.\./)*colab/{re.escape(ids(notebook))})"', html)
    assert match, "no download of the Colab edition"
    assert "_sources/" + ids(notebook) not in html, "a download of the MyST source is left"
    served = (SITE / "book" / notebook.parent.name / match.group(1)).resolve()
    assert served == SITE / "colab" / ids(notebook) and served.is_file()
    edition = json.loads(served.read_text(encoding="utf-8"))
    assert edition["metadata"]["book"]["source"] == ids(notebook)
    repo_url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert f'href="{repo_url}"' in html, "no repository button"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_language_and_link_to_the_twin(notebook):
    lang = notebook.parent.name
    other = "en" if lang == "es" else "es"
    html = page(notebook)
    assert re.search(rf'<html[^>]* lang="{lang}"', html)
    assert f'href="../{other}/{notebook.stem}.html" hreflang="{other}"' in html


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_no_tensorflow_log_or_progress_bar_noise(notebook):
    html = page(notebook)
    for noise in ("oneDNN custom operations", "absl::InitializeLog", "cuda drivers",
                  "cpu_feature_guard", "Traceback (most recent call last)",
                  "WARNING:tensorflow"):
        assert noise not in html, f"{noise!r} appears on the page"
    # Keras' live progress bar redraws itself with backspaces and carriage returns.
    assert "\x08" not in html and "━━━━━━━━━━━━━━━━━━━━ 0s" not in html


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_every_glued_number_reached_the_page(notebook):
    # myst-nb leaves a warning on the page when a {glue} name is missing.
    assert "glue key" not in page(notebook).lower()


def test_landing_page_offers_both_languages():
    # _build/html/index.html redirects to the landing page, book/index.html.
    assert 'url=book/index.html' in (SITE / "index.html").read_text(encoding="utf-8")
    html = (SITE / "book" / "index.html").read_text(encoding="utf-8")
    assert 'href="es/preface.html"' in html and 'href="en/preface.html"' in html


# --- The bilingual extension and the site's chrome (book/_ext) ----------------

HTML_PAGES = sorted(SITE.rglob("*.html"))
LANGS = ("es", "en")


def chapters(lang: str) -> list[str]:
    """The pages of one language's part, in the order of _toc.yml."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    for part in toc["parts"]:
        files = [entry["file"] for entry in part["chapters"]]
        if files[0].startswith(f"book/{lang}/"):
            return files
    raise AssertionError(f"_toc.yml has no part for {lang}")


def pages(lang: str) -> list[str]:
    """Every page of one language, chapters and appendices, in the order of _toc.yml."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [entry["file"] for part in toc["parts"] for entry in part["chapters"]
            if entry["file"].startswith(f"book/{lang}/")]


def site_page(docname: str) -> str:
    return (SITE / f"{docname}.html").read_text(encoding="utf-8")


def soup(html: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")


def site_ids(path: Path) -> str:
    return path.relative_to(SITE).as_posix()


@pytest.mark.parametrize("path", HTML_PAGES, ids=site_ids)
def test_a_page_with_math_loads_mathjax(path):
    # sphinx.ext.mathjax adds its script to the page's own list of scripts; a
    # handler that replaces that list before it (the Spanish pages once) drops it.
    html = path.read_text(encoding="utf-8")
    if 'class="math' not in html:
        pytest.skip("no math on this page")
    assert re.search(r'<script[^>]* src="[^"]*(mathjax|tex-mml-chtml)[^"]*"', html), \
        "the page has math but no MathJax script"


@pytest.mark.parametrize("path", HTML_PAGES, ids=site_ids)
def test_no_inline_script_runs_twice(path):
    # Twice the same `const THEBE_JS_URL = ...` is a SyntaxError in the browser.
    bodies = re.findall(r"<script>(.+?)</script>", path.read_text(encoding="utf-8"), re.S)
    repeated = sorted({body[:60] for body in bodies if bodies.count(body) > 1})
    assert not repeated, f"inline scripts written twice: {repeated}"


@pytest.mark.parametrize("path", HTML_PAGES, ids=site_ids)
def test_every_aria_list_has_list_items(path):
    for element in soup(path.read_text(encoding="utf-8")).find_all(attrs={"role": "list"}):
        children = element.find_all(True, recursive=False)
        assert children and all(child.name == "li" or child.get("role") == "listitem"
                                for child in children), \
            f"role=list without list items: {str(element)[:120]}"


def test_landing_page_cards_have_no_lang_attribute():
    # docutils turns a class "language-xyz" into lang="xyz".
    html = site_page("book/index")
    assert 'lang="card"' not in html
    assert html.count("choice-card") == 2


def test_favicon():
    html = site_page("book/es/preface")
    match = re.search(r'<link rel="icon" href="([^"]+)"', html)
    assert match, "no favicon link"
    assert (SITE / "book" / "es" / match.group(1)).resolve().is_file()


ENGLISH_CHROME = ("Launch on Colab", "Launch interactive content", "Search this book",
                  "Link to this heading", "Download this page", "Descarga esta pagina",
                  "Toggle primary sidebar", "Toggle secondary sidebar", "Click to show")


@pytest.mark.parametrize("docname", chapters("es"))
def test_spanish_pages_have_spanish_chrome(docname):
    html = site_page(docname)
    for english in ENGLISH_CHROME:
        assert english not in html, f"{english!r} on a Spanish page"
    assert 'title="Enlace a este encabezado"' in html
    assert 'placeholder="Buscar en este libro..."' in html
    assert "Pulsa para mostrar" in html
    if docname.endswith(("/preface", "/instructors")):
        return  # pages of prose, without a notebook to launch or download
    assert 'title="Abrir en Colab"' in html
    assert "Descargar esta página" in html
    # The bibliography, in the entries and in the author-year links to them.
    entries = soup(html).select("div.citation p")
    assert entries, "no bibliography"
    for entry in entries:
        # "A, B and C. Title. In Proceedings...": the authors, then the sentences
        # (titles keep their own words: "Scikit-Learn, Keras, and TensorFlow").
        text = entry.get_text()
        authors = re.split(r"(?<![A-Z])\. ", text)[0]  # "Diederik P. Kingma and Jimmy Ba"
        assert " and " not in authors and not re.search(r"\. In [A-Z]", text), text


@pytest.mark.parametrize("docname", chapters("en"))
def test_english_pages_keep_english_chrome(docname):
    html = site_page(docname)
    assert 'title="Link to this heading"' in html
    assert 'placeholder="Search this book..."' in html
    assert "Enlace a este encabezado" not in html and "Pulsa para mostrar" not in html
    if not docname.endswith(("/preface", "/instructors")):
        assert 'title="Launch on Colab"' in html


@pytest.mark.parametrize("lang", LANGS)
def test_chapters_are_numbered_from_one_in_each_language(lang):
    preface, *rest, guide = chapters(lang)
    # The preface and the instructors' guide frame the chapters, unnumbered
    # (book/_ext/bilingual.py, UNNUMBERED).
    assert preface.endswith("/preface") and guide.endswith("/instructors")
    for unnumbered in (preface, guide):
        title = soup(site_page(unnumbered)).select_one("article h1")
        assert title.find(class_="section-number") is None, f"{unnumbered} has a number"
    for number, docname in enumerate(rest, start=1):
        title = soup(site_page(docname)).select_one("article h1")
        assert title.find(class_="section-number").get_text() == f"{number}. ", docname
        # Its sections, figures and exercises follow the chapter's number.
        sections = soup(site_page(docname)).select("article h2")
        for section in sections:
            if section.find(class_="section-number"):
                assert section.find(class_="section-number").get_text().startswith(f"{number}.")


@pytest.mark.parametrize("docname", pages("es") + pages("en"))
def test_previous_and_next_stay_in_the_language(docname):
    area = soup(site_page(docname)).find(class_="prev-next-area")
    hrefs = [a["href"] for a in area.find_all("a")] if area else []
    # The same folder: "vgg.html", never "../en/vgg.html" or "../index.html".
    assert all("/" not in href for href in hrefs), hrefs
    language_pages = pages(docname.split("/")[1])
    position = language_pages.index(docname)
    assert len(hrefs) == (position > 0) + (position < len(language_pages) - 1)


@pytest.mark.parametrize("docname", chapters("es") + chapters("en"))
def test_sidebar_shows_the_page_language_only(docname):
    lang = docname.split("/")[1]
    other = "en" if lang == "es" else "es"
    nav = soup(site_page(docname)).find("nav", class_="bd-docs-nav")
    hrefs = [a["href"] for a in nav.find_all("a")]
    assert hrefs and not any(f"../{other}/" in href for href in hrefs), hrefs
    assert len([h for h in hrefs if "#" not in h]) >= len(chapters(lang)) - 1


@pytest.mark.parametrize("docname", ["book/es/preface", "book/en/preface"])
def test_search_buttons_are_named_by_their_visible_text(docname):
    # WCAG 2.5.3: the accessible name contains the visible label ("Search Ctrl+K").
    for button in soup(site_page(docname)).select("button.search-button-field"):
        visible = " ".join(button.get_text().split()).replace(" + ", "+").replace(" ", "")
        assert visible in button.get("aria-label", "").replace(" ", ""), button


def test_wide_tables_scroll_inside_their_box():
    # The page itself never scrolls sideways (375 px): outputs scroll in their
    # box, with shadows that show hidden columns, and table headers wrap.
    css = (SITE / "_static" / "bilingual.css").read_text(encoding="utf-8")
    rule = re.search(r"\.cell_output \.output\.text_html \{[^}]*\}", css).group(0)
    assert "overflow-x: auto" in css and "local" in rule
    assert re.search(r"thead th \{[^}]*white-space: normal", css)


def test_hidden_code_cells_are_labelled_in_the_page_language():
    # myst-nb writes "Show code cell source" for the whole site; Spanish pages
    # say it in Spanish.
    spanish, english = site_page("book/es/vgg"), site_page("book/en/vgg")
    assert "Show code cell source" in english and "Show code cell" not in spanish
    assert "Mostrar el código de la celda" in spanish


def test_spanish_search_page():
    # Spanish pages search on a Spanish search page: the same index, Spanish
    # chrome, and Sphinx's Spanish messages for the results ("Resultados...").
    assert 'action="../../search-es.html"' in site_page("book/es/preface")
    assert 'action="../../search.html"' in site_page("book/en/preface")
    html = site_page("search-es")
    assert re.search(r'<html[^>]* lang="es"', html)
    assert "<h1>Búsqueda</h1>" in html and 'id="search-results"' in html
    assert html.count("searchtools.js") == 1 and "searchindex.js" in html
    match = re.search(r'<script src="([^"?]*translations-es\.js)', html)
    assert match and "Resultados de la b\\u00fasqueda" in (
        SITE / match.group(1)).read_text(encoding="utf-8")  # search-es.html is at the root.
