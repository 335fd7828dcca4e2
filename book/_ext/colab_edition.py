"""The Colab and Jupyter edition of the book: each chapter as a plain notebook.

The chapters are MyST notebooks: their prose has roles (``{glue:text}``,
``{cite:p}``, ``{doc}``) and directives (admonitions, exercises, gated
solutions, the bibliography) that only the website renders. A reader who opens
a chapter in Colab or JupyterLab would see that markup. This module converts a
chapter into a notebook that reads cleanly there:

* the Markdown is tokenized by myst-parser's own markdown-it parser (the one
  the site uses, with the extensions of ``_config.yml``), and every role and
  directive it finds is replaced: admonitions become block-quote callouts,
  exercises headings (with an empty cell for the answer), solutions a folded
  ``<details>`` block followed by their code cells (folded too, still
  executable), citations author-year text with the chapter's reference list
  (pybtex, ``book/references.bib``) at the end, ``{doc}`` links to the
  website's pages;
* a glued number is written as its name with an arrow, ``mlp_params``↑: outside
  a book build ``report.glue`` prints ``mlp_params = 235,146`` in the output of
  the cell that computes it (↑ above, ↓ below);
* the setup cell is replaced by one that fetches ``book/lib`` at the commit
  the notebook was made from, installs only what the runtime lacks (at the
  pins of ``requirements.txt``) and stops with one message in the reader's
  language if anything fails;
* a cell near the top times a few training steps of the chapter's models and
  says how long the full run takes on the reader's machine
  (``hardware.estimate_training_seconds``), and how to switch to a GPU.

As a Sphinx extension it writes the edition at ``build-finished`` under
``_build/html/colab/book/<lang>/<name>.ipynb`` (the page's download button
points there) and points each page's Colab button at the same file on the
repository's ``colab`` branch, which ``.github/workflows/pages.yml`` publishes.
``tests/test_colab.py`` converts every chapter with :func:`convert_book`.
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib.metadata
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

LANGS = ("es", "en")
ROOT = Path(__file__).resolve().parents[2]
#: The branch that holds the edition, at ``book/<lang>/<name>.ipynb``.
BRANCH = "colab"
#: Where the site writes the edition, under its output folder.
SITE_FOLDER = "colab"
MYST_EXTENSIONS = ("colon_fence", "dollarmath", "amsmath", "substitution", "deflist")

WORDS = {
    "en": {
        "exercise": "Exercise", "solution": "Solution to exercise {n}",
        "show": "click to show", "answer": "# Your answer:",
        "solution_code": "Solution to exercise {n} (code)",
        "references": "References", "and": "and",
        "note": "Note", "tip": "Tip", "hint": "Hint", "important": "Important",
        "warning": "Warning", "caution": "Caution", "attention": "Attention",
        "danger": "Danger", "error": "Error", "seealso": "See also",
        "edition": (
            "**The Colab and Jupyter edition of this chapter.** It is made from the "
            "chapter [{title}]({page}) of *Convolutional Networks Step by Step*, "
            "at commit `{short}`. Run the cells in order from the top (in Colab: "
            "*Runtime → Run all*): the first one fetches the book's library at that "
            "same commit{timing}.\n\n"
            "Where the website writes a number that the notebook computes, this "
            "edition writes its name, like `{example}`↑: once you have run the "
            "cells, the value is under that name (`{example} = …`) in the output of "
            "a cell above (↓: below). Each exercise has an empty cell for your "
            "answer; solutions are folded, open one with *{solution}*.\n\n"
            "For a GPU in Colab: *Runtime → Change runtime type → T4 GPU*, then run "
            "the notebook again from the top."),
        "timing_note": ", and the next one measures how long the chapter's "
                       "training takes on your machine",
        "timing_comment": (
            "# How long this chapter's training takes on this machine: a few timed\n"
            "# training steps of each of its models, multiplied out to the full run\n"
            "# (the epochs of models.RECIPES, the defaults of the parameters cell).\n"),
        "timing_print": ('print(f"On this machine ({hardware.describe(\'en\')}), the full '
                         'run of this chapter trains for about {duration}.")'),
        "gpu_print": ('print("A GPU trains it many times faster. In Colab: Runtime → '
                      'Change runtime type → T4 GPU, then run the notebook again from '
                      'the top.")'),
        "setup_failed": (
            "The setup of this notebook failed: {error}\n"
            "What to do: check that the runtime has internet access (in Colab, "
            "Runtime → Restart session) and run this cell again. If it still fails, "
            "clone {url}, install its requirements.txt and open book/{lang}/{name}.ipynb "
            "inside the clone."),
    },
    "es": {
        "exercise": "Ejercicio", "solution": "Solución del ejercicio {n}",
        "show": "pulsa para mostrarla", "answer": "# Tu respuesta:",
        "solution_code": "Solución del ejercicio {n} (código)",
        "references": "Referencias", "and": "y",
        "note": "Nota", "tip": "Consejo", "hint": "Pista", "important": "Importante",
        "warning": "Advertencia", "caution": "Precaución", "attention": "Atención",
        "danger": "Peligro", "error": "Error", "seealso": "Véase también",
        "edition": (
            "**La edición para Colab y Jupyter de este capítulo.** Está hecha a partir "
            "del capítulo [{title}]({page}) de *Redes convolucionales paso a paso*, en "
            "el commit `{short}`. Ejecuta las celdas en orden desde el principio (en "
            "Colab: *Entorno de ejecución → Ejecutar todas*): la primera descarga la "
            "biblioteca del libro en ese mismo commit{timing}.\n\n"
            "Donde la web escribe un número que calcula el cuaderno, esta edición "
            "escribe su nombre, como `{example}`↑: cuando hayas ejecutado las celdas, "
            "el valor está con ese nombre (`{example} = …`) en la salida de una celda "
            "de arriba (↓: de abajo). Cada ejercicio tiene una celda vacía para tu "
            "respuesta; las soluciones están plegadas, abre una con *{solution}*.\n\n"
            "Para usar una GPU en Colab: *Entorno de ejecución → Cambiar tipo de "
            "entorno de ejecución → GPU T4*, y vuelve a ejecutar el cuaderno desde el "
            "principio."),
        "timing_note": ", y la siguiente mide cuánto tarda en tu máquina el "
                       "entrenamiento del capítulo",
        "timing_comment": (
            "# Cuánto tarda en esta máquina el entrenamiento del capítulo: unos pocos\n"
            "# pasos de entrenamiento cronometrados de cada modelo, multiplicados hasta\n"
            "# la ejecución completa (las épocas de models.RECIPES, las de la celda de\n"
            "# parámetros).\n"),
        "timing_print": ('print(f"En esta máquina ({hardware.describe(\'es\')}), la '
                         'ejecución completa de este capítulo entrena durante unos '
                         '{duration}.")'),
        "gpu_print": ('print("Con una GPU entrena muchas veces más rápido. En Colab: '
                      'Entorno de ejecución → Cambiar tipo de entorno de ejecución → '
                      'GPU T4, y vuelve a ejecutar el cuaderno desde el principio.")'),
        "setup_failed": (
            "La preparación de este cuaderno ha fallado: {error}\n"
            "Qué hacer: comprueba que el entorno tiene acceso a internet (en Colab, "
            "Entorno de ejecución → Reiniciar sesión) y vuelve a ejecutar esta celda. "
            "Si sigue fallando, clona {url}, instala su requirements.txt y abre "
            "book/{lang}/{name}.ipynb dentro del clon."),
    },
}
ADMONITION_ICONS = {"tip": "💡", "hint": "💡", "note": "📝", "important": "❗",
                    "warning": "⚠️", "caution": "⚠️", "attention": "⚠️",
                    "danger": "⛔", "error": "⛔", "seealso": "🔗"}
GLUE_ROLES = {"glue", "glue:", "glue:text", "glue:md"}
GLUE_DIRECTIVES = {"glue", "glue:", "glue:figure", "glue:math", "glue:md"}


# --- Parsing ------------------------------------------------------------------------

_PARSER = None


def parser():
    """myst-parser's markdown-it parser, with the extensions the site enables."""
    global _PARSER
    if _PARSER is None:
        from markdown_it.renderer import RendererHTML
        from myst_parser.config.main import MdParserConfig
        from myst_parser.parsers.mdit import create_md_parser

        _PARSER = create_md_parser(
            MdParserConfig(enable_extensions=set(MYST_EXTENSIONS)), RendererHTML)
    return _PARSER


