"""Run settings shared by every chapter: quick mode, seeds and language.

Quick mode is what the tests use: ``BOOK_QUICK=1`` in the environment shrinks
epochs and subsets so that each notebook runs in well under 90 seconds on a
2-core CPU. The defaults in each notebook's ``parameters`` cell are the full run.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

LANGUAGES = ("es", "en")

#: Where Debian's ``dataset-fashion-mnist`` package puts the files, under the
#: names Keras expects below ``$KERAS_HOME``.
SYSTEM_KERAS_HOME = Path("/usr/share")
FASHION_MNIST_SUBDIR = Path("datasets") / "fashion-mnist"
FASHION_MNIST_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)

#: Quick mode's training and test subsets (``data.take_subset``), one pair for
#: every chapter: a model trained in quick mode is then the same run wherever
#: it is trained, so that the training cache finds an earlier chapter's quick
#: run of it instead of training it again. Small, because in quick mode the
#: point is that the code runs: one epoch of the small Inception-ResNet costs
#: about 5 s of tracing and 2 s of compute per 1,000 images on a 2-core CPU.
QUICK_TRAIN_SIZE = 600
QUICK_TEST_SIZE = 1_000

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def quick_mode() -> bool:
    """Whether ``BOOK_QUICK`` asks for the short run that the tests use.

    Returns:
        True when ``BOOK_QUICK`` is ``1``/``true``/``yes``/``on``; False when it
        is unset, empty or ``0``/``false``/``no``/``off``.

    Raises:
        ValueError: for any other value, so a typo never silently runs the long
            version.
    """
    value = os.environ.get("BOOK_QUICK", "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        "BOOK_QUICK must be 1 (quick run) or 0 (full run); "
        f"received BOOK_QUICK={os.environ['BOOK_QUICK']!r}. "
        "Unset it or set it to 0 for the full run.")


def set_seeds(seed: int = 42) -> None:
    """Seeds Python, NumPy and TensorFlow (through Keras) in one call.

    Weights start the same and data is shuffled the same in every run, so
    results repeat closely; parallel CPU threads and GPUs may still change the
    last digits (TensorFlow's op determinism is left off, as it slows training).

    Args:
        seed: a non-negative integer.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(
            f"seed must be a non-negative integer; received seed={seed!r}.")
    import keras

    random.seed(seed)
    keras.utils.set_random_seed(seed)  # Python, NumPy and the backend.


def check_language(lang: str) -> str:
    """Returns ``lang`` if the book is written in it, else raises ValueError."""
    if lang not in LANGUAGES:
        raise ValueError(
            f"lang must be one of {LANGUAGES}; received lang={lang!r}.")
    return lang


def use_system_keras_home() -> Path | None:
    """Points ``KERAS_HOME`` at Debian's Fashion-MNIST when that is the only copy.

    Keras reads ``KERAS_HOME`` when it is imported, so this only acts before the
    first ``import keras``, only when ``KERAS_HOME`` is unset, and only when the
    files are missing from ``~/.keras`` but present under ``/usr/share`` (from
    ``apt-get install dataset-fashion-mnist``) in a directory Keras can use as
    its cache. It never invents data.

    Returns:
        The directory now used as ``KERAS_HOME``, or None if nothing changed.
    """
    if "KERAS_HOME" in os.environ or "keras" in sys.modules:
        return None
    user_copy = Path.home() / ".keras" / FASHION_MNIST_SUBDIR
    system_copy = SYSTEM_KERAS_HOME / FASHION_MNIST_SUBDIR
    if all((user_copy / f).is_file() for f in FASHION_MNIST_FILES):
        return None
    # Keras falls back to /tmp/.keras when KERAS_HOME is not writable, so the
    # system copy only helps where it is (as root, as in CI).
    if (all((system_copy / f).is_file() for f in FASHION_MNIST_FILES)
            and os.access(SYSTEM_KERAS_HOME, os.W_OK)):
        os.environ["KERAS_HOME"] = str(SYSTEM_KERAS_HOME)
        return SYSTEM_KERAS_HOME
    return None


def fit_verbose():
    """The ``verbose`` argument for ``model.fit``: a live bar, or one line per epoch.

    A reader running a notebook gets Keras' live progress bar (``"auto"``).
    When the book is built (``BOOK_BUILD=1``, set by the site's Sphinx
    extension) the output is stored on a page, so one clean line per epoch
    (``2``) is shown instead of hundreds of progress-bar updates.
    """
    return 2 if os.environ.get("BOOK_BUILD") == "1" else "auto"
