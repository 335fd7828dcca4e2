"""The book as a PDF per language, with and without the solutions.

Run from the repository root after the website's build (which executed the
notebooks and filled the execution cache)::

    python book/_ext/pdf_book.py                 # both languages, both variants -> _build/pdf/*.pdf
    python book/_ext/pdf_book.py --latex-only    # only the LaTeX sources (no TeX Live needed)
    python book/_ext/pdf_book.py --lang es --variant solutions

Each PDF is Jupyter Book's LaTeX builder (``jupyter-book build --builder
latex``, then Sphinx's LaTeX Makefile: ``latexmk`` with XeLaTeX) run on the same sources as the website,
with a table of contents of one language (root: its preface, which becomes the
front matter; then its chapters in the order of ``_toc.yml``) and a copy of
``_config.yml`` that sets the language (polyglossia: Spanish hyphenation and
typography for the Spanish book), ``hide_solutions`` for the variant without
solutions, and the execution cache of the website's build for the same mode
(``BOOK_QUICK``; ``book/_ext/execution.py``). ``BOOK_REQUIRE_EXECUTED=1``
makes the build stop rather than execute a notebook: the PDF shows the outputs,
tables, figures and glued numbers of the executed book. Each variant is built
in its own folder under ``_build/pdf/work/`` (its own doctrees), so the
website's build is left alone.

As a Sphinx extension (loaded only by those PDF builds) it turns the notebooks'
HTML outputs into something LaTeX can print: HTML tables (the pandas tables of
``report.table``) become real tables, and other HTML (Keras' model summaries)
its text, in a literal block.

Needs TeX Live (Debian: ``texlive-xetex texlive-latex-extra texlive-lang-spanish
texlive-fonts-recommended fonts-freefont-otf fonts-dejavu-core latexmk xindy``;
Sphinx's latexmkrc builds the index with xindy under XeLaTeX). CI builds the LaTeX
sources only (``--latex-only``); ``.github/workflows/pages.yml`` builds the
PDFs and publishes them under ``pdf/`` on the website, where the prefaces link
them (``{book-downloads}``, book/_ext/instructors.py).
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LANGS = ("es", "en")
VARIANTS = ("solutions", "no-solutions")

#: The PDFs' file names (the website serves them under pdf/).
NAMES = {
    ("es", True): "redes-convolucionales-paso-a-paso.pdf",
    ("es", False): "redes-convolucionales-paso-a-paso-sin-soluciones.pdf",
    ("en", True): "convolutional-networks-step-by-step.pdf",
    ("en", False): "convolutional-networks-step-by-step-no-solutions.pdf",
}
TITLES = {"es": ("Redes convolucionales paso a paso", "Los autores del libro"),
          "en": ("Convolutional Networks Step by Step", "The book's authors")}
LINK_TEXT = {"es": ((True, "PDF del libro"), (False, "PDF sin soluciones")),
             "en": ((True, "PDF of the book"), (False, "PDF without solutions"))}
DOWNLOADS_SENTENCE = {
    "es": ("**El libro en PDF:** {links} (el mismo contenido que esta web, ya "
           "ejecutado; para docentes, los cuadernos de ejercicios y los solucionarios "
           "están en {{doc}}`instructors`)."),
    "en": ("**The book as a PDF:** {links} (the same content as this website, "
           "executed; for instructors, the exercise notebooks and answer keys are in "
           "{{doc}}`instructors`)."),
}
# Characters that FreeSerif lacks, printed as words or symbols it has.
UNICODE_FALLBACKS = {
    "🌐": "", "🚀": "", "⬇": "↓", "💡": "", "📝": "", "❗": "!", "⚠️": "!", "⚠": "!",
    "⛔": "", "🔗": "", "️": "",
}


def pdf_name(lang: str, solutions: bool) -> str:
    return NAMES[(lang, solutions)]


# --- Building ---------------------------------------------------------------------------

def language_toc(lang: str, root: Path = ROOT) -> dict:
    """``_toc.yml`` for one language: its preface as the root, its chapters after it
    (all but the references page, whose list is the PDF's closing bibliography)."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]
             if c["file"].startswith(f"book/{lang}/")]
    preface = next(f for f in files if f.endswith("/preface"))
    # The references page's list is LaTeX's bibliography at the end of the PDF
    # (one_bibliography): as a chapter it would be a heading without its list.
    skipped = {preface, f"book/{lang}/references"}
    return {"format": "jb-book", "root": preface, "defaults": {"numbered": True},
            "chapters": [{"file": f} for f in files if f not in skipped]}


