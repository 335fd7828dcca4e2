"""The Colab and Jupyter edition (book/_ext/colab_edition.py).

Converting every chapter takes a few seconds; one test executes one converted
chapter (deep_networks, the cheapest) in a fresh kernel in quick mode, with the
setup cell pointed at this checkout instead of the network.
"""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import colab_edition as ce  # noqa: E402

NOTEBOOKS = ce.chapters(ROOT)
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def editions():
    return ce.convert_book(ROOT, commit=COMMIT)


def ids(path):
    return path.relative_to(ROOT).with_suffix("").as_posix()


def markdown(edition):
    return [cell.source for cell in edition.cells if cell.cell_type == "markdown"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_myst_role_or_directive_is_left(editions, path):
    edition = editions[ids(path)]
    nbformat.validate(edition)
    assert edition.nbformat == 4
    left = {i: ce.myst_left(text) for i, text in enumerate(markdown(edition))}
    assert not {i: found for i, found in left.items() if found}, \
        f"MyST markup left in the Colab edition of {ids(path)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_the_detector_finds_the_sources_markup(path):
    # The check above can fail: the MyST source itself is full of markup.
    source = nbformat.read(path, as_version=4)
    assert [f for text in markdown(source) for f in ce.myst_left(text)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_edition_keeps_the_code_and_replaces_the_setup_cell(editions, path):
    source = nbformat.read(path, as_version=4)
    edition = editions[ids(path)]
    code = [c.source for c in source.cells if c.cell_type == "code"][1:]
    converted = [c.source for c in edition.cells if c.cell_type == "code"]
    assert all(cell in converted for cell in code), "a code cell of the chapter is missing"
    setup = converted[0]
    assert f"COMMIT = {COMMIT!r}" in setup
    assert "'tensorflow': '==" in setup and "myst" not in setup
    # The solutions are folded, in <details>, and their code still runs (folded).
    details = [text for text in markdown(edition) if text.startswith("<details>")]
    assert len(details) == sum("{solution-start}" in t for t in markdown(source))
    assert all(c.metadata.get("jupyter", {}).get("source_hidden") for c in edition.cells
               if "title" in c.metadata.get("colab", {}))


def test_the_prose_reads_as_plain_markdown():
    chapter = ce.Chapter(lang="es", docname="book/es/x", site_url="https://s/",
                         titles={"book/es/vgg": "VGG"}, bib=ce.bibliography(),
                         keyprefixes=["es-x-"], glue_cells={"a": [1], "b": [9]}, cell=5)
    text = ("Tiene {glue:text}`a` y {glue:text}`b:.2f`, {cite:p}`es-x-kingma2015adam` "
            "según {cite:t}`xiao2017fashion`; véase {doc}`vgg` y `{doc}`x``.\n\n"
            ":::{admonition} Título\n:class: tip\n\nCuerpo con {doc}`el capítulo <vgg>`.\n:::\n\n"
            "```{exercise}\n:label: ex1\n\n¿Cuántos?\n```\n\n```{bibliography}\n```\n")
    out = ce.convert_markdown(text, chapter)
    assert "`a`↑ y `b`↓" in out
    assert "(Kingma y Ba, 2015)" in out and "Xiao et al. (2017)" in out
    assert "[VGG](https://s/book/es/vgg.html)" in out and "`{doc}`x``" in out
    assert "> 💡 **Título**" in out and "> Cuerpo con [el capítulo](https://s/book/es/vgg.html)." in out
    assert "### Ejercicio 1\n\n¿Cuántos?" in out and chapter.exercises == {"ex1": 1}
    assert "- **Kingma y Ba, 2015.** Diederik P\\. Kingma y Jimmy Ba" in out
    assert ce.myst_left(out) == [], out


def test_colab_cli_helpers():
    assert ce.site_url_of("https://github.com/org/repo") == "https://org.github.io/repo/"
    assert "fashion_mlp" in ce.recipe_names(ROOT)
    pins = ce.runtime_pins(None, ROOT)
    assert {"keras", "tensorflow", "numpy", "pandas"} <= set(pins)
    assert all(version.startswith(("==", "<", ">")) for version in pins.values())


def git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


def run_setup(source, tmp_path, **env):
    script = tmp_path / "setup.py"
    script.write_text(source)
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, text=True,
                          capture_output=True, timeout=120,
                          env={**os.environ, "HOME": str(tmp_path / "home"), **env})


def test_setup_cell_clones_the_notebooks_commit_and_says_what_to_do_when_it_fails(tmp_path):
    repo = tmp_path / "repo"
    (repo / "book" / "lib").mkdir(parents=True)
    (repo / "book" / "__init__.py").write_text("")
    (repo / "book" / "lib" / "__init__.py").write_text("VERSION = 'old'\n")
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "old", cwd=repo)
    old = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, text=True,
                         capture_output=True).stdout.strip()
    (repo / "book" / "lib" / "__init__.py").write_text("VERSION = 'new'\n")
    git("commit", "-qam", "new", cwd=repo)
    source = ce.setup_cell_source(old, "en", "x", "https://example.invalid/repo", {})
    source += "\nprint('VERSION', book.lib.VERSION)\n"
    done = run_setup(source, tmp_path, BOOK_REPO_URL=str(repo))
    assert done.returncode == 0, done.stderr
    assert "VERSION old" in done.stdout  # The notebook's commit, not the newest.

    failing = ce.setup_cell_source("f" * 40, "es", "x", "https://example.invalid/repo", {})
    failed = run_setup(failing, tmp_path, BOOK_REPO_URL=str(tmp_path / "missing"))
    assert failed.returncode != 0
    assert "SetupFailed: La preparación de este cuaderno ha fallado" in failed.stderr
    assert "Qué hacer:" in failed.stderr and "book/es/x.ipynb" in failed.stderr


def test_a_converted_chapter_runs_top_to_bottom_in_quick_mode(tmp_path):
    from nbclient import NotebookClient

    edition = ce.convert_book(ROOT, commit=COMMIT, docnames={"book/en/deep_networks"})[
        "book/en/deep_networks"]
    env = {key: value for key, value in os.environ.items() if key != "BOOK_BUILD"}
    env.update(BOOK_QUICK="1", BOOK_REPO_DIR=str(ROOT), MPLBACKEND="Agg",
               TF_CPP_MIN_LOG_LEVEL="3")
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)  # The kernel inherits this environment.
    try:
        NotebookClient(edition, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    outputs = "\n".join(out.get("text", "") for cell in edition.cells
                        if cell.cell_type == "code" for out in cell.outputs)
    # report.glue shows each value that the prose points at, under its name.
    assert "mlp_params = 235,146" in outputs
    assert "mlp_test_accuracy = " in outputs
    # The timing cell: the full run's time on this machine, named.
    assert "On this machine (a " in outputs and "the full run of this chapter" in outputs
