"""Sphinx extension: one site, two languages.

Every page under ``book/es/`` is a Spanish page and every page under
``book/en/`` an English one; the rest (the landing page, search, index) uses
the site's default ``language`` from ``_config.yml``. For each page this
extension

* sets ``<html lang="...">`` to the page's own language;
* switches the labels that Sphinx, the theme and sphinx-exercise write
  (``Contents``, ``Download``, ``Exercise``, ``Solution to`` ...) to that language,
  and the bibliography's words (``In``, ``and``...);
* shows that language's part of the table of contents only in the sidebar, and
  sends its search box to that language's search page;
* puts a visible link to the same chapter in the other language at the top of
  the page, and ``<link rel="alternate" hreflang>`` tags in its head;
* warns (an error under ``-W``) when a page has no twin in the other language;
* removes the solutions when ``hide_solutions`` is true (instructors' copies);
* leaves the prefaces (and the instructors' pages) unnumbered, so that each
  language's chapters count from 1.

While Sphinx reads the sources it sets ``BOOK_BUILD=1`` in the environment,
which the kernels that execute the notebooks inherit, so that ``book.lib`` can
print clean per-epoch lines instead of a live progress bar on the website (and
use the training cache). The previous value comes back when the build ends, so
an in-process build (the tests build a small site) leaves the environment as
it found it.

Public hooks, and what is not
-----------------------------
Almost everything goes through Sphinx's events and the page context:
``env-get-updated`` (after Sphinx's numbering) renumbers the chapters,
``html-page-context`` gives the templates the page's translator (Jinja's
``_()`` resolves ``gettext`` from the context), search box text, sidebar and
search page, ``html-collect-pages`` writes ``search-es.html``, and
``book/_ext/templates/`` overrides the three theme components whose labels are
English in the template itself. What is not public, each kept in one place:

* ``sphinx.locale.translators`` (``_Languages``): Sphinx has one language per
  project and no hook to give a page its own catalog, yet its HTML writer and
  the themes' Python code translate through that dictionary.
* sphinxcontrib-bibtex's recorded bibliographies (``_bibliographies_in_page_language``)
  and pybtex's template nodes (``_translated_template``), to give Spanish pages
  a Spanish variant of the bibliography style.
* docutils' citation markup (``_fix_citation_list_roles``) and Sphinx 7.4's
  duplicate scripts (``_drop_duplicate_scripts``), worked around in the page.

``tests/test_bilingual.py`` (a small site) and ``tests/test_site.py`` (the real
build) fail if an upgrade of the versions pinned in ``requirements.txt``
changes any of these.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path

from docutils import nodes
from sphinx import locale
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

LANGS = ("es", "en")
HERE = Path(__file__).resolve().parent
#: Pages of each language that are not numbered chapters.
UNNUMBERED = ("preface", "instructors")
#: The appendices of each language (their own part of _toc.yml, unnumbered): pages,
#: not chapters; they have no objectives box and no exercises.
APPENDICES = ("glossary", "errata", "references")
SWITCH_TEXT = {
    "es": ("Read this chapter in English", "en"),
    "en": ("Lee este capítulo en español", "es"),
}
# sphinx-exercise writes its labels in English only; these are its words.
EXERCISE_LABELS = {
    "es": {"Exercise": "Ejercicio", "Solution to": "Solución del"},
}
# sphinx-togglebutton writes its hint once for the whole site, in a script.
TOGGLE_HINTS = {
    "es": {"Click to show": "Pulsa para mostrar", "Click to hide": "Pulsa para ocultar"},
}
# myst-nb writes the labels of hidden code cells (nb_code_prompt_show/hide) once
# for the whole site, in English, into each page's body.
HIDDEN_CELL_LABELS = {
    "es": {
        '<summary aria-label="Toggle hidden content">':
            '<summary aria-label="Mostrar u ocultar el contenido oculto">',
        ">Show code cell source</p>": ">Mostrar el código de la celda</p>",
        ">Hide code cell source</p>": ">Ocultar el código de la celda</p>",
        ">Show code cell output</p>": ">Mostrar la salida de la celda</p>",
        ">Hide code cell output</p>": ">Ocultar la salida de la celda</p>",
        ">Show code cell content</p>": ">Mostrar el contenido de la celda</p>",
        ">Hide code cell content</p>": ">Ocultar el contenido de la celda</p>",
    },
}
# Labels that the installed catalogs leave untranslated (or get wrong) in a
# language, by message id. They win over the catalogs, for every catalog; the
# sidebar toggles' ids are those of book/_ext/templates/.
EXTRA_MESSAGES = {
    "es": {
        "Link to this heading": "Enlace a este encabezado",
        "Launch on": "Abrir en",
        "Launch interactive content": "Abrir el contenido interactivo",
        "Download this page": "Descargar esta página",
        "Toggle primary sidebar": "Mostrar u ocultar el índice del libro",
        "Toggle secondary sidebar": "Mostrar u ocultar el índice de la página",
        "Site navigation": "Navegación del sitio",
    },
}
# The placeholder of the search box: Jupyter Book sets it for the whole site.
SEARCH_BAR_TEXT = {"es": "Buscar en este libro...", "en": "Search this book..."}
# The words of the pybtex styles' templates (and their separators), for the
# bibliographies of a language's pages.
BIBLIOGRAPHY_WORDS = {
    "es": {
        "In": "En", "and": "y", " and ": " y ", ", and ": " y ",
        "editor": "ed.", "editors": "eds.", "pages": "págs.",
        "Volume": "Volumen", "volume": "volumen", "of": "de",
        "Number": "Número", "number": "número", "in": "en",
        "chapter": "capítulo", "edition": "edición",
        "Technical Report": "Informe técnico", "PhD thesis": "Tesis doctoral",
        "Master's thesis": "Tesis de máster", "URL:": "URL:",
    },
}
# Message catalogs whose labels reach a page, and where their .mo files are.
_CATALOGS = {
    "sphinx": ("sphinx:locale", "pydata_sphinx_theme:locale"),
    "booktheme": ("sphinx_book_theme:theme/sphinx_book_theme/static/locales",),
}


def page_language(pagename: str, default: str) -> str:
    """The language of a page, from its folder (``book/es/...`` is Spanish)."""
    parts = pagename.split("/")
    if len(parts) >= 3 and parts[0] == "book" and parts[1] in LANGS:
        return parts[1]
    if pagename.startswith("search-") and pagename.removeprefix("search-") in LANGS:
        return pagename.removeprefix("search-")  # The search page of a language.
    return default


def twin_of(pagename: str) -> str | None:
    """``book/es/x`` -> ``book/en/x`` and back; None for other pages."""
    parts = pagename.split("/")
    if len(parts) >= 3 and parts[0] == "book" and parts[1] in LANGS:
        other = "en" if parts[1] == "es" else "es"
        return "/".join(["book", other, *parts[2:]])
    return None


def _package_dir(spec: str) -> str:
    package, _, sub = spec.partition(":")
    module = __import__(package)
    return str(Path(module.__file__).parent / sub)


class _Translations:
    """One language's catalog, with this extension's extra messages on top."""

    def __init__(self, catalog, extra: dict):
        self.catalog = catalog
        self.extra = extra

    def gettext(self, message):
        return self.extra.get(message) or self.catalog.gettext(message)

    def ngettext(self, singular, plural, n):
        if n == 1 and singular in self.extra:
            return self.extra[singular]
        return self.catalog.ngettext(singular, plural, n)


class _SwitchableTranslations:
    """A gettext object that answers in the language of the page being written."""

    def __init__(self, by_language):
        self.by_language = by_language
        self.current = None

    def _active(self):
        return self.by_language[self.current]

    def gettext(self, message):
        return self._active().gettext(message)

    def ngettext(self, singular, plural, n):
        return self._active().ngettext(singular, plural, n)


class _Languages:
    """Per-language translators for every catalog, and the switch between them.

    PRIVATE API: Sphinx has one language per project. Its HTML writer
    (``Link to this heading``) and the themes' Python code (the header
    buttons' tooltips) translate through ``sphinx.get_translation``, which
    looks its catalog up in ``sphinx.locale.translators`` at each call; no
    event or setting gives a page its own catalog. So this replaces the two
    catalogs that reach a page in that dictionary with switches, and moves the
    switch before each page is written (``doctree-resolved``) and rendered
    (``html-page-context``). ``test_labels_follow_the_page_language`` (small
    site) and ``test_site.py``'s chrome tests (real build) fail if a Sphinx or
    theme upgrade stops reading the dictionary this way.
    """

    def __init__(self, app: Sphinx):
        self.default = app.config.language or "en"
        self.switches = {}
        self.originals = {}
        for catalog, dirs in _CATALOGS.items():
            key = ("general", catalog)
            original = locale.translators[key]
            # A switch left by an earlier build in this process (in the tests).
            while isinstance(original, _SwitchableTranslations):
                original = original.by_language[self.default].catalog
            self.originals[key] = original
            by_language = {}
            for lang in {self.default, *LANGS}:
                if lang == self.default:
                    translator = original
                else:
                    translator, _ = locale.init(
                        [_package_dir(d) for d in dirs], lang, catalog, f"bilingual-{lang}")
                by_language[lang] = _Translations(translator, EXTRA_MESSAGES.get(lang, {}))
            switch = _SwitchableTranslations(by_language)
            switch.current = self.default
            locale.translators[key] = switch
            self.switches[catalog] = switch

    def use(self, lang: str) -> None:
        for switch in self.switches.values():
            switch.current = lang

    def restore(self) -> None:
        """Puts Sphinx's own catalogs back (at the end of the build)."""
        locale.translators.update(self.originals)

    def templates_translator(self, lang: str) -> _Translations:
        """The translator that the templates' ``_()`` uses on a page in ``lang``."""
        return self.switches["sphinx"].by_language[lang]


