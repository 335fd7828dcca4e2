"""The built website (_build/html): buttons, languages, and no log noise.

These tests read the site that `jupyter-book build .` wrote. They are skipped
when there is no build, unless BOOK_SITE_REQUIRED=1 (set by .ci/run, which
builds the book before it runs the tests).
"""

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
def test_colab_button_opens_exactly_this_notebook(notebook):
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    org_repo = repo["url"].removeprefix("https://github.com/")
    expected = (f"https://colab.research.google.com/github/{org_repo}/blob/"
                f"{repo['branch']}/{notebook.relative_to(ROOT).as_posix()}")
    assert f'href="{expected}"' in page(notebook)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_download_and_repository_buttons(notebook):
    html = page(notebook)
    assert re.search(rf'href="[./]*_sources/{re.escape(ids(notebook))}"', html), "no .ipynb download"
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
                  "cpu_feature_guard", "Traceback (most recent call last)"):
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