def myst_left(text: str) -> list[str]:
    """The MyST roles and directives that ``text`` still has, as the site would read them.

    Returns:
        For example ``["role {glue:text}", "directive {exercise}"]``; empty when
        ``text`` is plain Markdown (CommonMark, HTML and dollar math).
    """
    left = []
    for token in parser().parse(text):
        if token.type in ("fence", "colon_fence") and token.info.strip().startswith("{"):
            left.append(f"directive {token.info.split()[0]}")
        elif token.type in ("myst_target", "myst_line_comment", "myst_block_break",
                            "math_block_label", "substitution_block"):
            left.append(f"{token.type} {token.content.strip()[:40]!r}")
        elif token.type == "html_block" and re.search(r"\{[a-z][\w:-]*\}`", token.content):
            left.append(f"role inside HTML: {token.content.strip()[:60]!r}")
        for child in token.children or []:
            if child.type == "myst_role":
                left.append(f"role {{{child.meta['name']}}}")
            elif child.type == "substitution_inline":
                left.append(f"substitution {{{{ {child.content} }}}}")
    return left


def _directive_parts(token) -> tuple[str, str, dict, str]:
    """A directive's name, argument, options and body, from its fence token."""
    name, _, argument = token.info.strip()[1:].partition("}")
    lines = token.content.splitlines()
    options = {}
    if lines and lines[0].strip() == "---":
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"),
                   len(lines))
        import yaml

        options = yaml.safe_load("\n".join(lines[1:end])) or {}
        lines = lines[end + 1:]
    else:
        while lines and re.match(r"^:[\w-]+:", lines[0]):
            key, _, value = lines.pop(0)[1:].partition(":")
            options[key] = value.strip()
    while lines and not lines[0].strip():
        lines.pop(0)
    return name, argument.strip(), options, "\n".join(lines)