def _on_builder_inited(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    app.bilingual_languages = _Languages(app)
    docs = set(app.env.found_docs)
    for doc in sorted(docs):
        twin = twin_of(doc)
        if twin is not None and twin not in docs:
            logger.warning("%s has no twin: expected %s to exist", doc, twin,
                           location=doc)


def _use_templates_path(app: Sphinx, config) -> None:
    """Puts book/_ext/templates first, before the themes' components.

    The templates there replace the few theme components whose labels are
    written in English in the template itself (not through ``_()``).
    """
    templates = str(HERE / "templates")
    if templates not in config.templates_path:
        config.templates_path.insert(0, templates)


# --- BOOK_BUILD, for the kernels, only while the sources are read ----------

_NOT_SET = object()


def _set_book_build(app: Sphinx, env, docnames) -> None:
    if not hasattr(app, "bilingual_saved_book_build"):
        app.bilingual_saved_book_build = os.environ.get("BOOK_BUILD", _NOT_SET)
    os.environ["BOOK_BUILD"] = "1"


def _on_build_finished(app: Sphinx, exception) -> None:
    """Leaves the process as the build found it: catalogs and environment.

    In a copy without solutions, also removes them from the downloadable notebooks.
    """
    if exception is None and getattr(app, "bilingual_hide_solutions", False):
        _strip_downloadable_solutions(app)
    languages = getattr(app, "bilingual_languages", None)
    if languages is not None:
        languages.restore()
    _restore_book_build(app)


def _restore_book_build(app: Sphinx) -> None:
    saved = getattr(app, "bilingual_saved_book_build", None)
    if saved is None:
        return
    if saved is _NOT_SET:
        os.environ.pop("BOOK_BUILD", None)
    else:
        os.environ["BOOK_BUILD"] = saved
    del app.bilingual_saved_book_build


# --- Numbering ---------------------------------------------------------------

def _renumber_per_language(env) -> None:
    """Numbers each language's chapters from 1 and leaves the prefaces unnumbered.

    Jupyter Book always loads sphinx-multitoc-numbering, which numbers the
    chapters of all parts in one sequence (English would start after the last
    Spanish chapter) and counts the preface as a chapter. This runs right after
    that numbering and rewrites it: in each language, the preface gets no
    number and the other chapters get 1, 2, 3... in the order of ``_toc.yml``.
    """
    chapters = {lang: [] for lang in LANGS}
    for doc, secnums in env.toc_secnumbers.items():
        lang = page_language(doc, "")
        if lang in LANGS and secnums.get(""):
            chapters[lang].append((secnums[""][0], doc))
    new_number = {}
    for lang_chapters in chapters.values():
        position = 0
        for _, doc in sorted(lang_chapters):
            if doc.rsplit("/", 1)[-1] in UNNUMBERED:
                new_number[doc] = None
            else:
                position += 1
                new_number[doc] = position

    def renumber(number, doc):
        # None, not (), marks "no number": sphinx-external-toc expects it.
        if not number or new_number[doc] is None:
            return None
        return (new_number[doc], *number[1:])

    for doc in new_number:
        secnums = env.toc_secnumbers[doc]
        for anchor, number in secnums.items():
            secnums[anchor] = renumber(number, doc)
        title = env.titles.get(doc)
        for node in [*env.tocs[doc].findall(nodes.reference), title]:
            if node is not None and node.get("secnumber"):
                number = renumber(node["secnumber"], doc)
                if number:
                    node["secnumber"] = list(number)
                else:
                    del node["secnumber"]


def _renumber_figures_per_page(env) -> None:
    """Numbers each page's figures, tables and exercises from 1 in its chapter.

    Sphinx counts numbered items per chapter number across the whole site, so
    English chapter 1 would go on from Spanish chapter 1 (Exercise 1.4...). In
    the book each chapter is one page, so the count restarts on each page.
    """
    for doc, by_type in env.toc_fignumbers.items():
        if twin_of(doc) is None:
            continue
        for figtype, numbers in by_type.items():
            groups = {}
            for node_id, number in numbers.items():
                groups.setdefault(tuple(number[:-1]), []).append((number[-1], node_id))
            for prefix, items in groups.items():
                for position, (_, node_id) in enumerate(sorted(items), start=1):
                    numbers[node_id] = (*prefix, position)


def _on_env_get_updated(app: Sphinx, env) -> list[str]:
    """Rewrites the numbers that Sphinx has just assigned.

    Sphinx's toctree collector numbers sections and figures in its own
    ``env-get-updated`` handler (priority 500, patched by
    sphinx-multitoc-numbering); this one is connected at priority 900, so it
    runs right after it, before any page is written. The pages whose numbers
    change are already in the collector's list of pages to rewrite.
    """
    _renumber_per_language(env)
    _renumber_figures_per_page(env)
    return []


# --- Solutions -----------------------------------------------------------------

def _take_over_hide_solutions(app: Sphinx, config) -> None:
    """Makes sphinx-exercise's ``hide_solutions`` work for gated solutions.

    sphinx-exercise 1.0 drops ``solution-start`` when ``hide_solutions`` is set
    but keeps ``solution-end`` and the code cells between them, which breaks the
    build and would show the solution code. So this extension keeps the option
    off for sphinx-exercise, lets it assemble every solution, and removes the
    assembled solutions itself before the pages are written.
    """
    app.bilingual_hide_solutions = bool(config.hide_solutions)
    config.hide_solutions = False


def _remove_solutions(doctree: nodes.document) -> None:
    from sphinx_exercise.nodes import solution_end_node, solution_node, solution_start_node

    for kind in (solution_node, solution_start_node, solution_end_node):
        for node in list(doctree.findall(kind)):
            node.parent.remove(node)


_SOLUTION_START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}", re.MULTILINE)
_SOLUTION_END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}", re.MULTILINE)
_SOLUTION_BLOCK = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{solution\}.*?^(?P=fence)[ \t]*$\n?", re.MULTILINE | re.DOTALL)


