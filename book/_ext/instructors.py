"""Instructors' material: exercise notebooks, answer keys and the instructor's guide.

Everything here is generated from the chapters' sources by the build, never
edited by hand:

* **Exercise notebooks** (``_build/html/colab/exercises/book/<lang>/<name>.ipynb``):
  a chapter's exercises only, to assign. They are Colab editions
  (``colab_edition.convert_notebook``: the same setup cell that fetches
  ``book/lib`` at the build's commit, the same timing cell, the same plain
  Markdown for roles and directives) of a MyST notebook assembled from the
  chapter: the setup cell, then the chapter's code cells without their prose
  (folded, under one heading: the exercises use the chapter's data, models and
  tables), then the exercises section (statements, the exercises' own code such
  as a design exercise's referee cell, and an empty cell to work in after each
  statement). The solutions are removed first, with ``bilingual.strip_solutions``
  (the site's own hide-solutions rule).
* **Answer keys** (``.../colab/answers/...``): the same notebook with each
  exercise's solution (prose open, code folded and executable). Not written by a
  build with ``hide_solutions``.
* A line at the top of each chapter's exercises section links the exercise
  notebook (Colab and download).
* The ``{instructor-guide}`` directive (``book/<lang>/instructors.md``): per chapter,
  its objectives, prerequisites and estimated time (read from the chapter's
  opening box), its exercises with their kind and estimated time, and how long
  its training took, measured: the runs of the training cache
  (``_build/train_cache/*/timing.json``) whose printed log appears in the
  chapter's executed notebook, and the notebook's execution time recorded by
  the execution cache (jupyter-cache). The ``{book-downloads}`` directive (the
  prefaces) links the PDFs (``book/_ext/pdf_book.py``) and the guide.

An exercise's kind is *design* when its label contains ``design`` (or its
``:class:`` has ``kind-design``), else *compute and check*; its time is the
kind's default (:data:`DEFAULT_MINUTES`) unless its ``:class:`` has
``minutes-<n>``. ``tests/test_instructors.py`` checks every exercise of every
chapter in both notebooks and both languages, that no solution text is left in
the exercise notebooks, and runs some of them in quick mode.
"""

from __future__ import annotations

import copy
import json
import os
import posixpath
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
import colab_edition as ce  # noqa: E402  (book/_ext, beside this module)
from bilingual import APPENDICES, strip_solutions  # noqa: E402

ROOT = ce.ROOT
LANGS = ce.LANGS
#: Under the Colab edition's folder (``_build/html/colab``) and the colab branch.
KINDS_FOLDER = {"exercises": "exercises", "answers": "answers"}
#: Minutes per exercise by kind, unless the exercise's class says ``minutes-<n>``.
DEFAULT_MINUTES = {"compute": 20, "design": 45}
#: The training cache of book/lib/training.py (``training.CACHE_DIR``).
TRAIN_CACHE = ROOT / "_build" / "train_cache"
#: Where the Pages workflow puts the PDFs, under the site (book/_ext/pdf_book.py).
PDF_FOLDER = "pdf"