def variant_config(lang: str, solutions: bool, root: Path = ROOT) -> dict:
    """A copy of ``_config.yml`` for one PDF."""
    import yaml

    sys.path.insert(0, str(HERE))
    try:
        import execution
    finally:
        sys.path.pop(0)
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    config = copy.deepcopy(config)
    config["title"], config["author"] = TITLES[lang]
    if not solutions:
        config["title"] += {"es": " (sin soluciones)", "en": " (without solutions)"}[lang]
    config["only_build_toc_files"] = True
    config.setdefault("latex", {})["latex_documents"] = {"targetname": "book.tex"}
    sphinx = config.setdefault("sphinx", {})
    # Paths in a configuration are read from its folder: point them at the book's.
    sphinx["local_extensions"] = {name: str(root / folder) for name, folder in
                                  {**sphinx.get("local_extensions", {}),
                                   "pdf_book": "book/_ext"}.items()}
    config["bibtex_bibfiles"] = [str(root / f) for f in config.get("bibtex_bibfiles", [])]
    extra = sphinx.setdefault("config", {})
    extra["language"] = lang
    extra["hide_solutions"] = not solutions
    extra["nb_execution_cache_path"] = str(execution.cache_path(root / "_build", root=root))
    # HTML outputs (pandas tables) are printed by this extension; images first.
    extra["nb_mime_priority_overrides"] = [["latex", "text/html", 55]]  # before text/plain (60)
    extra["latex_engine"] = "xelatex"
    extra["latex_elements"] = {
        "papersize": "a4paper", "pointsize": "10pt",
        "preamble": PREAMBLE,
        "sphinxsetup": "verbatimwithframe=false, VerbatimColor={rgb}{0.96,0.96,0.96}",
    }
    # Jupyter Book's document class loads bbm (\mathbbm) for a few macros the book
    # does not use; Debian ships it only in the large texlive-fonts-extra.
    extra["latex_additional_files"] = [str(HERE / "latex" / "bbm.sty")]
    if lang != "en":  # sphinx-exercise numbers exercises in English by default.
        sys.path.insert(0, str(HERE))
        try:
            from bilingual import EXERCISE_LABELS
        finally:
            sys.path.pop(0)
        extra["numfig_format"] = {"exercise": EXERCISE_LABELS[lang]["Exercise"] + " %s"}
    extra["latex_show_urls"] = "no"
    extra["latex_toplevel_sectioning"] = "chapter"
    return config


PREAMBLE = r"""
\usepackage{newunicodechar}
\newfontfamily\symbolsfallback{DejaVu Sans}[Scale=MatchLowercase]
\newunicodechar{↑}{{\symbolsfallback ↑}}
\newunicodechar{↓}{{\symbolsfallback ↓}}
\newunicodechar{✓}{{\symbolsfallback ✓}}
\newunicodechar{✗}{{\symbolsfallback ✗}}
\newunicodechar{≈}{{\symbolsfallback ≈}}
\newunicodechar{≤}{{\symbolsfallback ≤}}
\newunicodechar{≥}{{\symbolsfallback ≥}}
\newunicodechar{→}{{\symbolsfallback →}}
\newunicodechar{−}{{\symbolsfallback −}}
\newunicodechar{…}{{\symbolsfallback …}}
\setcounter{tocdepth}{1}
"""