def strip_solutions(notebook) -> int:
    """Removes the solutions from a MyST notebook (an nbformat node), in place.

    A gated solution is every cell from the markdown cell that opens
    ``{solution-start}`` to the one that closes ``{solution-end}``, both included;
    a ``{solution}`` directive inside a markdown cell is cut out of it.

    Returns:
        How many solutions were removed.
    """
    kept, removed, inside = [], 0, False
    for cell in notebook.cells:
        text = cell.source if cell.cell_type == "markdown" else ""
        if not inside and _SOLUTION_START.search(text):
            inside, removed = True, removed + 1
        if inside:
            if _SOLUTION_END.search(text):
                inside = False
            continue
        if cell.cell_type == "markdown":
            cell.source, count = _SOLUTION_BLOCK.subn("", cell.source)
            removed += count
        kept.append(cell)
    notebook.cells = kept
    return removed


def _strip_downloadable_solutions(app: Sphinx) -> None:
    """In a copy without solutions, the notebooks offered for download lack them too."""
    import nbformat

    for path in sorted((Path(app.outdir) / "_sources").rglob("*.ipynb")):
        notebook = nbformat.read(str(path), as_version=4)
        if strip_solutions(notebook):
            nbformat.write(notebook, str(path))


# --- Bibliographies ------------------------------------------------------------