def _role_target(content: str) -> tuple[str | None, str]:
    """``"Text <target>"`` -> ``("Text", "target")``; ``"target"`` -> ``(None, "target")``."""
    match = re.fullmatch(r"(.*?)\s*<([^<>]+)>", content.strip(), flags=re.S)
    if match and match.group(1):
        return match.group(1), match.group(2)
    return None, content.strip()


# --- Bibliography ---------------------------------------------------------------------

_BIBLIOGRAPHY = {}


def bibliography(path: Path = ROOT / "book" / "references.bib"):
    """The book's BibTeX entries, read with pybtex (once per file)."""
    if path not in _BIBLIOGRAPHY:
        from pybtex.database import parse_file

        _BIBLIOGRAPHY[path] = parse_file(str(path))
    return _BIBLIOGRAPHY[path]


def _plain(text: str) -> str:
    from pybtex.richtext import Text

    return str(Text.from_latex(text)) if "{" in text or "\\" in text else text


def _last_names(entry) -> list[str]:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    return [_plain(" ".join(person.prelast_names + person.last_names)) for person in people]


def _authors(entry, lang: str) -> str:
    names = _last_names(entry)
    if len(names) >= 3:
        return f"{names[0]} et al."
    return f" {WORDS[lang]['and']} ".join(names) or _plain(entry.fields.get("title", "?"))


def _reference_list(keys: list[str], lang: str, bib) -> str:
    """The entries of ``keys`` as a Markdown list, sorted like the site's (author, year)."""
    import pybtex.plugin

    style_name = "plain"
    if lang != "en":
        sys.path.insert(0, str(Path(__file__).parent))
        try:
            from bilingual import _language_style  # The site's Spanish words.
        finally:
            sys.path.pop(0)
        style_name = _language_style("plain", lang)
    style = pybtex.plugin.find_plugin("pybtex.style.formatting", style_name)()
    backend = pybtex.plugin.find_plugin("pybtex.backends", "markdown")()
    entries = sorted((bib.entries[k] for k in keys),
                     key=lambda e: (_last_names(e), e.fields.get("year", "")))
    lines = []
    for formatted in style.format_entries(entries):
        entry = bib.entries[formatted.key]
        label = f"{_authors(entry, lang)}, {entry.fields.get('year', '')}"
        lines.append(f"- **{label}.** {formatted.text.render(backend)}")
    return "\n".join(lines)


# --- Conversion of the prose ------------------------------------------------------------

@dataclass
class Chapter:
    """What converting one chapter needs to know beyond its cells."""

    lang: str
    docname: str  # "book/en/deep_networks"
    site_url: str  # "https://org.github.io/repo/", ending in "/"
    titles: dict  # docname -> title, for {doc}
    bib: object = None
    keyprefixes: list = field(default_factory=list)
    glue_cells: dict = field(default_factory=dict)  # key -> indices of code cells
    cited: list = field(default_factory=list)  # bibliography keys, in order of citation
    exercises: dict = field(default_factory=dict)  # label -> number
    labels: dict = field(default_factory=dict)  # label -> (url, text), from Sphinx
    cell: int = 0  # the index of the cell being converted
    below: set = field(default_factory=set)  # glue keys computed below this prose

    def page_url(self, docname: str) -> str:
        return f"{self.site_url}{docname}.html"

    def words(self, key: str) -> str:
        return WORDS[self.lang][key]


def _glue(key: str, chapter: Chapter) -> str:
    key = key.split(":", 1)[0].strip()
    cells = chapter.glue_cells.get(key, [])
    below = key in chapter.below or (cells and min(cells) > chapter.cell)
    return f"`{key}`{'↓' if below else '↑'}"


def _bib_key(key: str, chapter: Chapter) -> str:
    entries = chapter.bib.entries
    if key in entries:
        return key
    for prefix in chapter.keyprefixes:
        if key.startswith(prefix) and key[len(prefix):] in entries:
            return key[len(prefix):]
    raise KeyError(f"{chapter.docname}: the citation {key!r} is not in references.bib "
                   f"(key prefixes {chapter.keyprefixes}).")


def _cite(name: str, content: str, chapter: Chapter) -> str:
    parts = []
    for raw in content.split(","):
        key = _bib_key(raw.strip(), chapter)
        if key not in chapter.cited:
            chapter.cited.append(key)
        entry = chapter.bib.entries[key]
        authors, year = _authors(entry, chapter.lang), entry.fields.get("year", "")
        if name in ("cite:t", "cite:ts"):
            parts.append(f"{authors} ({year})")
        elif name == "cite:author":
            parts.append(authors)
        elif name in ("cite:year", "cite:yearpar"):
            parts.append(year)
        else:
            parts.append(f"{authors}, {year}")
    joined = "; ".join(parts)
    return joined if name in ("cite:t", "cite:ts", "cite:author", "cite:year") else f"({joined})"


