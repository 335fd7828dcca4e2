"""Sphinx extension: one site, two languages.

Every page under ``book/es/`` is a Spanish page and every page under
``book/en/`` an English one; the rest (the landing page, search, index) uses
the site's default ``language`` from ``_config.yml``. For each page this
extension

* sets ``<html lang="...">`` to the page's own language;
* switches the labels that Sphinx, the theme and sphinx-exercise write
  (``Contents``, ``Download``, ``Exercise``, ``Solution to`` ...) to that language;
* puts a visible link to the same chapter in the other language at the top of
  the page, and ``<link rel="alternate" hreflang>`` tags in its head;
* warns (an error under ``-W``) when a page has no twin in the other language;
* removes the solutions when ``hide_solutions`` is true (instructors' copies);
* leaves the prefaces unnumbered, so that each language's chapters count from 1.

It also sets ``BOOK_BUILD=1`` in the environment, which the kernels that execute
the notebooks inherit, so that ``book.lib`` can print clean per-epoch lines
instead of a live progress bar on the website.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from docutils import nodes
from sphinx import locale
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

LANGS = ("es", "en")
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
    """Per-language translators for every catalog, and the switch between them."""

    def __init__(self, app: Sphinx):
        self.default = app.config.language or "en"
        self.switches = {}
        for catalog, dirs in _CATALOGS.items():
            key = ("general", catalog)
            by_language = {self.default: locale.translators[key]}
            for lang in LANGS:
                if lang not in by_language:
                    namespace = f"bilingual-{lang}"
                    translator, _ = locale.init(
                        [_package_dir(d) for d in dirs], lang, catalog, namespace)
                    by_language[lang] = translator
            switch = _SwitchableTranslations(by_language)
            switch.current = self.default
            locale.translators[key] = switch
            self.switches[catalog] = switch
        # Templates call the translator that the builder installed in Jinja.
        app.builder.templates.environment.install_gettext_translations(
            self.switches["sphinx"], newstyle=False)

    def use(self, lang: str) -> None:
        for switch in self.switches.values():
            switch.current = lang


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
            if doc.endswith("/preface"):
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


def _patch_section_numbering(app: Sphinx) -> None:
    from sphinx.environment.collectors.toctree import TocTreeCollector

    numbering = TocTreeCollector.assign_section_numbers
    if getattr(numbering, "bilingual", False):
        return

    def assign_section_numbers(self, env):
        rewrite_needed = numbering(self, env)
        _renumber_per_language(env)
        return rewrite_needed

    assign_section_numbers.bilingual = True
    TocTreeCollector.assign_section_numbers = assign_section_numbers

    figure_numbering = TocTreeCollector.assign_figure_numbers

    def assign_figure_numbers(self, env):
        rewrite_needed = figure_numbering(self, env)
        _renumber_figures_per_page(env)
        return rewrite_needed

    TocTreeCollector.assign_figure_numbers = assign_figure_numbers


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


def _on_doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Before a page is written: no solutions if so asked, labels in its language."""
    if getattr(app, "bilingual_hide_solutions", False):
        _remove_solutions(doctree)
    languages = getattr(app, "bilingual_languages", None)
    if languages is None:
        return
    lang = page_language(docname, languages.default)
    languages.use(lang)
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
    context["language"] = lang
    _translate_scripts(context, TOGGLE_HINTS.get(lang, {}))
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


def _translate_scripts(context: dict, words: dict) -> None:
    """Replaces English words in the page's inline scripts (a new list per page)."""
    if not words or "script_files" not in context:
        return
    scripts = []
    for script in context["script_files"]:
        body = getattr(script, "attributes", {}).get("body", "")
        new_body = body
        for english, translated in words.items():
            new_body = new_body.replace(f"'{english}'", f"'{translated}'")
        if new_body != body:
            attributes = {**script.attributes, "body": new_body}
            script = type(script)(script.filename, priority=script.priority, **attributes)
        scripts.append(script)
    context["script_files"] = scripts


def setup(app: Sphinx):
    os.environ["BOOK_BUILD"] = "1"
    app.connect("config-inited", _take_over_hide_solutions, priority=900)
    app.connect("builder-inited", _on_builder_inited)
    app.connect("doctree-resolved", _on_doctree_resolved)
    # After every extension's setup, so after sphinx-multitoc-numbering's patch.
    app.connect("config-inited", lambda app, config: _patch_section_numbering(app))
    # Before the theme builds its buttons (priority 500), so they are translated.
    app.connect("html-page-context", _on_html_page_context, priority=400)
    app.add_css_file("bilingual.css")
    return {"version": "1.0", "parallel_read_safe": True,
            "parallel_write_safe": False}

