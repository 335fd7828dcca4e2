"""Exercise notebooks, answer keys and the instructor's guide (book/_ext/instructors.py).

Converting every chapter takes a few seconds. Every generated notebook must be a
valid notebook holding every exercise of its chapter; the exercise notebooks
must hold no solution text, the answer keys every solution.

Execution: each generated notebook runs the chapter's code, so running one
costs about as much as the chapter's quick-mode run (up to ~45 s). The default
run (CI) executes two, of the cheapest chapter (:data:`CI_RUNS`): the English
exercise notebook and the Spanish answer key; all of them (40 notebooks, about
half an hour on two cores) run with ``BOOK_ALL_EXERCISES=1``.
"""

import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import colab_edition as ce  # noqa: E402
import instructors as ins  # noqa: E402
import pdf_book  # noqa: E402

#: The chapters: the appendices (glossary, errata, references) have no exercises.
NOTEBOOKS = [path for path in ce.chapters(ROOT) if path.stem not in ins.APPENDICES]
COMMIT = "0123456789abcdef0123456789abcdef01234567"
#: Executed in every run: the cheapest chapter's notebooks, one chapter per language.
CI_CHAPTERS = ("book/en/deep_networks", "book/es/deep_networks")
#: Both kinds and both languages in two runs: an answer key runs every code cell of
#: its exercise notebook (which adds only empty cells) and the solutions' code.
CI_RUNS = {("exercises", "book/en/deep_networks"), ("answers", "book/es/deep_networks")}
ALL = os.environ.get("BOOK_ALL_EXERCISES", "").strip().lower() in {"1", "true", "yes"}


def ids(path):
    return path.relative_to(ROOT).with_suffix("").as_posix()


@pytest.fixture(scope="module")
def made():
    return ins.convert_book(ROOT, commit=COMMIT)


def markdown(nb):
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def code(nb):
    return [c.source for c in nb.cells if c.cell_type == "code"]


def plain_lines(text, chapter):
    """The lines of ``text`` as the notebooks write them (roles converted), long ones only."""
    converted = ce.convert_markdown(text, chapter)
    return [line.strip() for line in converted.splitlines()
            if len(line.strip()) > 30 and "{solution" not in line]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_every_exercise_is_in_both_notebooks_and_no_solution_in_the_exercises(made, path):
    docname = ids(path)
    lang = path.parent.name
    info = ins.chapter_info(path, ROOT)
    assert info.exercises, f"{docname} has no exercises"
    exercises, answers = made[("exercises", docname)], made[("answers", docname)]
    for nb in (exercises, answers):
        nbformat.validate(nb)
        left = [f for c in nb.cells if c.cell_type == "markdown" for f in ce.myst_left(c.source)]
        assert not left, f"MyST markup left in {docname}: {left}"
        headings = re.findall(rf"^### {ce.WORDS[lang]['exercise']} (\d+)", markdown(nb), re.M)
        assert headings == [str(e.number) for e in info.exercises]
    source = nbformat.read(path, as_version=4)
    chapter = ce.Chapter(lang=lang, docname=docname, site_url="https://s/", titles={},
                         bib=ce.bibliography(),
                         keyprefixes=re.findall(r":keyprefix: (\S+)", markdown(source)))
    for exercise in info.exercises:
        for line in plain_lines(exercise.statement, chapter):
            line = re.sub(r"`(\w+)`[↑↓]", r"`\1`", line)
            for nb in (exercises, answers):
                assert line in re.sub(r"`(\w+)`[↑↓]", r"`\1`", markdown(nb)), (
                    f"{docname}: statement of exercise {exercise.number} missing")
    # One empty cell to work in per exercise, none in the answer key.
    answer_cell = ce.WORDS[lang]["answer"] + "\n"
    assert code(exercises).count(answer_cell) == len(info.exercises)
    assert answer_cell not in code(answers)
    assert info.solutions, f"{docname}: no solutions found, so the check below checks nothing"
    for label, (prose, solution_code) in info.solutions.items():
        for cell in solution_code:
            assert cell not in code(exercises), f"{docname}: solution code of {label} left"
            assert cell in code(answers), f"{docname}: solution code of {label} missing"
        for text in prose:
            for line in plain_lines(text, chapter):
                line = re.sub(r"`(\w+)`[↑↓]", "", line)
                assert line not in re.sub(r"`(\w+)`[↑↓]", "", markdown(exercises)), (
                    f"{docname}: solution text of {label} left: {line!r}")
    assert "<details" not in markdown(exercises)
    assert markdown(answers).count("<details open>") == len(info.solutions)


