"""Run settings shared by every chapter: quick mode, seeds and language.

Quick mode is what the tests use: ``BOOK_QUICK=1`` in the environment shrinks
epochs and subsets so that each notebook runs within 45 seconds on a 2-core CPU
(``tests/nbval_cache.py`` prints the slowest). The defaults in each notebook's
``parameters`` cell are the full run.
"""

from __future__ import annotations

import logging
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

#: The subsets (``data.take_subset``) on which every chapter trains and scores
#: ``models``' networks in quick mode: a model trained in quick mode is then the
#: same run wherever it is trained, so that the training cache finds an earlier
#: chapter's quick run of it instead of training it again. Small, because in
#: quick mode the point is that the code runs, and there most of a training is
#: fixed cost: on a 2-core CPU, one epoch of the small Inception-ResNet on the
#: 540 images left after validation took 5.0 s, of which 3.8 s until its first
#: batch ended (1.8 s tracing the training step, the rest preparing the graph)
#: and 80 ms for each batch after it.
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


class _QuickRetracingFilter(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" warning about
    Keras' own training and evaluation functions, in quick mode only.

    TensorFlow warns when 5 of the last 10 or so calls to functions with the
    same code were traced, a sign of a ``tf.function`` made in a loop. Every
    new model traces Keras' training function once and its evaluation function
    once, and both share that code; on quick mode's small subset an epoch is
    five batches, so two models trained in a row are enough for the warning,
    with nothing wrong. In the full run an epoch is at least a dozen batches and
    the warning cannot fire this way, so there it is left alone, as is the warning
    about any other function (a reader's own ``tf.function``).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("triggered tf.function retracing" in message
                    and "TensorFlowTrainer" in message and quick_mode())


#: Installed on TensorFlow's logger ("tensorflow") when this module is imported.
QUICK_RETRACING_FILTER = _QuickRetracingFilter()
logging.getLogger("tensorflow").addFilter(QUICK_RETRACING_FILTER)


def fit_verbose():
    """The ``verbose`` argument for ``model.fit``: a live bar, or one line per epoch.

    A reader running a notebook gets Keras' live progress bar (``"auto"``).
    When the book is built (``BOOK_BUILD=1``, set by the site's Sphinx
    extension) the output is stored on a page, so one clean line per epoch
    (``2``) is shown instead of hundreds of progress-bar updates.
    """
    return 2 if os.environ.get("BOOK_BUILD") == "1" else "auto"
