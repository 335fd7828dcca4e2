"""The execution cache (book/_ext/execution.py) and nbval filling it (tests/nbval_cache.py).

The site build reads executed notebooks from a cache keyed on the notebooks'
code, the mode and the source of book/lib and requirements.txt; pytest's nbval
run stores each notebook there, so that CI executes every notebook once.
"""

import shutil
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import nbval_cache  # noqa: E402

pytest_plugins = ("pytester",)

execution = nbval_cache.execution


def make_root(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "book" / "lib").mkdir(parents=True)
    (root / "book" / "lib" / "costs.py").write_text("MACS = 1\n")
    (root / "requirements.txt").write_text("keras==3.15.1\n")
    return root


def make_notebook(path: Path, code=("print(6 * 7)", "x = 1")) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.cells = [nbformat.v4.new_markdown_cell("# A page")]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in code]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path


def outputs_of_run():
    stream = nbformat.v4.new_output("stream", name="stdout", text="42\n")
    return {0: [stream], 1: []}


@pytest.mark.parametrize("edit", [
    lambda root: (root / "book" / "lib" / "costs.py").write_text("MACS = 2\n"),
    lambda root: (root / "book" / "lib" / "blocks.py").write_text("# new\n"),
    lambda root: (root / "requirements.txt").write_text("keras==3.16.0\n"),
])
def test_digest_changes_with_the_lib_and_the_pins(tmp_path, edit):
    root = make_root(tmp_path)
    before = execution.cache_path(tmp_path / "_build", quick=True, root=root)
    edit(root)
    after = execution.cache_path(tmp_path / "_build", quick=True, root=root)
    assert before != after


def test_digest_ignores_bytecode_and_other_files(tmp_path):
    root = make_root(tmp_path)
    before = execution.dependency_digest(root)
    (root / "book" / "lib" / "__pycache__").mkdir()
    (root / "book" / "lib" / "__pycache__" / "costs.cpython-311.pyc").write_bytes(b"\0")
    (root / "book" / "en").mkdir()
    (root / "book" / "en" / "page.md").write_text("# prose\n")
    assert execution.dependency_digest(root) == before


def test_quick_and_full_modes_have_separate_caches(tmp_path):
    root = make_root(tmp_path)
    quick = execution.cache_path(tmp_path, quick=True, root=root)
    full = execution.cache_path(tmp_path, quick=False, root=root)
    assert quick != full
    assert quick.name.startswith("quick-") and full.name.startswith("full-")


def test_prune_removes_only_older_digests_of_the_same_mode(tmp_path):
    parent = tmp_path / execution.CACHE_PARENT
    for name in ("quick-aaaa", "quick-bbbb", "full-aaaa"):
        (parent / name).mkdir(parents=True)
    removed = execution.prune_other_digests(parent / "quick-bbbb")
    assert removed == [parent / "quick-aaaa"]
    assert sorted(p.name for p in parent.iterdir()) == ["full-aaaa", "quick-bbbb"]


