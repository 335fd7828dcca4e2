"""Sphinx extension: the site serves its own copy of MathJax 3.

Sphinx loads MathJax from a CDN by default, so formulas stay raw LaTeX for a
reader who is offline, behind a firewall that blocks the CDN, or reading a copy
of the site on a laptop. This extension copies MathJax 3 from a pinned PyPI
package (``django-static-mathjax``, in requirements.txt; it ships MathJax's
``es5`` bundle and needs nothing of Django) into the built site, under
``_static/`` where ``mathjax_path`` points (``_config.yml``:
``mathjax_path: mathjax/tex-mml-chtml.js``, relative to ``_static``).

The whole ``es5`` folder is copied (about 24 MB), not only the entry script:
MathJax loads its fonts, TeX extensions and menu components from beside it on
demand. A ``mathjax_path`` that is a URL is left alone (nothing is copied).
"""

from __future__ import annotations

import posixpath
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)


def mathjax_es5_dir() -> Path:
    """The folder of MathJax's ``es5`` bundle inside the installed package.

    Raises:
        ExtensionError: when the package is missing or has no ``es5`` bundle.
    """
    try:
        import mathjax  # django-static-mathjax's import name
    except ImportError as error:
        raise ExtensionError(
            "local_mathjax needs MathJax from the package django-static-mathjax; "
            "install it with: pip install -r requirements.txt") from error
    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (es5 / "tex-mml-chtml.js").is_file():
        raise ExtensionError(
            f"local_mathjax expected MathJax's es5 bundle in {es5}, but it has no "
            "tex-mml-chtml.js; reinstall django-static-mathjax from requirements.txt.")
    return es5


def _is_url(path: str) -> bool:
    return "://" in path or path.startswith("//")


def _check_config(app: Sphinx, config) -> None:
    if not _is_url(config.mathjax_path):
        mathjax_es5_dir()  # fail early, before any page is read


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    mathjax_path = app.config.mathjax_path
    if _is_url(mathjax_path):
        return
    source = mathjax_es5_dir()
    target = Path(app.outdir) / "_static" / posixpath.dirname(mathjax_path)
    if not (source / posixpath.basename(mathjax_path)).is_file():
        raise ExtensionError(
            f"mathjax_path is {mathjax_path!r}, but MathJax's es5 bundle has no "
            f"{posixpath.basename(mathjax_path)}; use a file of {source}, "
            "for example mathjax/tex-mml-chtml.js.")
    shutil.copytree(source, target, dirs_exist_ok=True)
    logger.info("local_mathjax: copied MathJax from %s to %s", source, target)


def setup(app: Sphinx):
    app.connect("config-inited", _check_config)
    app.connect("build-finished", _copy_mathjax)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
