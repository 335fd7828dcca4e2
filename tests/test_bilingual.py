"""The site's Sphinx extension (book/_ext/bilingual.py), on a two-page project.

Builds a tiny Sphinx site with the same theme and extensions as the book (no
notebooks, so it takes seconds) and reads the HTML.
"""

import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import bilingual  # noqa: E402

PAGE = """# {title}

```{{exercise}}
:label: {lang}-ex-one

{question}
```

```{{solution-start}} {lang}-ex-one
:class: dropdown
```

SECRET-ANSWER-{lang}

```{{solution-end}}
```
"""


def build(tmp_path: Path, hide_solutions: bool = False) -> Path:
    from sphinx.application import Sphinx

    src = tmp_path / "src"
    for lang, title, question in (("es", "Capítulo", "¿Pregunta?"), ("en", "Chapter", "Question?")):
        (src / "book" / lang).mkdir(parents=True)
        (src / "book" / lang / "chapter.md").write_text(
            PAGE.format(title=title, lang=lang, question=question), encoding="utf-8")
    (src / "index.md").write_text(
        "# Home\n\n```{toctree}\n:numbered:\nbook/es/chapter\n```\n\n"
        "```{toctree}\n:numbered:\nbook/en/chapter\n```\n",
        encoding="utf-8")
    # A probe extension: what the notebooks' kernels would see while pages are read.
    (src / "probe.py").write_text(
        "import os\n"
        "def setup(app):\n"
        "    app.connect('source-read', lambda app, doc, source: open(\n"
        "        os.path.join(app.srcdir, '..', 'book_build_seen'), 'a').write(\n"
        "        os.environ.get('BOOK_BUILD', 'unset') + '\\n'))\n",
        encoding="utf-8")
    (src / "conf.py").write_text(
        "import os, sys; sys.path.insert(0, os.path.dirname(__file__))\n"
        "extensions = ['myst_parser', 'sphinx_exercise', 'sphinx_togglebutton',\n"
        "              'bilingual', 'probe']\n"
        "html_theme = 'sphinx_book_theme'\n"
        "language = 'en'\n"
        f"hide_solutions = {hide_solutions}\n"
        f"html_static_path = [{str(ROOT / 'book' / '_ext' / 'static')!r}]\n",
        encoding="utf-8")
    out = tmp_path / "html"
    app = Sphinx(str(src), str(src), str(out), str(tmp_path / "doctrees"), "html",
                 status=None, warning=None, freshenv=True)
    app.build()
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build(tmp_path_factory.mktemp("site"))


def read(site: Path, lang: str) -> str:
    return (site / "book" / lang / "chapter.html").read_text(encoding="utf-8")


def test_page_language_and_twin():
    assert bilingual.page_language("book/es/vgg", "en") == "es"
    assert bilingual.page_language("index", "en") == "en"
    assert bilingual.twin_of("book/es/vgg") == "book/en/vgg"
    assert bilingual.twin_of("book/en/vgg") == "book/es/vgg"
    assert bilingual.twin_of("index") is None


@pytest.mark.parametrize("lang", ["es", "en"])
def test_each_page_carries_its_own_lang(site, lang):
    assert re.search(rf'<html[^>]* lang="{lang}"', read(site, lang))


def test_pages_link_to_their_twin(site):
    assert 'href="../en/chapter.html" hreflang="en"' in read(site, "es")
    assert 'href="../es/chapter.html" hreflang="es"' in read(site, "en")
    assert "Read this chapter in English" in read(site, "es")
    assert "Lee este capítulo en español" in read(site, "en")


def test_labels_follow_the_page_language(site):
    es, en = read(site, "es"), read(site, "en")
    assert "Ejercicio" in es and "Solución del" in es and "Exercise" not in es
    assert "Exercise" in en and "Solution to" in en and "Ejercicio" not in en
    assert "Pulsa para mostrar" in es and "Click to show" in en
    # The theme's own labels (the table of contents, search) too.
    assert "Contenido" in es or "Búsqueda" in es
    assert "Búsqueda" not in en


def test_hide_solutions_removes_gated_solutions(tmp_path):
    site = build(tmp_path, hide_solutions=True)
    for lang in ("es", "en"):
        page = read(site, lang)
        assert f"SECRET-ANSWER-{lang}" not in page
        assert f"{lang}-ex-one" in page  # The exercise itself stays.


