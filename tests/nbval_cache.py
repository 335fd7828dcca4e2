"""pytest plugin: nbval's run of each notebook is also the site's execution.

``pytest`` executes every notebook with nbval, and the site build would execute
each one again. This plugin makes the first run serve both:

* The notebook kernels that nbval starts get the environment of a book
  build's kernels: ``BOOK_BUILD=1`` (one line per epoch instead of a live
  progress bar, and the training cache on, so that the Spanish and English
  twins share one training run) and matplotlib's inline backend. Only the
  kernels get it: the test process's own environment is restored as soon as
  the kernel has started.
* When every cell of a notebook has passed, the outputs that nbval collected
  are stored, as an executed notebook, in the execution cache that the site
  build reads (``book/_ext/execution.py``: the same mode, the same digest of
  ``book/lib`` and ``requirements.txt``). The build then finds every notebook
  there and executes none; with ``BOOK_REQUIRE_EXECUTED=1`` (as ``.ci/run``
  sets) it fails if one is missing.
* The twins ``book/es/x.ipynb`` and ``book/en/x.ipynb`` run on the same xdist
  worker, one after the other (``--dist loadgroup``), so the second one finds
  the first one's training run in the cache; any other test file keeps its
  tests on one worker, as ``--dist loadfile`` would. The chapters are handed
  out in reading order (``_toc.yml``), so that the models of earlier chapters
  are usually in the cache when a later chapter compares itself with them.
* At the end, a table of the slowest notebooks (seconds of execution) is
  printed, with those over the quick-mode budget marked.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The quick-mode budget of one notebook's execution, in seconds (CI issue).
QUICK_BUDGET_SECONDS = 45


def build_dir() -> Path:
    """``_build``; the tests of this plugin point it elsewhere with NBVAL_CACHE_BUILD_DIR."""
    return Path(os.environ.get("NBVAL_CACHE_BUILD_DIR", ROOT / "_build"))


def _execution_module():
    """book/_ext/execution.py, which is not a package (Sphinx loads it by path)."""
    spec = importlib.util.spec_from_file_location(
        "book_execution", ROOT / "book" / "_ext" / "execution.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


execution = _execution_module()


def _is_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell"


def _notebook_path(item) -> Path:
    return Path(str(item.parent.path))


# --------------------------------------------------------------------------
# Grouping: twins on one worker, one after the other.
# --------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        if _is_cell(item):
            group = f"notebook-{_notebook_path(item).stem}"
        else:
            group = Path(str(item.path)).relative_to(ROOT).as_posix() if Path(
                str(item.path)).is_relative_to(ROOT) else str(item.path)
        item.add_marker(pytest.mark.xdist_group(group))
    # Each notebook's cells in file order, the twins next to each other, and
    # the chapters in reading order: a chapter that compares its model with
    # earlier chapters' models then finds their runs in the training cache
    # (unless the other worker is still running one), and the capstone, which
    # reads every model, comes last.
    notebooks = [item for item in items if _is_cell(item)]
    others = [item for item in items if not _is_cell(item)]
    order = reading_order()
    notebooks.sort(key=lambda item: (order.get(_notebook_path(item).stem, len(order)),
                                     _notebook_path(item).stem,
                                     _notebook_path(item).parent.name,
                                     item.cell_num))
    items[:] = others + notebooks


#: Each page's name -> its position in the table of contents (as the build orders them).
reading_order = execution.reading_order


# --------------------------------------------------------------------------
# BOOK_BUILD=1 for the kernels only.
# --------------------------------------------------------------------------


#: What a notebook kernel's environment must say, as in a book build: BOOK_BUILD
#: on, and no MPLBACKEND (tests/book_env.py sets Agg for the unit tests; in a
#: kernel it would stop matplotlib's inline backend from showing any figure).
KERNEL_ENVIRONMENT = {"BOOK_BUILD": "1", "MPLBACKEND": None}


@contextlib.contextmanager
def kernel_environment():
    """Sets ``KERNEL_ENVIRONMENT`` for the duration, then restores the old values."""
    previous = {name: os.environ.get(name) for name in KERNEL_ENVIRONMENT}
    try:
        _set_environment(KERNEL_ENVIRONMENT)
        yield
    finally:
        _set_environment(previous)


def _set_environment(values: dict) -> None:
    """Sets each variable to its value; None means unset."""
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    # nbval starts a notebook's kernel while setting up its first cell; the
    # kernel process inherits the environment at that moment.
    if not _is_cell(item):
        yield
        return
    with kernel_environment():
        yield


# --------------------------------------------------------------------------
# Collect each cell's outputs; store the notebook when all its cells passed.
# --------------------------------------------------------------------------

_runs: dict[Path, dict] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if not _is_cell(item):
        return
    report = outcome.get_result()
    run = _runs.setdefault(_notebook_path(item), {
        "outputs": {}, "failed": False, "seconds": 0.0})
    # Setup includes the kernel's start-up (first cell), teardown its shutdown.
    run["seconds"] += call.duration
    if call.when != "call":
        run["failed"] |= report.failed
        return
    if report.passed:
        run["outputs"][item.cell_num] = list(item.test_outputs or [])
    else:
        run["failed"] = True


def pytest_runtest_teardown(item, nextitem):
    if not _is_cell(item):
        return
    path = _notebook_path(item)
    if nextitem is not None and _is_cell(nextitem) and _notebook_path(nextitem) == path:
        return
    run = _runs.pop(path, None)
    if run is None:
        return
    _write_timing(path, run)
    if not run["failed"]:
        store_executed_notebook(path, run["outputs"], run["seconds"])


def executed_notebook(path: Path, outputs: dict[int, list]):
    """The notebook at ``path`` with nbval's outputs in its code cells.

    Returns None unless every code cell has its outputs (a notebook that
    stopped early, or one run with ``-k``/``--deselect``, is not stored).
    """
    import nbformat

    notebook = execution.read_notebook(path)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if set(outputs) != set(range(len(code))):
        return None
    for number, cell in enumerate(code):
        cell.outputs = [nbformat.from_dict(dict(output)) for output in outputs[number]]
        cell.execution_count = number + 1
        for output in cell.outputs:
            if output.get("output_type") == "execute_result":
                output["execution_count"] = number + 1
    nbformat.validate(notebook)
    return notebook


def store_executed_notebook(path: Path, outputs: dict[int, list],
                            seconds: float, folder: Path | None = None):
    """Stores nbval's run of ``path`` in the site build's execution cache.

    Args:
        path: the notebook.
        outputs: code cell number -> the outputs nbval collected.
        seconds: how long the run took.
        folder: the build folder; None means :func:`build_dir`.

    Returns:
        The cache folder, or None when the run was incomplete.
    """
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    notebook = executed_notebook(path, outputs)
    if notebook is None:
        return None
    cache = execution.cache_path(build_dir() if folder is None else Path(folder))
    cache.mkdir(parents=True, exist_ok=True)
    # Two xdist workers may store at once; jupyter-cache's SQLite is not meant
    # for concurrent writers.
    with open(cache / ".nbval.lock", "w") as lock, _locked(lock):
        execution.prune_other_digests(cache)
        get_cache(str(cache)).cache_notebook_bundle(
            CacheBundleIn(notebook, str(path), data={"execution_seconds": seconds}),
            check_validity=False, overwrite=True)
    return cache


@contextlib.contextmanager
def _locked(handle):
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------
# Timings: one file per notebook, a table at the end.
# --------------------------------------------------------------------------

def pytest_configure(config):
    # One token per pytest run, inherited by its xdist workers, so that the
    # table at the end lists this run's notebooks only.
    if not hasattr(config, "workerinput"):
        os.environ["NBVAL_TIMINGS_RUN"] = f"{os.getpid()}-{time.time()}"


def _timings_dir() -> Path:
    return build_dir() / "nbval-timings"


def _timing_file(path: Path) -> Path:
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    return _timings_dir() / (name.replace("/", "__") + ".json")


def _write_timing(path: Path, run: dict) -> None:
    _timings_dir().mkdir(parents=True, exist_ok=True)
    _timing_file(path).write_text(json.dumps({
        "notebook": path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path),
        "seconds": run["seconds"], "passed": not run["failed"],
        "quick": execution.quick_mode(), "run": os.environ.get("NBVAL_TIMINGS_RUN")}))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if hasattr(config, "workerinput") or not _timings_dir().is_dir():
        return
    rows = []
    for file in _timings_dir().glob("*.json"):
        with contextlib.suppress(ValueError, OSError):
            row = json.loads(file.read_text())
            if row.get("run") == os.environ.get("NBVAL_TIMINGS_RUN"):
                rows.append(row)
    if not rows:
        return
    rows.sort(key=lambda row: -row["seconds"])
    writer = terminalreporter
    writer.section("notebook execution times (nbval)")
    budget = QUICK_BUDGET_SECONDS
    for row in rows:
        over = row["quick"] and row["seconds"] > budget
        mark = f"  OVER the {budget} s quick-mode budget" if over else ""
        status = "" if row["passed"] else "  (failed)"
        writer.write_line(f"{row['seconds']:7.1f} s  {row['notebook']}{status}{mark}")
    writer.write_line(f"{sum(row['seconds'] for row in rows):7.1f} s  in all, "
                      f"{len(rows)} notebooks")