def _doc(content: str, chapter: Chapter) -> str:
    text, target = _role_target(content)
    target = target.removesuffix(".ipynb").removesuffix(".md")
    if target.startswith("/"):
        docname = target.lstrip("/")
    else:
        docname = os.path.normpath(os.path.join(os.path.dirname(chapter.docname), target))
    docname = docname.replace(os.sep, "/")
    title = text or chapter.titles.get(docname, docname.rsplit("/", 1)[-1])
    return f"[{title}]({chapter.page_url(docname)})"


def _role(name: str, content: str, chapter: Chapter) -> str:
    """Plain Markdown for one role."""
    if name in GLUE_ROLES:
        return _glue(content, chapter)
    if name == "cite" or name.startswith("cite:"):
        return _cite(name, content, chapter)
    if name == "doc":
        return _doc(content, chapter)
    text, target = _role_target(content)
    if name in ("ref", "numref", "eq"):
        if target in chapter.exercises:
            return text or f"{chapter.words('exercise')} {chapter.exercises[target]}"
        if target in chapter.labels:
            url, label_text = chapter.labels[target]
            return f"[{text or label_text}]({url})"
        return text or target
    if name == "term":
        return f"*{text or target}*"
    if name == "math":
        return f"${content}$"
    if name == "kbd":
        return f"<kbd>{content}</kbd>"
    if name in ("sub", "sup"):
        return f"<{name}>{content}</{name}>"
    return text or target  # abbr, index, download...: the words themselves.


def _replace_roles(text: str, inline, chapter: Chapter) -> str:
    """``text`` with the roles that the tokenizer found in ``inline`` replaced."""
    out, cursor = [], 0
    for child in inline.children or []:
        if child.type == "code_inline":
            raw = f"{child.markup}{child.content}{child.markup}"
            found = text.find(raw, cursor)
            if found >= 0:
                out.append(text[cursor:found + len(raw)])
                cursor = found + len(raw)
        elif child.type == "myst_role":
            name = child.meta["name"]
            for ticks in ("`", "``", "```"):
                raw = f"{{{name}}}{ticks}{child.content}{ticks}"
                found = text.find(raw, cursor)
                if found >= 0:
                    out.append(text[cursor:found] + _role(name, child.content, chapter))
                    cursor = found + len(raw)
                    break
        elif child.type == "substitution_inline":
            match = re.compile(r"\{\{\s*" + re.escape(child.content.strip()) + r"\s*\}\}"
                               ).search(text, cursor)
            if match:
                out.append(text[cursor:match.start()] + f"`{child.content.strip()}`")
                cursor = match.end()
    out.append(text[cursor:])
    return "".join(out)


def _callout(title: str, body: str, icon: str = "") -> str:
    head = f"> {icon + ' ' if icon else ''}**{title}**" if title else ""
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in body.splitlines())
    return f"{head}\n>\n{quoted}" if head else quoted


def _directive(token, chapter: Chapter) -> str:
    """Plain Markdown for one directive (its body converted too)."""
    name, argument, options, body = _directive_parts(token)
    if name == "bibliography":
        return _reference_list(chapter.cited, chapter.lang, chapter.bib)
    if name in GLUE_DIRECTIVES:
        return f"*{_glue(argument, chapter)}*"
    if name in ("toctree", "tableofcontents", "raw", "only", "index", "code-cell"):
        return ""
    inner = convert_markdown(body, chapter)
    if name == "exercise":
        number = len(chapter.exercises) + 1
        chapter.exercises[options.get("label", f"exercise-{number}")] = number
        title = f"{chapter.words('exercise')} {number}" + (f": {argument}" if argument else "")
        return f"### {title}\n\n{inner}"
    if name == "solution":
        return _details(chapter.words("solution").format(
            n=chapter.exercises.get(argument, "")), inner, chapter)
    if name in ("math", "amsmath"):
        return f"$$\n{body}\n$$"
    if name in ("code-block", "code", "sourcecode"):
        return f"```{argument}\n{body}\n```"
    if name in ("figure", "image"):
        alt = options.get("alt", "")
        return f"![{alt}]({argument})" + (f"\n\n*{inner}*" if inner else "")
    if "dropdown" in str(options.get("class", "")):
        return _details(argument or name, inner, chapter)
    title = argument or WORDS[chapter.lang].get(name, name.capitalize())
    if name == "admonition" and not argument:
        title = ""
    icon = ADMONITION_ICONS.get(name) or next(
        (ADMONITION_ICONS[c] for c in str(options.get("class", "")).split()
         if c in ADMONITION_ICONS), "")
    return _callout(title, inner, icon)


def _details(summary: str, body: str, chapter: Chapter) -> str:
    return (f"<details>\n<summary><b>{summary}</b> ({chapter.words('show')})</summary>"
            f"\n\n{body}\n\n</details>")