def build(lang: str, solutions: bool, pdf: bool = True, root: Path = ROOT,
          out: Path | None = None) -> Path:
    """Builds one variant; returns the PDF (or, with ``pdf=False``, the .tex)."""
    import yaml

    variant = "solutions" if solutions else "no-solutions"
    out = Path(out or root / "_build" / "pdf")
    work = out / "work" / f"{lang}-{variant}"
    work.mkdir(parents=True, exist_ok=True)
    (work / "_toc.yml").write_text(yaml.safe_dump(language_toc(lang, root), sort_keys=False),
                                   encoding="utf-8")
    (work / "_config.yml").write_text(
        yaml.safe_dump(variant_config(lang, solutions, root), sort_keys=False,
                       allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "BOOK_REQUIRE_EXECUTED": "1"}
    command = ["jupyter-book", "build", str(root), "--builder", "latex",
               "--toc", str(work / "_toc.yml"), "--config", str(work / "_config.yml"),
               "--path-output", str(work), "-W", "-n", "--keep-going"]
    start = time.time()
    subprocess.run(command, check=True, env=env)
    latex = work / "_build" / "latex"
    tex = latex / "book.tex"
    print(f"LaTeX of {lang} ({variant}): {tex} in {time.time() - start:.0f} s", flush=True)
    if not pdf:
        return tex
    start = time.time()
    # Sphinx's own Makefile: it exports XINDYOPTS (the index's language and
    # encoding, -L spanish-modern -C utf8 for Spanish), without which latexmkrc's
    # xindy stops at the index; its latexmkrc makes latexmk -pdf run XeLaTeX.
    subprocess.run(["make", "all-pdf",
                    "LATEXMKOPTS=-interaction=nonstopmode -halt-on-error -file-line-error"],
                   cwd=latex, check=True,
                   stdout=subprocess.DEVNULL if os.environ.get("BOOK_PDF_QUIET") else None)
    target = out / pdf_name(lang, solutions)
    shutil.copyfile(latex / "book.pdf", target)
    print(f"PDF of {lang} ({variant}): {target} in {time.time() - start:.0f} s", flush=True)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", choices=LANGS, action="append")
    parser.add_argument("--variant", choices=VARIANTS, action="append")
    parser.add_argument("--latex-only", action="store_true",
                        help="write the LaTeX sources only (no TeX Live needed)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "pdf")
    args = parser.parse_args(argv)
    for lang in args.lang or LANGS:
        for variant in args.variant or VARIANTS:
            build(lang, variant == "solutions", pdf=not args.latex_only, out=args.out)
    return 0


# --- Sphinx: HTML outputs for LaTeX -------------------------------------------------------

def _table_from_html(table_html) -> "nodes.table | None":
    """A docutils table from an HTML ``<table>`` (header rows from ``<thead>``)."""
    from docutils import nodes

    rows = []
    for tr in table_html.find_all("tr"):
        cells = [" ".join(cell.get_text(" ").split()) for cell in tr.find_all(["th", "td"])]
        head = tr.find_parent("thead") is not None
        rows.append((head, cells))
    rows = [(head, cells) for head, cells in rows if any(cells)]
    if not rows:
        return None
    width = max(len(cells) for _, cells in rows)
    table = nodes.table(classes=["colwidths-auto"])
    group = nodes.tgroup(cols=width)
    table += group
    for _ in range(width):
        group += nodes.colspec(colwidth=1)

    def row_node(cells):
        row = nodes.row()
        for text in cells + [""] * (width - len(cells)):
            entry = nodes.entry()
            entry += nodes.paragraph(text=text)
            row += entry
        return row

    head = [cells for is_head, cells in rows if is_head]
    body = [cells for is_head, cells in rows if not is_head]
    if head:
        thead = nodes.thead()
        for cells in head:
            thead += row_node(cells)
        group += thead
    tbody = nodes.tbody()
    for cells in body:
        tbody += row_node(cells)
    group += tbody
    return table


def _html_outputs_for_latex(app, doctree, docname) -> None:
    if app.builder.format != "latex":
        return
    from bs4 import BeautifulSoup
    from docutils import nodes

    for raw in list(doctree.findall(nodes.raw)):
        if "html" not in raw.get("format", "").split():
            continue
        soup = BeautifulSoup(raw.astext(), "html.parser")
        for style in soup.find_all(["style", "script"]):
            style.decompose()
        tables = soup.find_all("table")
        new = [t for t in (_table_from_html(table) for table in tables) if t is not None]
        if not new:
            text = soup.get_text().strip("\n")
            new = [nodes.literal_block(text, text)] if text.strip() else []
        raw.parent.replace(raw, new) if new else raw.parent.remove(raw)


def _unicode_fallbacks(app, doctree, docname) -> None:
    if app.builder.format != "latex":
        return
    from docutils import nodes

    for text in list(doctree.findall(nodes.Text)):
        value = str(text)
        new = value
        for char, replacement in UNICODE_FALLBACKS.items():
            new = new.replace(char, replacement)
        if new != value:
            text.parent.replace(text, nodes.Text(new))


def _exercise_titles_in_language(app, doctree, docname) -> None:
    """"Solution to" and "Exercise" in the titles, in the book's language (bilingual's words)."""
    if app.builder.format != "latex":
        return
    from docutils import nodes

    from bilingual import EXERCISE_LABELS

    labels = EXERCISE_LABELS.get(app.config.language, {})
    for title in doctree.findall(nodes.title):
        if not any("exercise" in c or "solution" in c
                   for c in title.parent.get("classes", [])):
            continue
        for text in list(title.findall(nodes.Text)):
            new = str(text)
            for english, translated in labels.items():
                new = new.replace(english, translated)
            if new != str(text):
                text.parent.replace(text, nodes.Text(new))


# --- Sphinx: one bibliography at the end of the PDF ----------------------------------------

def _ancestor(node, kinds):
    """The nearest of node and its parents that is one of kinds, or None."""
    while node is not None and not isinstance(node, kinds):
        node = node.parent
    return node


def one_bibliography(document) -> None:
    """The book's citations as one list, each work once, in the order of its labels.

    LaTeX gathers every citation at the end of the book (Sphinx's
    BibliographyTransform, which runs next), so each chapter's "References"
    section would be an empty heading, and a work that several chapters cite
    would be listed once per chapter. This keeps one entry per work (the same
    formatted entry; the others' link targets are added to it, so that every
    citation in the text still links), sorts them by label (``KB15`` before
    ``XRV17``: by author, as the labels start with the authors' initials) and
    removes the sections that held only citations.
    """
    from docutils import nodes

    citations = list(document.findall(nodes.citation))
    sections = {id(s): s for s in (_ancestor(c, nodes.section) for c in citations) if s}
    empty = [section for section in sections.values()
             if not "".join(t.astext() for t in section.findall(nodes.Text)
                            if _ancestor(t, (nodes.citation, nodes.title)) is None).strip()
             and next(section.findall(nodes.image), None) is None]
    works = {}  # A work is its formatted entry; its label may differ between lists.
    for citation in citations:
        citation.parent.remove(citation)
        entry = " ".join(child.astext() for child in citation.children[1:])
        works.setdefault(" ".join(entry.split()), []).append(citation)
    for section in empty:
        section.parent.remove(section)
    kept = []
    for same in works.values():
        # The longest label: HZRS16a where a list holds two works of He et al. (2016).
        first = max(same, key=lambda c: len(c[0].astext()))
        paragraphs = list(first.findall(nodes.paragraph))
        holder = paragraphs[0] if paragraphs else first
        for other in same:
            if other is not first:
                target = f"cite.{other['docname']}:{other['ids'][0]}"
                holder += nodes.raw("", rf"\hypertarget{{{target}}}{{}}", format="latex")
        kept.append(first)
    for citation in sorted(kept, key=lambda c: c[0].astext().casefold()):
        document += citation


def exercise_labels(document, registry) -> None:
    """LaTeX labels under which ``{ref}`` finds the exercises.

    A ``{ref}`` to an exercise (the instructors' page) becomes
    ``\\hyperref[<docname>:<label>]``, but sphinx-exercise labels it
    ``exercise:<label>`` in LaTeX only; this adds the label that the link asks for.
    """
    from docutils import nodes
    from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node

    for node in list(document.findall(lambda n: isinstance(
            n, (exercise_node, exercise_enumerable_node)))):
        label = node.get("label")
        docname = registry.get(label, {}).get("docname")
        if label and docname:
            raw = nodes.raw("", rf"\phantomsection\label{{\detokenize{{{docname}:{label}}}}}",
                            format="latex")
            node.parent.insert(node.parent.index(node), raw)


def _latex_links_transform():
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class LatexLinks(SphinxPostTransform):
        """One bibliography, and the exercises' labels, for the PDF."""

        default_priority = 745  # just before Sphinx's BibliographyTransform (750)
        formats = ("latex",)

        def run(self, **kwargs) -> None:
            one_bibliography(self.document)
            exercise_labels(self.document,
                            getattr(self.env, "sphinx_exercise_registry", {}))

    return LatexLinks


def setup(app):
    app.add_post_transform(_latex_links_transform())
    app.connect("doctree-resolved", _exercise_titles_in_language)
    app.connect("doctree-resolved", _html_outputs_for_latex)
    app.connect("doctree-resolved", _unicode_fallbacks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    sys.exit(main())