WORDS = {
    "en": {
        "exercises_title": "Exercises: {title}",
        "answers_title": "Answer key: {title}",
        "exercises_note": (
            "**The exercises of the chapter [{title}]({page})** of *Convolutional "
            "Networks Step by Step* (commit `{short}`), as a notebook to work in, in "
            "Colab or Jupyter. Run the cells in order from the top: the first one "
            "fetches the book's library at that same commit{timing}. The folded "
            "cells under *The chapter's code* run the chapter without its prose, so "
            "that the exercises find its data, models and tables. Each exercise has "
            "an empty cell for your answer; add as many cells as you need.\n\n"
            "Where the chapter writes a number that the code computes, this notebook "
            "writes its name, like `{example}`↑: its value is under that name "
            "(`{example} = …`) in the output of a cell above (↓: below)."),
        "answers_note": (
            "**Answer key of the exercises of the chapter [{title}]({page})** of "
            "*Convolutional Networks Step by Step* (commit `{short}`), for "
            "instructors: the exercise notebook with each exercise's solution. Run "
            "the cells in order from the top: the first one fetches the book's "
            "library at that same commit{timing}; the solutions' code cells are "
            "folded and run with the others.\n\n"
            "Names like `{example}`↑ are numbers that the code computes: the value "
            "is under that name (`{example} = …`) in the output of a cell above "
            "(↓: below)."),
        "chapter_code": (
            "## The chapter's code\n\n"
            "The chapter's code cells, in order and without its prose (folded): the "
            "exercises below use what they compute. Run them before the exercises."),
        "link": "The exercises as a notebook to work in:",
        "colab": "open in Colab",
        "download": "download (.ipynb)",
        "kind": {"compute": "compute and check", "design": "design"},
        "minutes": "{n} min",
        "not_measured": "not measured",
        "quick": " (quick mode)",
        "no_training": "no run through the training cache",
        "runs": "{time} ({n} training runs)",
        "run": "{time} (1 training run)",
        "objectives": "Learning objectives",
        "prerequisites": "Prerequisites",
        "time": "Estimated time",
        "training": "Training on a CPU (measured)",
        "notebook_run": "Whole notebook (measured)",
        "exercise_col": "Exercise", "statement": "Statement", "kind_col": "Kind",
        "minutes_col": "Time", "chapter": "Chapter",
        "exercises_col": "Exercises",
        "notebooks": "Notebooks",
        "exercise_nb": "exercises", "answer_nb": "answer key",
        "total": "{n} exercises, about {time}",
        "measured": (
            "*Training on a CPU* adds up the timings that the training cache kept for "
            "the runs whose log the chapter's executed notebook prints (the first run of "
            "each, in either language); *whole notebook* is the execution time that the "
            "execution cache recorded for the slower of the chapter's two notebooks "
            "(the other one finds the training runs in the cache). This build ran on "
            "{cpu}; runs restored from an earlier build's caches were timed on that "
            "build's machine. On a GPU: not measured (the book is built on CPUs); the "
            "timing cell of each Colab notebook estimates the time on yours."),
        "quick_build": (
            "**This is a quick-mode build** (`BOOK_QUICK=1`): the times below are those "
            "of the short runs, not of the full book."),
    },
    "es": {
        "exercises_title": "Ejercicios: {title}",
        "answers_title": "Solucionario: {title}",
        "exercises_note": (
            "**Los ejercicios del capítulo [{title}]({page})** de *Redes "
            "convolucionales paso a paso* (commit `{short}`), en un cuaderno para "
            "trabajar en Colab o en Jupyter. Ejecuta las celdas en orden desde el "
            "principio: la primera descarga la biblioteca del libro en ese mismo "
            "commit{timing}. Las celdas plegadas de *El código del capítulo* ejecutan "
            "el capítulo sin su texto, para que los ejercicios encuentren sus datos, "
            "modelos y tablas. Cada ejercicio tiene una celda vacía para tu "
            "respuesta; añade las que necesites.\n\n"
            "Donde el capítulo escribe un número que calcula el código, este "
            "cuaderno escribe su nombre, como `{example}`↑: su valor está con ese "
            "nombre (`{example} = …`) en la salida de una celda de arriba (↓: de "
            "abajo)."),
        "answers_note": (
            "**Solucionario de los ejercicios del capítulo [{title}]({page})** de "
            "*Redes convolucionales paso a paso* (commit `{short}`), para docentes: "
            "el cuaderno de ejercicios con la solución de cada uno. Ejecuta las "
            "celdas en orden desde el principio: la primera descarga la biblioteca "
            "del libro en ese mismo commit{timing}; las celdas de código de las "
            "soluciones están plegadas y se ejecutan con las demás.\n\n"
            "Los nombres como `{example}`↑ son números que calcula el código: el "
            "valor está con ese nombre (`{example} = …`) en la salida de una celda "
            "de arriba (↓: de abajo)."),
        "chapter_code": (
            "## El código del capítulo\n\n"
            "Las celdas de código del capítulo, en orden y sin su texto (plegadas): "
            "los ejercicios de abajo usan lo que calculan. Ejecútalas antes de los "
            "ejercicios."),
        "link": "Los ejercicios en un cuaderno para trabajar:",
        "colab": "abrir en Colab",
        "download": "descargar (.ipynb)",
        "kind": {"compute": "calcular y comprobar", "design": "diseño"},
        "minutes": "{n} min",
        "not_measured": "sin medir",
        "quick": " (modo rápido)",
        "no_training": "ningún entrenamiento por la caché de entrenamiento",
        "runs": "{time} ({n} entrenamientos)",
        "run": "{time} (1 entrenamiento)",
        "objectives": "Objetivos de aprendizaje",
        "prerequisites": "Requisitos",
        "time": "Tiempo estimado",
        "training": "Entrenamiento en CPU (medido)",
        "notebook_run": "Cuaderno completo (medido)",
        "exercise_col": "Ejercicio", "statement": "Enunciado", "kind_col": "Tipo",
        "minutes_col": "Tiempo", "chapter": "Capítulo",
        "exercises_col": "Ejercicios",
        "notebooks": "Cuadernos",
        "exercise_nb": "ejercicios", "answer_nb": "solucionario",
        "total": "{n} ejercicios, unos {time}",
        "measured": (
            "*Entrenamiento en CPU* suma los tiempos que la caché de entrenamiento guardó "
            "de los entrenamientos cuyo registro imprime el cuaderno ejecutado del capítulo "
            "(la primera ejecución de cada uno, en cualquiera de los dos idiomas); "
            "*cuaderno completo* es el tiempo de ejecución que registró la caché de "
            "ejecución para el más lento de los dos cuadernos del capítulo (el otro "
            "encuentra los entrenamientos en la caché). Esta construcción se ejecutó en "
            "{cpu}; lo que se recuperó de las cachés de una construcción anterior se "
            "cronometró en la máquina de aquella. En GPU: sin medir (el libro se "
            "construye en CPU); la celda de tiempos de cada cuaderno de Colab estima el "
            "tiempo en la tuya."),
        "quick_build": (
            "**Esta es una construcción en modo rápido** (`BOOK_QUICK=1`): los tiempos de "
            "abajo son los de las ejecuciones cortas, no los del libro completo."),
    },
}