_SEPARATORS = {"sep", "sep2", "last_sep"}


def _translated_template(node, words: dict):
    """A copy of a pybtex template tree with its literal words translated."""
    from pybtex.style.template import Node

    if isinstance(node, str):
        return words.get(node, node)
    if not isinstance(node, Node):
        return node
    copy = Node(node.name, node.f)
    # Arguments name fields (field("pages")): only separators are words.
    copy.args = list(node.args)
    copy.kwargs = {key: words.get(value, value)
                   if key in _SEPARATORS and isinstance(value, str) else value
                   for key, value in node.kwargs.items()}
    copy.children = [_translated_template(child, words) for child in node.children]
    return copy


def _language_style(base_name: str, lang: str) -> str:
    """Registers (once) a pybtex style that writes ``base_name``'s words in ``lang``.

    pybtex's styles write "In", "and", "pages"... in their templates; the
    subclass translates those words in every template it returns.
    """
    import pybtex.plugin

    name = f"{base_name}-{lang}"
    group = "pybtex.style.formatting"
    try:
        pybtex.plugin.find_plugin(group, name)
        return name
    except pybtex.plugin.PluginNotFound:
        pass
    base = pybtex.plugin.find_plugin(group, base_name)
    words = BIBLIOGRAPHY_WORDS[lang]

    class LanguageStyle(base):
        def __getattribute__(self, attr):
            value = super().__getattribute__(attr)
            if attr.startswith("get_") and attr.endswith("_template"):
                return lambda entry: _translated_template(value(entry), words)
            return value

    LanguageStyle.__name__ = f"{base.__name__}_{lang}"
    pybtex.plugin.register_plugin(group, name, LanguageStyle)
    return name