def test_a_stored_run_is_found_and_an_edited_notebook_is_not(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_QUICK", "1")
    notebook = make_notebook(tmp_path / "book" / "en" / "page.ipynb")
    build = tmp_path / "_build"
    cache = execution.cache_path(build)
    assert execution.unexecuted_notebooks(cache, [notebook]) == [notebook]

    stored = nbval_cache.store_executed_notebook(notebook, outputs_of_run(), 1.5, build)
    assert stored == cache
    assert execution.unexecuted_notebooks(cache, [notebook]) == []

    make_notebook(notebook, code=("print(6 * 9)", "x = 1"))
    assert execution.unexecuted_notebooks(cache, [notebook]) == [notebook]


def test_an_incomplete_run_is_not_stored(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_QUICK", "1")
    notebook = make_notebook(tmp_path / "page.ipynb")
    outputs = outputs_of_run()
    del outputs[1]  # The second cell did not run (or was deselected).
    assert nbval_cache.store_executed_notebook(notebook, outputs, 1.0, tmp_path) is None
    cache = execution.cache_path(tmp_path)
    assert execution.unexecuted_notebooks(cache, [notebook]) == [notebook]


def test_the_kernel_environment_is_confined(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("BOOK_BUILD", raising=False)
    with nbval_cache.kernel_environment():
        import os

        assert os.environ["BOOK_BUILD"] == "1" and "MPLBACKEND" not in os.environ
    assert os.environ["MPLBACKEND"] == "Agg" and "BOOK_BUILD" not in os.environ


def sphinx_build(src: Path, out: Path):
    from sphinx.application import Sphinx

    app = Sphinx(str(src), str(src), str(out / "html"), str(out / "doctrees"), "html",
                 status=None, warning=None, freshenv=True)
    app.build()
    return app


def test_the_build_requires_every_notebook_to_be_executed(tmp_path, monkeypatch):
    """With BOOK_REQUIRE_EXECUTED=1 the build fails on a notebook nbval did not
    run, and builds, executing nothing, once nbval's run is in the cache."""
    from sphinx.errors import ExtensionError

    monkeypatch.setenv("BOOK_QUICK", "1")
    monkeypatch.setenv("BOOK_REQUIRE_EXECUTED", "1")
    src = tmp_path / "src"
    notebook = make_notebook(src / "page.ipynb")
    # reStructuredText: a markdown index would depend on the markdown parser that
    # earlier in-process builds of this worker registered (Sphinx's global state).
    (src / "index.rst").write_text("Home\n====\n\n.. toctree::\n\n   page\n")
    (src / "conf.py").write_text(textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})
        extensions = ['myst_nb', 'execution']
        nb_execution_mode = 'cache'
        nb_execution_raise_on_error = True
        """))
    build = tmp_path / "_build"
    with pytest.raises(ExtensionError, match=r"no executed copy[\s\S]*page\.ipynb"):
        sphinx_build(src, build)

    nbval_cache.store_executed_notebook(notebook, outputs_of_run(), 1.0, build)
    shutil.rmtree(build / "html", ignore_errors=True)
    sphinx_build(src, build)
    html = (build / "html" / "page.html").read_text()
    assert "42" in html  # The stored output, not a new execution.


def test_nbval_stores_what_it_ran(pytester, tmp_path):
    """A real nbval run of a small notebook, through this plugin, lands in the cache."""
    notebook = make_notebook(pytester.path / "small.ipynb")
    build = tmp_path / "_build"
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_subprocess(
        "-p", "nbval_cache", "--nbval-lax", "-p", "no:cacheprovider", "-n", "0",
        "small.ipynb",
        # The subprocess imports the plugin from tests/ and writes to our folder.
        "-o", f"pythonpath={ROOT / 'tests'} {ROOT}")
    result.assert_outcomes(passed=2)
    cache = execution.cache_path(build)
    assert execution.unexecuted_notebooks(cache, [notebook]) == []


@pytest.fixture
def pytester(pytester, tmp_path, monkeypatch):
    monkeypatch.setenv("NBVAL_CACHE_BUILD_DIR", str(tmp_path / "_build"))
    monkeypatch.setenv("BOOK_QUICK", "1")
    return pytester


def test_the_pages_workflow_restores_only_caches_of_the_same_dependencies():
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    caches = [step for step in steps if str(step.get("uses", "")).startswith("actions/cache")]
    assert caches, "the Pages workflow should cache the executed notebooks"
    for step in caches:
        key = step["with"]["key"]
        prefix = key.removesuffix("${{ github.run_id }}")
        assert prefix != key, "each build saves its own cache (run_id at the end)"
        assert "hashFiles(" in prefix and "book/lib" in prefix and "requirements.txt" in prefix
        restore = step["with"].get("restore-keys", "").strip().splitlines()
        # Only the exact dependency digest: no shorter, looser fallback.
        assert restore == [prefix.strip()], restore


def write_toc(folder: Path, names) -> Path:
    """A table of contents with the pages `names` in a Spanish and an English part."""
    parts = "".join("  - chapters:\n" + "".join(f"      - file: book/{lang}/{name}\n"
                                                   for name in names)
                    for lang in ("es", "en"))
    toc = folder / "_toc.yml"
    toc.write_text("format: jb-book\nroot: book/index\nparts:\n" + parts)
    return toc


def test_notebooks_run_in_reading_order_with_the_twins_together(tmp_path):
    """nbval hands the notebooks out as the table of contents orders them."""
    toc = write_toc(tmp_path, ("first", "later"))
    assert nbval_cache.reading_order(toc) == {"first": 0, "later": 1}

    class Cell:  # What the hook reads of nbval's items.
        def __init__(self, path, number):
            self.parent = type("Parent", (), {"path": path})()
            self.path, self.cell_num = path, number

        def get_closest_marker(self, name):
            return None

        def add_marker(self, marker):
            self.marker = marker

    Cell.__name__ = "IPyNbCell"
    # The book's own order: the capstone, which reads every model, comes after
    # the chapters that train them, although it sorts first by name.
    items = [Cell(ROOT / "book" / lang / f"{name}.ipynb", number)
             for name in ("comparison", "resnet", "deep_networks")
             for lang in ("en", "es") for number in (1, 0)]
    nbval_cache.pytest_collection_modifyitems(None, items)
    order = [(item.path.stem, item.path.parent.name, item.cell_num) for item in items]
    assert order == [(name, lang, number)
                     for name in ("deep_networks", "resnet", "comparison")
                     for lang in ("en", "es") for number in (0, 1)]
    # The twins share one xdist group: one worker, one after the other.
    assert {item.marker.args[0] for item in items
            if item.path.stem == "resnet"} == {"notebook-resnet"}


def test_the_build_executes_the_pages_in_reading_order(tmp_path):
    """Sphinx reads (and myst-nb executes) pages alphabetically unless told
    otherwise: the capstone then ran third and trained the whole book in one cell."""
    toc = write_toc(tmp_path, ("deep_networks", "resnet", "comparison"))
    docnames = sorted(f"book/{lang}/{name}" for lang in ("es", "en")
                      for name in ("comparison", "resnet", "deep_networks"))
    docnames.append("book/index")
    execution.sort_in_reading_order(docnames, toc)
    assert docnames == [f"book/{lang}/{name}"
                        for name in ("deep_networks", "resnet", "comparison")
                        for lang in ("en", "es")] + ["book/index"]

    class App:  # What setup() asks of Sphinx's application.
        def __init__(self):
            self.handlers = []

        def connect(self, event, handler):
            self.handlers.append((event, handler))

    app = App()
    execution.setup(app)
    assert ("env-before-read-docs", execution._read_in_reading_order) in app.handlers