# --- What a chapter says about itself ----------------------------------------------

@dataclass
class Exercise:
    label: str
    number: int
    statement: str  # MyST, as written in the chapter
    kind: str  # "compute" or "design"
    minutes: int


@dataclass
class ChapterInfo:
    docname: str
    title: str
    objectives: list = field(default_factory=list)  # MyST, one per objective
    prerequisites: str = ""
    time: str = ""
    exercises: list = field(default_factory=list)
    solutions: dict = field(default_factory=dict)  # label -> (prose, code) sources


def _fences(text: str):
    for token in ce.parser().parse(text):
        if token.type in ("fence", "colon_fence") and token.info.strip().startswith("{"):
            yield token


def _opening_box(nb) -> str:
    """The body of the first admonition of the chapter (objectives, prerequisites, time)."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for token in _fences(ce._source(cell)):
            if ce._directive_parts(token)[0] == "admonition":
                return ce._directive_parts(token)[3]
    return ""


def _exercise_of(token, number: int) -> Exercise:
    _, _, options, body = ce._directive_parts(token)
    label = str(options.get("label", f"exercise-{number}"))
    classes = str(options.get("class", "")).split()
    kind = "design" if "design" in label or "kind-design" in classes else "compute"
    minutes = next((int(c.removeprefix("minutes-")) for c in classes
                    if re.fullmatch(r"minutes-\d+", c)), DEFAULT_MINUTES[kind])
    return Exercise(label, number, body.strip(), kind, minutes)


def solution_sources(nb) -> dict[str, tuple[list[str], list[str]]]:
    """``{label: (prose, code)}``: the Markdown and code of each gated solution."""
    found, current = {}, None
    for cell in nb.cells:
        text = ce._source(cell)
        if cell.cell_type == "markdown":
            match = re.search(r"\{solution-start\}\s*(\S+)", text)
            if match:
                current = match.group(1)
                found[current] = ([], [])
                continue
            if "{solution-end}" in text and current is not None:
                before = text.split("```{solution-end}")[0].strip()
                if before:
                    found[current][0].append(before)
                current = None
                continue
            for token in _fences(text):
                name, argument, _, body = ce._directive_parts(token)
                if name == "solution":
                    found[argument] = ([body], [])
        if current is not None:
            found[current][0 if cell.cell_type == "markdown" else 1].append(text)
    return found


def chapter_info(path: Path, root: Path = ROOT) -> ChapterInfo:
    """What the chapter ``path`` says about itself: objectives, prerequisites, time, exercises."""
    path, root = Path(path).resolve(), Path(root).resolve()
    nb = nbformat.read(path, as_version=4)
    docname = path.relative_to(root).with_suffix("").as_posix()
    info = ChapterInfo(docname=docname, title=ce.title_of(path))
    box = _opening_box(nb)
    items = re.findall(r"^- (.*(?:\n(?!- |\s*\n|\*\*).*)*)", box, flags=re.M)
    info.objectives = [" ".join(item.split()) for item in items]
    # The labels with a colon, in order: prerequisites, then the estimated time.
    labelled = re.findall(r"\*\*[^*\n]+:\*\*\s*(.*?)(?=\n\s*\*\*|\Z)", box, flags=re.S)
    if labelled:
        info.prerequisites = " ".join(labelled[0].split())
    if len(labelled) > 1:
        info.time = " ".join(labelled[1].split()).rstrip(".")
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for token in _fences(ce._source(cell)):
                if ce._directive_parts(token)[0] == "exercise":
                    info.exercises.append(_exercise_of(token, len(info.exercises) + 1))
    info.solutions = solution_sources(nb)
    return info


# --- The exercise notebooks ----------------------------------------------------------

def _first_exercise(cells) -> int:
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown" and any(
                ce._directive_parts(t)[0] == "exercise" for t in _fences(ce._source(cell))):
            return i
    raise ValueError("the chapter has no {exercise}: nothing to assign")


def _without_bibliography(text: str) -> str:
    """The Markdown up to the heading above its ``{bibliography}`` (when it has one)."""
    lines = text.split("\n")
    tokens = ce.parser().parse(text)
    for i, token in enumerate(tokens):
        if token.type in ("fence", "colon_fence") and token.info.startswith("{bibliography}"):
            cut = token.map[0]
            heading = [t.map[0] for t in tokens[:i] if t.type == "heading_open"]
            if heading:
                cut = heading[-1]
            return "\n".join(lines[:cut]).rstrip()
    return text


def exercise_source(nb, lang: str, answers: bool):
    """The MyST notebook that an exercise notebook (or answer key) is converted from.

    Setup cell; the chapter's code cells before its first exercise, folded
    (``hide-input``) under one heading; then the exercises section, with or
    without the solutions. The reference list stays only when the exercises
    cite something.
    """
    nb = nbformat.from_dict(copy.deepcopy(dict(nb)))
    if not answers:
        strip_solutions(nb)
    cells = nb.cells
    first = _first_exercise(cells)
    setup = next(i for i, c in enumerate(cells)
                 if c.cell_type == "code" and "remove-cell" in c.metadata.get("tags", []))
    out = [cells[setup], nbformat.v4.new_markdown_cell(WORDS[lang]["chapter_code"])]
    for cell in cells[setup + 1:first]:
        if cell.cell_type == "code":
            tags = cell.metadata.setdefault("tags", [])
            if "hide-input" not in tags:
                tags.append("hide-input")
            out.append(cell)
    section = cells[first:]
    cites = any("{cite" in ce._source(c) for c in section if c.cell_type == "markdown")
    for cell in section:
        if cell.cell_type == "markdown" and not cites and "{bibliography}" in cell.source:
            cell.source = _without_bibliography(cell.source)
            if not cell.source.strip():
                continue
        out.append(cell)
    return nbformat.v4.new_notebook(cells=out, metadata=copy.deepcopy(dict(nb.metadata)))


def convert(path: Path, kind: str, commit: str, repo_url: str, site_url: str,
            titles: dict, labels: dict | None = None, root: Path = ROOT):
    """The exercise notebook (``kind="exercises"``) or answer key (``"answers"``) of a chapter."""
    docname = path.relative_to(root).with_suffix("").as_posix()
    lang = path.parent.name
    chapter = ce.Chapter(lang=lang, docname=docname, site_url=site_url, titles=titles,
                         labels=dict(labels or {}))
    source = exercise_source(nbformat.read(path, as_version=4), lang, kind == "answers")
    notebook = ce.convert_notebook(source, chapter, commit, repo_url, root)
    words = WORDS[lang]
    title = titles.get(docname, path.stem)
    heading = words[f"{kind}_title"].format(title=title)
    # The edition's note (the first cell) is replaced by this notebook's own.
    timing = ce.WORDS[lang]["timing_note"] if any(
        "colab-timing" in c.metadata.get("tags", []) for c in notebook.cells) else ""
    example = next(iter(chapter.glue_cells), "value")
    note = words[f"{kind}_note"].format(title=title, page=chapter.page_url(docname),
                                        short=commit[:7], timing=timing, example=example)
    notebook.cells[0] = nbformat.v4.new_markdown_cell(f"# {heading}\n\n" + ce._callout("", note))
    answer = ce.WORDS[lang]["answer"] + "\n"
    cells = notebook.cells
    for i in range(len(cells) - 1, -1, -1):  # An exercise's own code (a referee) first.
        if cells[i].cell_type == "code" and cells[i].source == answer:
            j = i + 1
            while j < len(cells) and cells[j].cell_type == "code" and not cells[j].get(
                    "metadata", {}).get("colab", {}).get("title"):
                j += 1
            cells.insert(j - 1, cells.pop(i))
    if kind == "answers":
        kept = []
        for cell in notebook.cells:
            if cell.cell_type == "code" and cell.source == answer:
                continue  # No empty answer cells in an answer key.
            if cell.cell_type == "markdown" and cell.source.startswith("<details>"):
                cell.source = "<details open>" + cell.source.removeprefix("<details>")
            kept.append(cell)
        notebook.cells = kept
    notebook.metadata["colab"]["name"] = f"{path.stem}-{kind}.ipynb"
    notebook.metadata["book"]["kind"] = kind
    return notebook


def chapter_titles(root: Path = ROOT) -> dict:
    titles = {}
    for lang in LANGS:
        for path in sorted((root / "book" / lang).glob("*.*")):
            if path.suffix in (".ipynb", ".md"):
                titles[path.relative_to(root).with_suffix("").as_posix()] = ce.title_of(path)
    return titles


def convert_book(root: Path = ROOT, out_dir: Path | None = None, commit: str | None = None,
                 repo_url: str | None = None, site_url: str | None = None,
                 labels: dict | None = None, docnames=None,
                 kinds=("exercises", "answers")) -> dict[tuple[str, str], object]:
    """Every chapter's exercise notebook and answer key.

    Writes ``<out_dir>/<kind>/book/<lang>/<name>.ipynb`` when ``out_dir`` is given.

    Returns:
        ``{(kind, docname): notebook}``.
    """
    import yaml

    if repo_url is None:
        repo_url = yaml.safe_load((root / "_config.yml").read_text())["repository"]["url"]
    commit = commit or ce.build_commit(root)
    site_url = site_url or ce.site_url_of(repo_url)
    titles = chapter_titles(root)
    made = {}
    for path in ce.chapters(root):
        docname = path.relative_to(root).with_suffix("").as_posix()
        if docnames is not None and docname not in docnames:
            continue
        if path.stem in APPENDICES:  # An appendix has no exercises to hand out.
            continue
        for kind in kinds:
            notebook = convert(path, kind, commit, repo_url, site_url, titles, labels, root)
            made[(kind, docname)] = notebook
            if out_dir is not None:
                target = Path(out_dir) / KINDS_FOLDER[kind] / f"{docname}.ipynb"
                target.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(notebook, target)
    return made


# --- Measured times -----------------------------------------------------------------

def executed_notebook(cache_path: str | None, path: Path):
    """The executed copy of ``path`` in the execution cache, and its execution seconds."""
    if not cache_path or not Path(cache_path).is_dir():
        return None, None
    from jupyter_cache import get_cache

    store = get_cache(str(cache_path))
    try:
        record = store.match_cache_notebook(nbformat.read(path, as_version=4))
    except KeyError:
        return None, None
    bundle = store.get_cache_bundle(record.pk)
    return bundle.nb, (record.data or {}).get("execution_seconds")


def _outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("text")
            parts.append("".join(text) if isinstance(text, list) else (text or ""))
    return "\n".join(parts)


def training_runs(nb, train_cache: Path = TRAIN_CACHE, quick: bool | None = None) -> list[dict]:
    """The training cache's runs whose printed log is in the executed notebook ``nb``.

    ``training.train`` prints each run's log (the same lines on a cache hit),
    and keeps it beside the run's timing: a run belongs to the chapters whose
    outputs contain its log.
    """
    if nb is None or not Path(train_cache).is_dir():
        return []
    text = _outputs_text(nb)
    runs = []
    for entry in sorted(Path(train_cache).iterdir()):
        log_file, timing_file = entry / "fit_log.txt", entry / "timing.json"
        if not (log_file.is_file() and timing_file.is_file()):
            continue
        log = log_file.read_text(encoding="utf-8", errors="replace").strip()
        if not log:
            continue
        timing = json.loads(timing_file.read_text())
        if quick is not None and bool(timing.get("quick_mode")) != quick:
            continue
        if log in text:
            runs.append(timing)
    return runs


def format_duration(seconds: float, lang: str) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def measured_times(path: Path, cache_path: str | None, lang: str, quick: bool,
                   root: Path = ROOT) -> tuple[str, str]:
    """(training, whole notebook) for the page: measured, or ``not measured``."""
    words = WORDS[lang]
    suffix = words["quick"] if quick else ""
    twin = root / "book" / ("en" if path.parent.name == "es" else "es") / path.name
    executed = [executed_notebook(cache_path, p) for p in (path, twin) if p.is_file()]
    runs = {}
    for nb, _ in executed:
        for run in training_runs(nb, quick=quick):
            runs[run.get("created", "") + str(run.get("seconds"))] = run
    seconds = [s for _, s in executed if s is not None]
    if not executed or all(nb is None for nb, _ in executed):
        return words["not_measured"], words["not_measured"]
    if runs:
        total = sum(float(r["seconds"]) for r in runs.values())
        key = "run" if len(runs) == 1 else "runs"
        training = words[key].format(time=format_duration(total, lang), n=len(runs)) + suffix
    else:
        training = words["no_training"]
    # The first language to run trains; its twin finds the runs in the cache.
    notebook = (format_duration(max(seconds), lang) + suffix) if seconds else words["not_measured"]
    return training, notebook


# --- Sphinx: the guide, the downloads, the links -------------------------------------

def _plain_statement(text: str) -> str:
    """An exercise's first sentence, with roles that only its own page can resolve made plain."""
    text = " ".join(text.split())
    text = re.sub(r"\{glue(?::\w+)?\}`[^`]*`", "…", text)
    text = re.sub(r"\s*\{cite(?::\w+)?\}`[^`]*`", "", text)
    text = re.sub(r"\{(?:ref|numref|eq)\}`([^`<]*?)\s*(?:<[^`]*>)?`",
                  lambda m: m.group(1) or "…", text)
    match = re.match(r"(.+?[.?!:])(\s|$)", text)
    sentence = match.group(1) if match else text
    if len(sentence) > 220:
        sentence = sentence[:200].rsplit(" ", 1)[0] + " …"
    return sentence.replace("|", "\\|")