def _bibliographies_in_page_language(app: Sphinx, env) -> None:
    """Gives each Spanish page's bibliography the Spanish variant of its style.

    Runs in ``env-updated`` before sphinxcontrib-bibtex's own handler (which
    formats every entry there), on the bibliographies its directive recorded.
    """
    try:
        domain = env.get_domain("cite")
    except Exception:  # sphinxcontrib-bibtex not loaded
        return
    for key, bibliography in list(domain.bibliographies.items()):
        lang = page_language(key.docname, "")
        if lang not in BIBLIOGRAPHY_WORDS:
            continue
        # A page that was not read again keeps the style name of the last build,
        # but the style itself must be registered in this process.
        style = _language_style(bibliography.style.removesuffix(f"-{lang}"), lang)
        domain.bibliographies[key] = bibliography._replace(style=style)


def _translate_citation_references(doctree: nodes.document, words: dict) -> None:
    """``Simonyan and Zisserman, 2015`` -> ``Simonyan y Zisserman, 2015``.

    sphinxcontrib-bibtex's author-year references join two authors with
    " and " in one style for the whole site; only the links to this page's
    own bibliography entries are changed.
    """
    citation_ids = {id_ for citation in doctree.findall(nodes.citation)
                    for id_ in citation["ids"]}
    for reference in doctree.findall(nodes.reference):
        if reference.get("refid") not in citation_ids:
            continue
        for text in list(reference.findall(nodes.Text)):
            new = str(text).replace(" and ", words[" and "])
            if new != str(text):
                text.parent.replace(text, nodes.Text(new))


# --- Pages -----------------------------------------------------------------------

