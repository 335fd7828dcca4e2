"""Test settings shared by the unit tests and the notebook runs (nbval).

pytest.ini loads this module as a plugin (``-p tests.book_env``), so it applies
to every collected file, the notebooks under book/ included, and to the xdist
workers. The notebook kernels that nbval starts inherit this process's
environment, so the variables set here reach them too.
"""

import os
from pathlib import Path

# The tests run every notebook in quick mode: fewer epochs, smaller subsets.
os.environ.setdefault("BOOK_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

# Offline, Keras finds Fashion-MNIST in Debian's copy (apt-get install
# dataset-fashion-mnist), which has the file names Keras expects under
# $KERAS_HOME/datasets/fashion-mnist. Keras reads KERAS_HOME when imported.
_DEBIAN_HOME = Path("/usr/share")
if "KERAS_HOME" not in os.environ and (_DEBIAN_HOME / "datasets" / "fashion-mnist").is_dir():
    os.environ["KERAS_HOME"] = str(_DEBIAN_HOME)