def _toc_chapters(root: Path, lang: str) -> list[str]:
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]
    return [f for f in files if f.startswith(f"book/{lang}/")
            and (root / f"{f}.ipynb").is_file() and f.rsplit("/", 1)[-1] not in APPENDICES]


def _site_url(config) -> str:
    return config.colab_edition_site_url or ce.site_url_of(
        config.html_theme_options.get("repository_url")
        or config.html_context.get("repository_url", "") or "https://github.com/x/y")


def _repo_url(app) -> str:
    import yaml

    return (app.config.html_theme_options.get("repository_url")
            or yaml.safe_load((Path(app.srcdir) / "_config.yml").read_text())["repository"]["url"])


def colab_url(app, kind: str, docname: str) -> str:
    colab = "https://colab.research.google.com"
    org, repo = _repo_url(app).rstrip("/").split("/")[-2:]
    return (f"{colab}/github/{org}/{repo}/blob/{app.config.colab_edition_branch}/"
            f"{KINDS_FOLDER[kind]}/{docname}.ipynb")


def _notebook_href(app, kind: str, fromdoc: str, docname: str) -> str:
    """The downloadable notebook: relative on the website, absolute elsewhere (PDF)."""
    target = f"{ce.SITE_FOLDER}/{KINDS_FOLDER[kind]}/{docname}.ipynb"
    if app.builder.format == "html":
        return posixpath.relpath(target, posixpath.dirname(fromdoc))
    return _site_url(app.config) + target