def convert_markdown(text: str, chapter: Chapter) -> str:
    """MyST Markdown -> plain Markdown that Jupyter and Colab render."""
    lines = text.split("\n")
    tokens = parser().parse(text)
    edits = []  # (start, end, replacement lines or None for roles), top-level blocks first
    for token in tokens:
        if token.map is None:
            continue
        start, end = token.map
        if token.type in ("fence", "colon_fence") and token.info.strip().startswith("{"):
            edits.append((start, end, token))
        elif token.type in ("myst_target", "myst_line_comment", "myst_block_break"):
            edits.append((start, end, ""))
        elif token.type == "math_block_label":
            edits.append((start, end, f"$$\n{token.content.strip()}\n$$"))
        elif token.type == "inline" and any(
                c.type in ("myst_role", "substitution_inline") for c in token.children or []):
            edits.append((start, end, token))
    # Converted in reading order (exercise numbers; citations before the
    # bibliography), then applied from the bottom up so that line numbers hold.
    done = []
    for start, end, what in edits:
        if what == "" or isinstance(what, str):
            done.append((start, end, what))
        elif what.type == "inline":
            done.append((start, end, _replace_roles("\n".join(lines[start:end]), what, chapter)))
        else:
            indent = re.match(r"\s*", lines[start]).group(0)
            new = _directive(what, chapter)
            done.append((start, end, "\n".join(indent + line if line else line
                                               for line in new.split("\n"))))
    for start, end, what in sorted(done, key=lambda e: e[0], reverse=True):
        lines[start:end] = what.split("\n") if what else []
    return "\n".join(lines).strip("\n")


# --- Conversion of a notebook ----------------------------------------------------------

