"""Sphinx extension: keep quick-mode and full-mode builds apart.

Jupyter Book caches executed notebooks on their code alone, and Sphinx reuses
pages whose source has not changed. Quick mode (``BOOK_QUICK=1``) changes what
the notebooks compute without changing their code, so without this extension a
full build after a quick preview would publish the quick numbers. Each mode
gets its own execution cache, and since that path is part of the Sphinx
configuration, switching modes makes Sphinx read every page again.
"""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.application import Sphinx


def _use_cache_of_this_mode(app: Sphinx, config) -> None:
    if config.nb_execution_cache_path:  # Set explicitly in _config.yml: respect it.
        return
    quick = os.environ.get("BOOK_QUICK", "").strip().lower() in {"1", "true", "yes", "on"}
    name = ".jupyter_cache_quick" if quick else ".jupyter_cache"
    config.nb_execution_cache_path = str(Path(app.outdir).parent / name)


def setup(app: Sphinx):
    app.connect("config-inited", _use_cache_of_this_mode)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