def _build_cpu(lang: str) -> str:
    """The CPU of the machine that runs this build, in the words of ``report``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from book.lib import hardware, report  # Neither imports TensorFlow.

    cores = hardware.cpu_count()
    key = "hardware.cpu_one_core" if cores == 1 else "hardware.cpu"
    return report.word(key, lang).format(model=hardware.cpu_model(), cores=cores)


def guide_markdown(app, lang: str, root: Path) -> str:
    """The instructor's guide of ``lang`` as MyST (measured times as placeholders)."""
    from execution import quick_mode

    words = WORDS[lang]
    lines = [words["measured"].format(cpu=_build_cpu(lang)), ""]
    if quick_mode():
        lines += [words["quick_build"], ""]
    infos = [chapter_info(root / f"{d}.ipynb", root) for d in _toc_chapters(root, lang)]
    lines += [f"| {words['chapter']} | {words['time']} | {words['exercises_col']} | "
              f"{words['training']} | {words['notebook_run']} |", "|---|---|---|---|---|"]
    for info in infos:
        name = info.docname.rsplit("/", 1)[-1]
        minutes = sum(e.minutes for e in info.exercises)
        total = words["total"].format(n=len(info.exercises),
                                      time=format_duration(60 * minutes, lang))
        lines.append(f"| {{doc}}`{name}` | {info.time} | {total} | "
                     f"@@training:{info.docname}@@ | @@notebook:{info.docname}@@ |")
    for info in infos:
        name = info.docname.rsplit("/", 1)[-1]
        lines += ["", f"```{{rubric}} {info.title}", "```", ""]
        lines.append(f"**{words['objectives']}.** " + "; ".join(
            o.rstrip(";. ") for o in info.objectives) + ".")
        lines += ["", f"**{words['prerequisites']}:** {info.prerequisites}",
                  f"**{words['time']}:** {info.time}.", ""]
        exercises = f"[{words['exercise_nb']}]({colab_url(app, 'exercises', info.docname)})"
        if not getattr(app, "bilingual_hide_solutions", False):
            exercises += f", [{words['answer_nb']}]({colab_url(app, 'answers', info.docname)})"
        lines += [f"**{words['notebooks']} (Colab):** {exercises}.", ""]
        lines += [f"| {words['exercise_col']} | {words['statement']} | {words['kind_col']} | "
                  f"{words['minutes_col']} |", "|---|---|---|---|"]
        for exercise in info.exercises:
            lines.append(f"| {{ref}}`{exercise.number} <{exercise.label}>` | "
                         f"{_plain_statement(exercise.statement)} | "
                         f"{words['kind'][exercise.kind]} | "
                         f"{words['minutes'].format(n=exercise.minutes)} |")
    return "\n".join(lines) + "\n"