def _on_doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Before a page is written: no solutions if so asked, labels in its language."""
    if getattr(app, "bilingual_hide_solutions", False):
        _remove_solutions(doctree)
    languages = getattr(app, "bilingual_languages", None)
    if languages is None:
        return
    lang = page_language(docname, languages.default)
    languages.use(lang)
    if lang in BIBLIOGRAPHY_WORDS:
        _translate_citation_references(doctree, BIBLIOGRAPHY_WORDS[lang])
    labels = EXERCISE_LABELS.get(lang, {})
    # The HTML writer numbers exercises with numfig_format; it runs right after
    # this event for this page, so the format follows the page's language.
    app.config.numfig_format["exercise"] = labels.get("Exercise", "Exercise") + " %s"
    if not labels:
        return
    for title in doctree.findall(nodes.title):
        if not any("exercise" in cls or "solution" in cls
                   for cls in title.parent.get("classes", [])):
            continue
        for text in list(title.findall(nodes.Text)):
            new = str(text)
            for english, translated in labels.items():
                new = new.replace(english, translated)
            if new != str(text):
                text.parent.replace(text, nodes.Text(new))


def _on_html_page_context(app, pagename, templatename, context, doctree) -> None:
    languages = getattr(app, "bilingual_languages", None)
    default = languages.default if languages else (app.config.language or "en")
    lang = page_language(pagename, default)
    if languages is not None:
        languages.use(lang)
        # Jinja's _() and {% trans %} resolve `gettext` from the page context
        # first, so the templates answer in the page's language.
        translator = languages.templates_translator(lang)
        context["gettext"] = translator.gettext
        context["ngettext"] = translator.ngettext
    context["language"] = lang
    if lang in SEARCH_BAR_TEXT:
        context["theme_search_bar_text"] = SEARCH_BAR_TEXT[lang]
    search_page = _search_page(lang, default)
    if search_page is not None and "pathto" in context:
        # The search forms (pathto('search')) go to the page's own language.
        pathto = context["pathto"]

        def pathto_in_language(otheruri, *args, **kwargs):
            if otheruri == "search" and not args and not kwargs:
                otheruri = search_page
            return pathto(otheruri, *args, **kwargs)

        context["pathto"] = pathto_in_language
    if pagename == search_page:
        # searchtools.js writes its messages through Sphinx's JavaScript catalog.
        app.builder.add_js_file(f"translations-{lang}.js")
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        _drop_duplicate_scripts(scripts)
        _translate_scripts(scripts, TOGGLE_HINTS.get(lang, {}))
    if "body" in context:
        context["body"] = _fix_citation_list_roles(context["body"])
        for english, translated in HIDDEN_CELL_LABELS.get(lang, {}).items():
            context["body"] = context["body"].replace(english, translated)
    _keep_prev_next_in_language(pagename, context)
    twin = twin_of(pagename)
    if twin is None or twin not in app.env.found_docs:
        return
    text, twin_lang = SWITCH_TEXT[lang]
    href = app.builder.get_relative_uri(pagename, twin)
    link = (f'<p class="bilingual-switch"><a href="{href}" hreflang="{twin_lang}" '
            f'lang="{twin_lang}"><i class="fa-solid fa-language"></i> {text}</a></p>\n')
    if "body" in context:
        context["body"] = link + context["body"]
    context["metatags"] = context.get("metatags", "") + (
        f'\n<link rel="alternate" hreflang="{twin_lang}" href="{href}" />')


def _on_html_page_context_late(app, pagename, templatename, context, doctree) -> None:
    """After the theme's handlers: the sidebar shows the page's language only."""
    generate = context.get("generate_toctree_html")
    lang = page_language(pagename, "")
    if generate is None or lang not in LANGS:
        return

    def generate_toctree_html(kind, *args, **kwargs):
        html = generate(kind, *args, **kwargs)
        if kind != "sidebar":
            return html
        return _sidebar_in_language(str(html), "en" if lang == "es" else "es")

    context["generate_toctree_html"] = generate_toctree_html


def _sidebar_in_language(html: str, other: str) -> str:
    """Drops the sidebar's parts (caption and list) that lead to the other language."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    # One list per toctree (a part of _toc.yml), after its caption if it has one.
    for part in soup.find_all("ul", recursive=False):
        hrefs = [a.get("href", "") for a in part.find_all("a")]
        if not hrefs or not all(f"../{other}/" in href for href in hrefs):
            continue
        caption = part.find_previous_sibling(True)
        if caption is not None and "caption" in caption.get("class", []):
            caption.decompose()
        part.decompose()
    return str(soup)


def _search_page(lang: str, default: str) -> str | None:
    """``search-es`` for a language other than the site's; None otherwise.

    It sits at the root of the site, beside Sphinx's ``search.html``, because
    searchtools.js writes each result's link relative to the search page (a page
    under ``book/es/`` would link to ``book/es/book/es/...``).
    """
    return f"search-{lang}" if lang in LANGS and lang != default else None