def test_the_solution_detector_sees_solutions():
    # The check above can fail: the chapter's own source holds solution text.
    path = ROOT / "book" / "en" / "resnet.ipynb"
    source = nbformat.read(path, as_version=4)
    found = ins.solution_sources(source)
    assert found and all(code or prose for prose, code in found.values())
    assert any(c in [x.source for x in source.cells] for _, cs in found.values() for c in cs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_the_chapter_states_what_the_guide_shows(path):
    info = ins.chapter_info(path, ROOT)
    assert info.objectives, f"{ids(path)}: no objectives found in the opening box"
    assert info.prerequisites and re.search(r"\d+ (h|min)", info.time), (
        f"{ids(path)}: prerequisites or estimated time not found in the opening box")
    assert all(e.kind in ins.DEFAULT_MINUTES and e.minutes > 0 for e in info.exercises)


def test_exercise_kind_and_time_come_from_label_and_class():
    text = "```{exercise}\n:label: x-ex-design\n\nDesign it.\n```\n\n" \
           "```{exercise}\n:label: x-ex-count\n:class: minutes-5\n\nCount it.\n```\n"
    tokens = list(ins._fences(text))
    design, count = (ins._exercise_of(t, i + 1) for i, t in enumerate(tokens))
    assert (design.kind, design.minutes) == ("design", ins.DEFAULT_MINUTES["design"])
    assert (count.kind, count.minutes) == ("compute", 5)


def test_training_runs_are_found_by_their_log(tmp_path):
    for name, log, seconds, quick in (("a", "1/1 - 3s - loss: 0.5\n", 12.5, False),
                                      ("b", "1/1 - 1s - loss: 0.9\n", 2.0, True),
                                      ("c", "1/1 - 9s - loss: 0.1\n", 99.0, False)):
        entry = tmp_path / name
        entry.mkdir()
        (entry / "fit_log.txt").write_text(log)
        (entry / "timing.json").write_text(
            f'{{"seconds": {seconds}, "quick_mode": {str(quick).lower()}}}')
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    nb.cells[0].outputs = [nbformat.v4.new_output(
        "stream", name="stdout", text="Epoch 1\n1/1 - 3s - loss: 0.5\n1/1 - 1s - loss: 0.9\n")]
    runs = ins.training_runs(nb, tmp_path, quick=False)
    assert [r["seconds"] for r in runs] == [12.5]
    assert [r["seconds"] for r in ins.training_runs(nb, tmp_path, quick=True)] == [2.0]
    assert ins.format_duration(75, "en") == "75 s"
    assert ins.format_duration(600, "es") == "10 min"
    assert ins.format_duration(5400, "en") == "1 h 30 min"


def test_pdf_toc_and_config_per_language():
    for lang in ("es", "en"):
        toc = pdf_book.language_toc(lang, ROOT)
        files = [toc["root"], *(c["file"] for c in toc["chapters"])]
        assert toc["root"] == f"book/{lang}/preface"
        assert all(f.startswith(f"book/{lang}/") for f in files)
        # The references page is the PDF's closing bibliography (one_bibliography).
        assert f"book/{lang}/references" not in files and f"book/{lang}/errata" in files
        for solutions in (True, False):
            config = pdf_book.variant_config(lang, solutions, ROOT)
            extra = config["sphinx"]["config"]
            assert extra["language"] == lang and extra["hide_solutions"] is (not solutions)
            assert extra["latex_engine"] == "xelatex"
            assert pdf_book.pdf_name(lang, solutions).endswith(".pdf")
    assert len({pdf_book.pdf_name(lang, s) for lang in ("es", "en") for s in (True, False)}) == 4


def execute(nb, tmp_path):
    from nbclient import NotebookClient

    env = {key: value for key, value in os.environ.items() if key != "BOOK_BUILD"}
    env.update(BOOK_QUICK="1", BOOK_REPO_DIR=str(ROOT), MPLBACKEND="Agg",
               TF_CPP_MIN_LOG_LEVEL="3")
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)  # The kernel inherits this environment.
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb


RUN = [(kind, docname) for docname in map(ids, NOTEBOOKS) for kind in ("exercises", "answers")]


@pytest.mark.parametrize("kind,docname", RUN, ids=[f"{k}-{d}" for k, d in RUN])
def test_the_notebook_runs_top_to_bottom_in_quick_mode(kind, docname, tmp_path):
    if (kind, docname) not in CI_RUNS and not ALL:
        pytest.skip("run with BOOK_ALL_EXERCISES=1 (the default run executes CI_RUNS)")
    nb = ins.convert_book(ROOT, commit=COMMIT, docnames={docname}, kinds=(kind,))[
        (kind, docname)]
    execute(nb, tmp_path)
    outputs = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                        for o in c.outputs)
    assert "Traceback" not in outputs
    if kind == "exercises":
        # The setup cell ran against this checkout, then the chapter's code.
        assert "mlp_params = " in outputs or docname not in CI_CHAPTERS


def test_pdf_lists_each_cited_work_once_and_drops_empty_reference_sections():
    from docutils import nodes
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document

    def citation(docname, id_, label, text):
        node = nodes.citation(ids=[id_], docname=docname)
        node += nodes.label(text=label)
        node += nodes.paragraph(text=text)
        return node

    def section(title, *children):
        node = nodes.section()
        node += nodes.title(text=title)
        for child in children:
            node += child
        return node

    document = new_document("<test>", get_default_settings(Parser))
    he = "He, Zhang, Ren and Sun. Deep residual learning. CVPR, 2016."
    kingma = "Kingma and Ba. Adam. ICLR, 2015."
    document += section("Chapter 1", nodes.paragraph(text="Adam and ResNet."),
                        section("References", citation("ch1", "id1", "KB15", kingma),
                                citation("ch1", "id2", "HZRS16", he)))
    document += section("Chapter 2", nodes.paragraph(text="ResNet again."),
                        section("References", citation("ch2", "id7", "HZRS16a", he)))
    pdf_book.one_bibliography(document)

    titles = [t.astext() for t in document.findall(nodes.title)]
    assert titles == ["Chapter 1", "Chapter 2"], "the emptied References sections stay"
    listed = [c for c in document.findall(nodes.citation)]
    assert [c[0].astext() for c in listed] == ["HZRS16a", "KB15"]
    assert all(c.parent is document for c in listed)
    targets = [r.astext() for r in listed[0].findall(nodes.raw)]
    assert targets == [r"\hypertarget{cite.ch1:id2}{}"], "the dropped copy's link target"