def downloads_markdown(app, lang: str) -> str:
    """The PDFs (with and without solutions), for the prefaces."""
    import pdf_book

    site = _site_url(app.config)
    links = [f"[{text}]({site}{PDF_FOLDER}/{pdf_book.pdf_name(lang, solutions)})"
             for solutions, text in pdf_book.LINK_TEXT[lang]]
    return pdf_book.DOWNLOADS_SENTENCE[lang].format(links=" · ".join(links)) + "\n"


def _directive_classes():
    from docutils import nodes
    from sphinx.util.docutils import SphinxDirective

    class InstructorGuide(SphinxDirective):
        """``{instructor-guide}``: the guide of the page's language (see module docstring)."""

        has_content = False

        def run(self):
            lang = self.env.docname.split("/")[1]
            root = Path(self.env.srcdir)
            for docname in _toc_chapters(root, lang):
                self.env.note_dependency(str(root / f"{docname}.ipynb"))
            container = nodes.container(classes=["instructor-guide"])
            self.state.nested_parse(
                self._lines(guide_markdown(self.env.app, lang, root)), 0, container)
            return [container]

        def _lines(self, text):
            from docutils.statemachine import StringList

            return StringList(text.splitlines(), source=self.env.docname)

    class BookDownloads(SphinxDirective):
        """``{book-downloads}``: links to the PDFs of the page's language."""

        has_content = False

        def run(self):
            from docutils.statemachine import StringList

            lang = self.env.docname.split("/")[1]
            container = nodes.container(classes=["book-downloads"])
            self.state.nested_parse(StringList(
                downloads_markdown(self.env.app, lang).splitlines(),
                source=self.env.docname), 0, container)
            return [container]

    return InstructorGuide, BookDownloads