def test_solutions_are_shown_by_default(site):
    assert "SECRET-ANSWER-es" in read(site, "es")


def test_each_language_numbers_its_exercises_from_one(site):
    # Both pages are chapter 1 of their part; the count must not run on.
    assert "Ejercicio 1.1" in read(site, "es")
    assert "Exercise 1.1" in read(site, "en") and "Exercise 1.2" not in read(site, "en")


def test_previous_and_next_links_stay_in_the_language(site):
    # In the toctree, book/es/chapter is followed by book/en/chapter.
    assert 'href="../en/chapter.html"' not in read(site, "es").split('class="prev-next-area"')[-1]
    assert 'href="../es/chapter.html"' not in read(site, "en").split('class="prev-next-area"')[-1]


@pytest.mark.parametrize("before", [None, "0"])
def test_book_build_is_set_only_while_the_build_reads(tmp_path, monkeypatch, before):
    # The notebooks that nbval runs later in the same worker must not see it.
    from sphinx import locale

    if before is None:
        monkeypatch.delenv("BOOK_BUILD", raising=False)
    else:
        monkeypatch.setenv("BOOK_BUILD", before)
    environ = dict(os.environ)
    catalog = locale.translators[("general", "sphinx")]
    build(tmp_path)
    assert set((tmp_path / "book_build_seen").read_text().split()) == {"1"}
    assert dict(os.environ) == environ
    # The per-page catalogs are taken down too.
    assert locale.translators[("general", "sphinx")] is catalog


def test_no_inline_script_is_written_twice(site):
    for lang in ("es", "en"):
        bodies = re.findall(r"<script>(.+?)</script>", read(site, lang), re.S)
        assert len(bodies) == len(set(bodies)), lang


def test_sidebar_toggles_and_permalinks_in_the_page_language(site):
    es, en = read(site, "es"), read(site, "en")
    assert 'title="Enlace a este encabezado"' in es and "Link to this heading" not in es
    assert "Toggle primary sidebar" not in es and "Toggle primary sidebar" in en
    assert 'title="Link to this heading"' in en


def test_sidebar_lists_only_the_page_language(site):
    es, en = read(site, "es"), read(site, "en")
    nav_es = es.split('bd-docs-nav')[1].split("</nav>")[0]
    nav_en = en.split('bd-docs-nav')[1].split("</nav>")[0]
    assert "../en/" not in nav_es and "Capítulo" in nav_es
    assert "../es/" not in nav_en and "Chapter" in nav_en


def test_spanish_search_page(site):
    html = (site / "search-es.html").read_text(encoding="utf-8")
    assert re.search(r'<html[^>]* lang="es"', html) and "Búsqueda" in html
    assert html.count("searchtools.js") == 1 and "translations-es.js" in html
    assert (site / "_static" / "translations-es.js").is_file()
    assert 'action="../../search-es.html"' in read(site, "es")
    assert 'action="../../search.html"' in read(site, "en")


def test_strip_solutions_removes_gated_solutions_and_solution_blocks():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("```{exercise}\n:label: ex-a\n\nQuestion A\n```"),
        nbformat.v4.new_markdown_cell("```{solution-start} ex-a\n:class: dropdown\n```"),
        nbformat.v4.new_code_cell("answer_a = 42"),
        nbformat.v4.new_markdown_cell("So A is 42.\n\n```{solution-end}\n```"),
        nbformat.v4.new_markdown_cell(
            "Between.\n\n```{solution} ex-b\n:class: dropdown\n\nB is 7.\n```\n\nAfter."),
        nbformat.v4.new_code_cell("print('kept')"),
    ]
    assert bilingual.strip_solutions(nb) == 2
    text = "\n".join(cell.source for cell in nb.cells)
    assert "answer_a" not in text and "42" not in text and "B is 7" not in text
    assert "Question A" in text and "Between." in text and "After." in text
    assert "print('kept')" in text


@pytest.mark.parametrize("notebook", sorted((ROOT / "book").glob("[a-z][a-z]/*.ipynb")),
                         ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_solution_of_the_book_can_be_stripped(notebook):
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    starts = sum("{solution-start}" in cell.source for cell in nb.cells
                 if cell.cell_type == "markdown")
    assert bilingual.strip_solutions(nb) >= starts
    assert not any("{solution" in cell.source for cell in nb.cells)