def _collect_search_pages(app: Sphinx):
    """Writes a search page for each language other than the site's default.

    Sphinx writes one search page, ``search.html``, in the site's language.
    ``search-es.html`` is the same page (results from the same index)
    with Spanish chrome and Sphinx's Spanish catalog for searchtools.js's
    messages ("Resultados de la búsqueda"...).
    """
    if app.builder.format != "html" or not getattr(app.builder, "search", False):
        return
    default = app.config.language or "en"
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    for lang in LANGS:
        page = _search_page(lang, default)
        if page is None:
            continue
        catalog = Path(_package_dir("sphinx:locale")) / lang / "LC_MESSAGES" / "sphinx.js"
        (static / f"translations-{lang}.js").write_text(
            catalog.read_text(encoding="utf-8"), encoding="utf-8")
        yield page, {}, "bilingual-search.html"


def _keep_prev_next_in_language(pagename: str, context: dict) -> None:
    """Drops a previous/next link that would lead out of the page's language."""
    if twin_of(pagename) is None:
        return
    lang = page_language(pagename, "")
    for key in ("prev", "next"):
        link = (context.get(key) or {}).get("link")
        if not link:
            continue
        target = posixpath.normpath(posixpath.join(posixpath.dirname(pagename), link))
        target = target.split("#")[0].removesuffix(".html").removesuffix("/index")
        if page_language(target, "") != lang:
            context[key] = None


def _script_key(script) -> tuple:
    attributes = getattr(script, "attributes", {})
    return (getattr(script, "filename", script) or "", getattr(script, "priority", 0),
            tuple(sorted(attributes.items())))


def _drop_duplicate_scripts(scripts: list) -> None:
    """Keeps one of each script on the page (in place: the list is Sphinx's own).

    Sphinx 7.4 adds the scripts that extensions register after the builder
    started (sphinx-thebe's config, sphinx-togglebutton's selector) twice: once
    with the file name None and once with '' (``StandaloneHTMLBuilder.prepare_writing``
    re-adds the registry's scripts), and the two do not compare equal. The
    inline ``const THEBE_JS_URL`` then runs twice: a SyntaxError on every page.
    """
    seen = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def _translate_scripts(scripts: list, words: dict) -> None:
    """Replaces English words in the page's inline scripts.

    In place: ``scripts`` is the builder's own list, to which later handlers
    (sphinx.ext.mathjax, at priority 500) still add the page's scripts; Sphinx
    restores the list before the next page.
    """
    for index, script in enumerate(scripts):
        body = getattr(script, "attributes", {}).get("body", "")
        new_body = body
        for english, translated in words.items():
            new_body = new_body.replace(f"'{english}'", f"'{translated}'")
        if new_body != body:
            attributes = {**script.attributes, "body": new_body}
            scripts[index] = type(script)(script.filename, priority=script.priority,
                                          **attributes)


_CITATION_ROLE = re.compile(r'(<div class="citation" id="[^"]*") role="doc-biblioentry"')


def _fix_citation_list_roles(body: str) -> str:
    """Makes each bibliography entry a list item of its ``role="list"``.

    docutils writes ``<div role="list" class="citation-list">`` around entries
    with ``role="doc-biblioentry"``, a role that is not a list item (and is
    deprecated): a list without items for assistive technologies.
    """
    return _CITATION_ROLE.sub(r'\1 role="listitem"', body)


def setup(app: Sphinx):
    app.connect("config-inited", _take_over_hide_solutions, priority=900)
    app.connect("config-inited", _use_templates_path)
    app.connect("builder-inited", _on_builder_inited)
    app.connect("env-before-read-docs", _set_book_build)
    app.connect("build-finished", _on_build_finished)
    # After Sphinx's toctree collector (500) has numbered the sections.
    app.connect("env-get-updated", _on_env_get_updated, priority=900)
    # Before sphinxcontrib-bibtex formats the entries (500).
    app.connect("env-updated", _bibliographies_in_page_language, priority=400)
    app.connect("doctree-resolved", _on_doctree_resolved)
    # Before the theme builds its buttons (priority 500), so they are translated.
    app.connect("html-page-context", _on_html_page_context, priority=400)
    app.connect("html-collect-pages", _collect_search_pages)
    # After pydata-sphinx-theme puts generate_toctree_html in the context (500).
    app.connect("html-page-context", _on_html_page_context_late, priority=600)
    app.add_css_file("bilingual.css")
    return {"version": "1.0", "parallel_read_safe": True,
            "parallel_write_safe": False}