def _fill_measured_times(app, doctree, docname: str) -> None:
    from docutils import nodes

    from execution import quick_mode

    pattern = re.compile(r"@@(training|notebook):([\w/]+)@@")
    root = Path(app.srcdir)
    lang = docname.split("/")[1] if docname.count("/") >= 2 else "en"
    cache = {}
    for text in list(doctree.findall(nodes.Text)):
        if "@@" not in str(text):
            continue

        def value(match):
            key = match.group(2)
            if key not in cache:
                cache[key] = measured_times(root / f"{key}.ipynb",
                                            app.config.nb_execution_cache_path, lang,
                                            quick_mode(), root)
            return cache[key][0 if match.group(1) == "training" else 1]

        text.parent.replace(text, nodes.Text(pattern.sub(value, str(text))))


def _link_exercise_notebook(app, doctree, docname: str) -> None:
    """A line at the top of the exercises section: the exercise notebook in Colab, or download."""
    from docutils import nodes

    try:
        from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node
    except ImportError:
        return
    found = next(iter([*doctree.findall(exercise_enumerable_node),
                       *doctree.findall(exercise_node)]), None)
    if found is None:
        return
    section = found.parent
    while section is not None and not isinstance(section, nodes.section):
        section = section.parent
    if section is None or not (Path(app.srcdir) / f"{docname}.ipynb").is_file():
        return
    words = WORDS[docname.split("/")[1]]
    paragraph = nodes.paragraph(classes=["exercise-notebook-links"])
    paragraph += nodes.Text(words["link"] + " ")
    paragraph += nodes.reference("", words["colab"],
                                 refuri=colab_url(app, "exercises", docname))
    paragraph += nodes.Text(" · ")
    paragraph += nodes.reference("", words["download"],
                                 refuri=_notebook_href(app, "exercises", docname, docname))
    position = 1 if section.children and isinstance(section[0], nodes.title) else 0
    section.insert(position, paragraph)


def _on_doctree_resolved(app, doctree, docname: str) -> None:
    parts = docname.split("/")
    if len(parts) != 3 or parts[0] != "book" or parts[1] not in LANGS:
        return
    _fill_measured_times(app, doctree, docname)
    _link_exercise_notebook(app, doctree, docname)


def _on_build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.srcdir)
    docnames = {d for d in app.env.found_docs if ce._is_chapter(app, d)}
    kinds = ("exercises",) if getattr(app, "bilingual_hide_solutions", False) else (
        "exercises", "answers")
    convert_book(root, Path(app.outdir) / ce.SITE_FOLDER, repo_url=_repo_url(app),
                 site_url=app.config.colab_edition_site_url or None,
                 labels=ce._label_links(app), docnames=docnames, kinds=kinds)


def setup(app):
    guide, downloads = _directive_classes()
    app.add_directive("instructor-guide", guide)
    app.add_directive("book-downloads", downloads)
    # After bilingual's handler (which removes solutions and sets the labels).
    app.connect("doctree-resolved", _on_doctree_resolved, priority=600)
    app.connect("build-finished", _on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
