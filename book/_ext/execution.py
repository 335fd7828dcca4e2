"""Sphinx extension: an execution cache that cannot serve stale pages.

Jupyter Book (myst-nb, through jupyter-cache) caches each executed notebook
under a hash of its code cells only. Two things change what a notebook prints
without changing its code, and this extension keys the cache on both:

* **Quick mode** (``BOOK_QUICK=1``): fewer epochs and smaller subsets. Quick and
  full builds get separate caches, so a full build never publishes the numbers
  of a quick preview.
* **The code the notebooks import and the packages they run on**: the source
  of ``book/lib`` and the pinned ``requirements.txt``. Their digest names the
  cache folder (``_build/.jupyter_cache/full-<digest>``), so an edit to the lib
  or a new pin starts an empty cache and every notebook runs again. The cache
  path is part of the Sphinx configuration, so Sphinx then reads every page
  again too. Folders of older digests of the same mode are deleted.

A build executes the notebooks in the book's reading order (the table of
contents, twins together), so that each chapter trains its own networks and
later chapters find them in the training cache.

In CI the notebooks are executed once, by ``pytest`` (nbval; the plugin
``tests/nbval_cache.py`` stores each executed notebook in this same cache), and
the site build only reads them: with ``BOOK_REQUIRE_EXECUTED=1`` the build stops
with an error naming every notebook that is not in the cache, instead of
executing it a second time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: What the notebooks' outputs depend on besides their own code, relative to
#: the repository root: every file of these folders (``*.py``) and these files.
DEPENDENCY_DIRS = ("book/lib",)
DEPENDENCY_FILES = ("requirements.txt",)
#: The folder, under the build directory, that holds one cache per mode and digest.
CACHE_PARENT = ".jupyter_cache"

_TRUE = {"1", "true", "yes", "on"}


def quick_mode() -> bool:
    """Whether ``BOOK_QUICK`` asks for quick mode (the rule of ``book.lib.config``)."""
    return os.environ.get("BOOK_QUICK", "").strip().lower() in _TRUE


def dependency_files(root: Path = ROOT) -> list[Path]:
    """The files whose content keys the cache, in a stable order."""
    files = [path for folder in DEPENDENCY_DIRS
             for path in (root / folder).rglob("*.py")
             if "__pycache__" not in path.parts]
    files += [root / name for name in DEPENDENCY_FILES if (root / name).is_file()]
    return sorted(files)


def dependency_digest(root: Path = ROOT) -> str:
    """SHA-256 (first 16 hex digits) of the names and bytes of ``dependency_files``."""
    digest = hashlib.sha256()
    for path in dependency_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def cache_path(build_dir: Path, quick: bool | None = None, root: Path = ROOT) -> Path:
    """The execution cache for this mode and these dependencies.

    Args:
        build_dir: the build folder (``_build``, the parent of ``_build/html``).
        quick: quick mode; None reads ``BOOK_QUICK``.
        root: the repository root, whose ``book/lib`` and ``requirements.txt``
            are hashed.

    Returns:
        ``<build_dir>/.jupyter_cache/<quick|full>-<digest>``.
    """
    quick = quick_mode() if quick is None else quick
    mode = "quick" if quick else "full"
    return Path(build_dir) / CACHE_PARENT / f"{mode}-{dependency_digest(root)}"


def prune_other_digests(path: Path) -> list[Path]:
    """Deletes the caches of the same mode with another digest; returns them."""
    mode = path.name.split("-", 1)[0]
    removed = []
    if path.parent.is_dir():
        for other in path.parent.glob(f"{mode}-*"):
            if other != path and other.is_dir():
                shutil.rmtree(other, ignore_errors=True)
                removed.append(other)
    return removed


def read_notebook(path: Path):
    """A notebook as myst-nb reads it before matching it against the cache."""
    import nbformat

    return nbformat.read(str(path), as_version=4)


def unexecuted_notebooks(cache: Path, notebooks: Iterable[Path]) -> list[Path]:
    """The notebooks that have no executed copy in ``cache``.

    A notebook matches when the cache holds an executed notebook with the same
    code cells (jupyter-cache's own hash), which is what the build looks up.
    """
    from jupyter_cache import get_cache

    notebooks = list(notebooks)
    if not notebooks:
        return []
    if not Path(cache).is_dir():
        return notebooks
    store = get_cache(str(cache))
    missing = []
    for path in notebooks:
        try:
            store.match_cache_notebook(read_notebook(path))
        except KeyError:
            missing.append(path)
    return missing


def reading_order(toc: Path = ROOT / "_toc.yml") -> dict[str, int]:
    """Each page's name (``vgg``) -> its position in the table of contents.

    The twins ``book/es/vgg`` and ``book/en/vgg`` share a name, so they share
    the position of the first one listed.
    """
    import yaml

    order: dict[str, int] = {}

    def visit(node):
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                order.setdefault(Path(node["file"]).name, len(order))
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(yaml.safe_load(Path(toc).read_text(encoding="utf-8")))
    return order


def sort_in_reading_order(docnames: list[str], toc: Path = ROOT / "_toc.yml") -> None:
    """Sorts ``docnames`` in place: chapters in reading order, twins together.

    Sphinx reads (and myst-nb executes) the pages in alphabetical order, which
    put the capstone, ``comparison``, third: with an empty training cache it
    trained every network of the book in one cell and overran the cell time
    limit. In reading order each chapter trains its own networks and the
    capstone finds them all in the cache. Pages outside the table of contents
    come last, by name.
    """
    order = reading_order(toc)
    docnames.sort(key=lambda doc: (order.get(doc.rsplit("/", 1)[-1], len(order)), doc))


def _read_in_reading_order(app, env, docnames) -> None:
    toc = getattr(app.config, "external_toc_path", None) or ROOT / "_toc.yml"
    sort_in_reading_order(docnames, Path(app.srcdir) / toc)


def _use_cache_of_this_mode(app, config) -> None:
    if config.nb_execution_cache_path:  # Set explicitly in _config.yml: respect it.
        return
    path = cache_path(Path(app.outdir).parent)
    prune_other_digests(path)
    config.nb_execution_cache_path = str(path)


def _require_executed(app, env, docnames) -> None:
    """With ``BOOK_REQUIRE_EXECUTED=1``, every notebook must be in the cache."""
    if os.environ.get("BOOK_REQUIRE_EXECUTED", "").strip().lower() not in _TRUE:
        return
    from sphinx.errors import ExtensionError

    notebooks = [Path(env.doc2path(doc)) for doc in sorted(env.found_docs)]
    notebooks = [path for path in notebooks if path.suffix == ".ipynb"]
    missing = unexecuted_notebooks(Path(app.config.nb_execution_cache_path), notebooks)
    if missing:
        names = "\n  ".join(str(path.relative_to(app.srcdir)) for path in missing)
        raise ExtensionError(
            "BOOK_REQUIRE_EXECUTED=1, but these notebooks have no executed copy "
            f"in {app.config.nb_execution_cache_path}:\n  {names}\n"
            "pytest (nbval) executes every notebook and stores it there; run "
            "pytest first, in the same mode (BOOK_QUICK), or unset "
            "BOOK_REQUIRE_EXECUTED to let the build execute them.")


def setup(app):
    app.connect("config-inited", _use_cache_of_this_mode)
    app.connect("env-before-read-docs", _require_executed)
    # Sphinx lets this event reorder the list in place; it reads them in that order.
    app.connect("env-before-read-docs", _read_in_reading_order)
    return {"version": "2.0", "parallel_read_safe": True, "parallel_write_safe": True}