def _source(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _directive_names(text: str) -> list[str]:
    return [t.info.strip()[1:].partition("}")[0] for t in parser().parse(text)
            if t.type in ("fence", "colon_fence") and t.info.strip().startswith("{")]


def title_of(path: Path) -> str:
    """The first level-1 heading of a chapter (notebook or Markdown)."""
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        text = "\n\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    tokens = parser().parse(text)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            return tokens[i + 1].content
    return path.stem


def recipe_names(root: Path = ROOT) -> list[str]:
    """The keys of ``models.RECIPES``, read from the source (without importing Keras)."""
    tree = ast.parse((root / "book" / "lib" / "models.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        target = getattr(node, "target", None) or (getattr(node, "targets", [None]) or [None])[0]
        if isinstance(target, ast.Name) and target.id == "RECIPES" and isinstance(
                node.value, ast.Dict):
            return [k.value for k in node.value.keys if isinstance(k, ast.Constant)]
    return []


def trained_models(nb, root: Path = ROOT) -> list[str]:
    """The models of ``models.RECIPES`` whose names the chapter's code uses."""
    code = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "code")
    return [name for name in recipe_names(root)
            if re.search(rf"[\"']{name}[\"']|models\.{name}\(", code)]


@functools.lru_cache(maxsize=1)
def _module_owners() -> dict[str, list[str]]:
    """``importlib.metadata.packages_distributions()``, read once per process: it
    walks every installed distribution's file list (about 0.7 s), and a book
    build converts every chapter."""
    return importlib.metadata.packages_distributions()


def _top_level_imports(text: str) -> set[str]:
    """The top-level packages that ``text`` imports at module level."""
    try:
        body = ast.parse(text).body
    except SyntaxError:
        return set()
    modules = set()
    for node in body:
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


@functools.lru_cache(maxsize=8)
def _imported_modules(files: tuple[tuple[str, int], ...]) -> frozenset[str]:
    """The imports of the files ``((path, mtime), ...)``: the lib, parsed once per
    version of its files rather than once per chapter."""
    modules = set()
    for path, _ in files:
        modules |= _top_level_imports(Path(path).read_text(encoding="utf-8"))
    return frozenset(modules)


def runtime_pins(nb=None, root: Path = ROOT) -> dict[str, str]:
    """``{distribution: version}`` of requirements.txt that the chapter's code needs.

    The top-level imports of ``book/lib`` and of the chapter's code cells,
    mapped to their distributions; what is imported only inside a function
    (``myst_nb``, for a book build) is not needed in Colab.
    """
    from packaging.requirements import Requirement

    lib = sorted((root / "book" / "lib").glob("*.py"))
    modules = set(_imported_modules(tuple((str(p), p.stat().st_mtime_ns) for p in lib)))
    if nb is not None:
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                modules |= _top_level_imports(_source(cell))
    owners = _module_owners()
    wanted = {dist.lower() for module in modules for dist in owners.get(module, [])}
    if "keras" in wanted:
        wanted.add("tensorflow")  # Keras' backend, imported by Keras itself.
    pins = {}
    for line in (root / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        if requirement.name.lower() in wanted:
            pins[requirement.name] = str(requirement.specifier)
    return pins


SETUP_TEMPLATE = '''\
# Setup of the Colab and Jupyter edition, written by the book's build
# (book/_ext/colab_edition.py): fetch the book's library at the commit this
# notebook was made from, and install only what this Python lacks, at the
# book's pinned versions (Colab already has TensorFlow and Keras).
import importlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_URL = {repo_url!r}
COMMIT = {commit!r}
PINS = {pins!r}
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # Quiet TensorFlow's start-up log.


class SetupFailed(Exception):
    """Shown as its message only, without a traceback."""

    def _render_traceback_(self):
        return [str(self)]


def run(*command):
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"{{' '.join(command[:3])}}...: {{error.stderr.strip()[-300:]}}") from None


def book_folder() -> Path:
    """A copy of the repository at COMMIT (or a local checkout) that holds book/lib."""
    if os.environ.get("BOOK_REPO_DIR"):  # A local checkout, as the book's tests use.
        return Path(os.environ["BOOK_REPO_DIR"]).resolve()
    base = Path("/content") if "google.colab" in sys.modules else Path.home() / ".cache"
    clone = base / f"convnets-book-{{COMMIT[:12]}}"
    if not (clone / "book" / "lib" / "__init__.py").is_file():
        url = os.environ.get("BOOK_REPO_URL", REPO_URL)
        partial = clone.with_name(clone.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        run("git", "init", "--quiet", str(partial))
        try:  # Just that commit (GitHub serves any commit by its hash).
            run("git", "-C", str(partial), "fetch", "--quiet", "--depth=1", url, COMMIT)
            run("git", "-C", str(partial), "checkout", "--quiet", "--detach", "FETCH_HEAD")
        except RuntimeError:  # A server that only serves branches: all of them.
            run("git", "-C", str(partial), "fetch", "--quiet", url, "+refs/heads/*:refs/remotes/origin/*")
            run("git", "-C", str(partial), "checkout", "--quiet", "--detach", COMMIT)
        partial.rename(clone)
    return clone


def install_missing():
    """pip-installs, at the book's versions, the packages that are not installed at all."""
    missing = []
    for name, version in PINS.items():
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name + version)
    if missing:
        print("pip install", *missing)
        run(sys.executable, "-m", "pip", "install", "--quiet", *missing)
        importlib.invalidate_caches()


def start_tensorflow_quietly():
    """Starts TensorFlow with its C++ start-up log (written to stderr) silenced."""
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        import tensorflow as tf

        tf.config.list_logical_devices()  # Creates the devices, which logs too.
    finally:
        os.dup2(saved, 2)
        os.close(null)
        os.close(saved)


try:
    REPO_ROOT = book_folder()
    install_missing()
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    start_tensorflow_quietly()
    import book.lib  # noqa: E402  (points Keras at a local copy of the data, if any)
except Exception as error:
    raise SetupFailed({message!r}.format(error=error)) from None
'''


def setup_cell_source(commit: str, lang: str, name: str, repo_url: str,
                      pins: dict[str, str]) -> str:
    """The first code cell of the edition (see :data:`SETUP_TEMPLATE`)."""
    message = WORDS[lang]["setup_failed"].replace("{url}", repo_url).replace(
        "{lang}", lang).replace("{name}", name)
    return SETUP_TEMPLATE.format(repo_url=repo_url, commit=commit, pins=pins,
                                 message=message)


def timing_cell_source(names: list[str], lang: str) -> str:
    words = WORDS[lang]
    return (words["timing_comment"]
            + "from book.lib import hardware, models\n\n"
            + f"chapter_models = {tuple(names)!r}\n"
            + "seconds = sum(hardware.estimate_training_seconds(\n"
            + "    getattr(models, name)(), **models.RECIPES[name]) for name in chapter_models)\n"
            + 'duration = f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"\n'
            + words["timing_print"] + "\n"
            + "if not hardware.gpu_names():\n    " + words["gpu_print"] + "\n")


def _code_cell(source: str, **metadata):
    return nbformat.v4.new_code_cell(source, metadata=metadata)


def _fold(cell) -> None:
    """Folds a code cell's input: JupyterLab (source_hidden) and Colab (form view)."""
    cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
    cell.metadata["cellView"] = "form"


def _glue_keys(code: str) -> list[str]:
    return re.findall(r"glue\(\s*[\"']([^\"']+)[\"']", code)


def convert_notebook(nb, chapter: Chapter, commit: str, repo_url: str,
                     root: Path = ROOT):
    """The Colab/Jupyter edition of one chapter (a new nbformat 4 notebook)."""
    nb = nbformat.from_dict(copy.deepcopy(dict(nb)))
    cells = nb.cells
    chapter.bib = chapter.bib or bibliography(root / "book" / "references.bib")
    for i, cell in enumerate(cells):
        text = _source(cell)
        if cell.cell_type == "code":
            for key in _glue_keys(text):
                chapter.glue_cells.setdefault(key, []).append(i)
        elif "{bibliography}" in text:
            for token in parser().parse(text):
                if token.type in ("fence", "colon_fence") and token.info.startswith(
                        "{bibliography}"):
                    prefix = _directive_parts(token)[2].get("keyprefix")
                    if prefix:
                        chapter.keyprefixes.append(prefix)
    name = chapter.docname.rsplit("/", 1)[-1]
    out, solution = [], None
    setup_done = False
    for i, cell in enumerate(cells):
        chapter.cell = i
        text = _source(cell)
        if cell.cell_type == "markdown":
            directives = _directive_names(text)
            if "solution-start" in directives:
                label = re.search(r"\{solution-start\}\s*(\S+)", text)
                solution = {"label": label.group(1) if label else "", "prose": [], "code": []}
                continue
            if "solution-end" in directives:
                if solution is None:
                    raise ValueError(f"{chapter.docname}: solution-end without solution-start")
                out.extend(_solution_cells(solution, cells, chapter))
                solution = None
                continue
            if solution is not None:
                solution["prose"].append(i)
                solution["code"].append(None)
                continue
            converted = nbformat.v4.new_markdown_cell(convert_markdown(text, chapter),
                                                      metadata=copy.deepcopy(dict(cell.metadata)))
            out.append(converted)
            if "exercise" in directives:
                out.append(_code_cell(WORDS[chapter.lang]["answer"] + "\n"))
        elif cell.cell_type == "code":
            if solution is not None:
                solution["code"].append(i)
                solution["prose"].append(None)
                continue
            tags = cell.metadata.get("tags", [])
            if not setup_done and "remove-cell" in tags:
                setup_done = True
                out.extend(_top_cells(nb, chapter, commit, repo_url, root, name))
                continue
            new = _code_cell(text, **copy.deepcopy(dict(cell.metadata)))
            if "hide-input" in tags or "remove-input" in tags or "remove-cell" in tags:
                _fold(new)
            if "hide-output" in tags or "remove-output" in tags:
                new.metadata.setdefault("jupyter", {})["outputs_hidden"] = True
            out.append(new)
        else:
            out.append(cell)
    if solution is not None:
        raise ValueError(f"{chapter.docname}: a solution-start has no solution-end")
    edition = nbformat.v4.new_notebook(cells=out, metadata=copy.deepcopy(dict(nb.metadata)))
    edition.metadata["language_info"] = {"name": "python"}
    edition.metadata["colab"] = {"provenance": [], "toc_visible": True,
                                 "name": f"{name}.ipynb"}
    edition.metadata["book"] = {"source": f"{chapter.docname}.ipynb", "commit": commit,
                                "lang": chapter.lang}
    return edition


def _top_cells(nb, chapter: Chapter, commit: str, repo_url: str, root: Path, name: str):
    """The edition's note, its setup cell and its timing cell."""
    models_trained = trained_models(nb, root)
    example = next(iter(chapter.glue_cells), "value")
    note = WORDS[chapter.lang]["edition"].format(
        title=chapter.titles.get(chapter.docname, name),
        page=chapter.page_url(chapter.docname), short=commit[:7],
        timing=WORDS[chapter.lang]["timing_note"] if models_trained else "",
        example=example, solution=WORDS[chapter.lang]["solution"].format(n="…"))
    setup = _code_cell(setup_cell_source(commit, chapter.lang, name, repo_url,
                                         runtime_pins(nb, root)), tags=["colab-setup"])
    _fold(setup)  # Folded, as it is hidden on the website; it runs all the same.
    cells = [nbformat.v4.new_markdown_cell(_callout("", note, "")), setup]
    if models_trained:
        cells.append(_code_cell(timing_cell_source(models_trained, chapter.lang),
                                tags=["colab-timing"]))
    return cells


def _solution_cells(solution: dict, cells, chapter: Chapter):
    """A folded solution: its prose and code in ``<details>``, then its code, folded."""
    code_indices = [i for i in solution["code"] if i is not None]
    chapter.below = {k for i in code_indices for k in _glue_keys(_source(cells[i]))}
    parts = []
    for prose, code in zip(solution["prose"], solution["code"]):
        if prose is not None:
            chapter.cell = prose
            parts.append(convert_markdown(_source(cells[prose]), chapter))
        else:
            parts.append(f"```python\n{_source(cells[code]).strip()}\n```")
    chapter.below = set()
    number = chapter.exercises.get(solution["label"], "")
    summary = WORDS[chapter.lang]["solution"].format(n=number)
    out = [nbformat.v4.new_markdown_cell(_details(summary, "\n\n".join(parts), chapter))]
    for i in code_indices:
        code = _code_cell(_source(cells[i]), **copy.deepcopy(dict(cells[i].metadata)))
        code.metadata["colab"] = {"title": WORDS[chapter.lang]["solution_code"].format(n=number)}
        _fold(code)
        code.metadata["jupyter"]["outputs_hidden"] = True  # No answer before it is opened.
        out.append(code)
    return out


# --- The whole book ----------------------------------------------------------------------

def build_commit(root: Path = ROOT, default: str = "main") -> str:
    """The commit the edition is made from: BOOK_COMMIT, GITHUB_SHA or ``git rev-parse HEAD``."""
    for variable in ("BOOK_COMMIT", "GITHUB_SHA"):
        if os.environ.get(variable):
            return os.environ[variable]
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return default


def site_url_of(repo_url: str) -> str:
    """``https://github.com/org/repo`` -> ``https://org.github.io/repo/`` (GitHub Pages)."""
    org, repo = repo_url.rstrip("/").split("/")[-2:]
    return f"https://{org}.github.io/{repo}/"


def chapters(root: Path = ROOT) -> list[Path]:
    return sorted((root / "book").glob("[a-z][a-z]/*.ipynb"))


def convert_book(root: Path = ROOT, out_dir: Path | None = None, commit: str | None = None,
                 repo_url: str | None = None, site_url: str | None = None,
                 labels: dict | None = None, docnames=None,
                 hide_solutions: bool = False) -> dict[str, object]:
    """Converts every chapter; writes ``<out_dir>/book/<lang>/<name>.ipynb`` when asked.

    With ``hide_solutions`` (an instructor's copy) the solutions are left out,
    as they are from the website.

    Returns:
        ``{docname: notebook}`` for every converted chapter.
    """
    import yaml

    if repo_url is None:
        repo_url = yaml.safe_load((root / "_config.yml").read_text())["repository"]["url"]
    commit = commit or build_commit(root)
    site_url = site_url or site_url_of(repo_url)
    paths = [p for p in chapters(root)
             if docnames is None or p.relative_to(root).with_suffix("").as_posix() in docnames]
    titles = {}
    for lang in LANGS:
        for path in sorted((root / "book" / lang).glob("*.*")):
            if path.suffix in (".ipynb", ".md"):
                titles[path.relative_to(root).with_suffix("").as_posix()] = title_of(path)
    editions = {}
    for path in paths:
        docname = path.relative_to(root).with_suffix("").as_posix()
        chapter = Chapter(lang=path.parent.name, docname=docname, site_url=site_url,
                          titles=titles, labels=dict(labels or {}))
        source = nbformat.read(path, as_version=4)
        if hide_solutions:
            from bilingual import strip_solutions  # book/_ext, beside this module.

            strip_solutions(source)
        edition = convert_notebook(source, chapter, commit, repo_url, root)
        editions[docname] = edition
        if out_dir is not None:
            target = Path(out_dir) / f"{docname}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(edition, target)
    if out_dir is not None:
        (Path(out_dir) / "README.md").write_text(
            "# Colab and Jupyter edition · Edición para Colab y Jupyter\n\n"
            f"Generated from {repo_url} at commit {commit} by book/_ext/colab_edition.py; "
            "do not edit. Generado por la construcción del libro; no lo edites.\n",
            encoding="utf-8")
    return editions


# --- Sphinx ----------------------------------------------------------------------------

def colab_href(app, docname: str) -> str:
    colab = app.config.html_theme_options.get("launch_buttons", {}).get(
        "colab_url", "https://colab.research.google.com").rstrip("/")
    org, repo = app.config.html_theme_options["repository_url"].rstrip("/").split("/")[-2:]
    return f"{colab}/github/{org}/{repo}/blob/{app.config.colab_edition_branch}/{docname}.ipynb"


def _is_chapter(app, pagename: str) -> bool:
    parts = pagename.split("/")
    return (len(parts) == 3 and parts[0] == "book" and parts[1] in LANGS
            and (Path(app.srcdir) / f"{pagename}.ipynb").is_file())


def _on_html_page_context(app, pagename, templatename, context, doctree) -> None:
    """Points the page's Colab and .ipynb download buttons at the edition."""
    if not _is_chapter(app, pagename):
        return
    download = context["pathto"](f"{SITE_FOLDER}/{pagename}.ipynb", 1)

    def rewrite(buttons):
        for button in buttons:
            if "buttons" in button:
                rewrite(button["buttons"])
            url = button.get("url", "")
            if url.startswith("https://colab.research.google.com"):
                button["url"] = colab_href(app, pagename)
            elif url.endswith(".ipynb") and "_sources" in url:
                button["url"] = download

    rewrite(context.get("header_buttons", []))


def _label_links(app) -> dict:
    """Sphinx's labels (``(name)=`` targets) as links to the website."""
    site = app.config.colab_edition_site_url or site_url_of(
        app.config.html_theme_options["repository_url"])
    labels = {}
    for name, (docname, anchor, text) in app.env.domaindata.get("std", {}).get(
            "labels", {}).items():
        labels[name] = (f"{site}{docname}.html" + (f"#{anchor}" if anchor else ""), text)
    return labels


def _on_build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.srcdir)
    docnames = {d for d in app.env.found_docs if _is_chapter(app, d)}
    out = Path(app.outdir) / SITE_FOLDER
    editions = convert_book(root, out, repo_url=app.config.html_theme_options["repository_url"],
                            site_url=app.config.colab_edition_site_url or None,
                            labels=_label_links(app), docnames=docnames,
                            hide_solutions=getattr(app, "bilingual_hide_solutions", False))
    for docname, edition in editions.items():
        left = [item for cell in edition.cells if cell.cell_type == "markdown"
                for item in myst_left(cell.source)]
        if left:
            from sphinx.util import logging

            logging.getLogger(__name__).warning(
                f"{docname}: the Colab edition still has MyST markup: {left}")


def setup(app):
    app.add_config_value("colab_edition_branch", BRANCH, "html")
    app.add_config_value("colab_edition_site_url", "", "html")
    # After sphinx-book-theme's buttons (priority 501), before the page is written.
    app.connect("html-page-context", _on_html_page_context, priority=700)
    app.connect("build-finished", _on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
