"""Fashion-MNIST for the chapters, loaded through ``keras.datasets``.

The first chapter (``deep_networks``) shows how the arrays look; later chapters
call :func:`load_fashion_mnist` and, in quick mode, :func:`take_subset`.

Where the data comes from:

* On a connected machine (Colab included) Keras downloads the four files once
  into its cache, ``~/.keras/datasets/fashion-mnist`` (or ``$KERAS_HOME``).
* Offline, Keras reads the same cache. Debian's ``dataset-fashion-mnist``
  package installs the files under ``/usr/share/datasets/fashion-mnist``, with
  the names Keras expects, so ``KERAS_HOME=/usr/share`` (what the tests and CI
  use) or a link ``~/.keras/datasets/fashion-mnist`` to that folder works.
* With neither, :class:`DatasetUnavailableError` says how to get the data, in the
  reader's language (``report.WORDS["data.unavailable"]``). Nothing here ever
  makes up a stand-in.
"""

from __future__ import annotations

import numpy as np

from book.lib import report
from book.lib.config import check_language

NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)

class DatasetUnavailableError(RuntimeError):
    """Fashion-MNIST is neither in the Keras cache nor downloadable."""


def class_names(lang: str = "en") -> tuple[str, ...]:
    """The ten Fashion-MNIST class names, in label order, in ``lang``.

    They live with the book's other words, as ``report.WORDS["data.class_names"]``.
    """
    return report.word("data.class_names", lang)


def load_fashion_mnist(lang: str = "en", *, scale: bool = True,
                       channel_axis: bool = True):
    """Loads the real Fashion-MNIST (60,000 training and 10,000 test images).

    Args:
        lang: ``"es"`` or ``"en"``: the language of the error message if the
            data cannot be found.
        scale: convert pixels to ``float32`` in ``[0, 1]`` (otherwise ``uint8``
            in ``[0, 255]``, as stored).
        channel_axis: add a trailing channel axis, giving ``(n, 28, 28, 1)``,
            which is what ``Conv2D`` expects.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``; labels are ``uint8`` in
        ``0..9``.

    Raises:
        DatasetUnavailableError: with instructions in ``lang`` when the files
            are not in the Keras cache and cannot be downloaded.
    """
    check_language(lang)
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = (
            keras.datasets.fashion_mnist.load_data())
    except Exception as err:  # Keras wraps network errors in plain Exception.
        cause = f"{type(err).__name__}: {err}".strip()
        raise DatasetUnavailableError(
            report.word("data.unavailable", lang).format(cause=cause)) from err
    if scale:
        x_train = x_train.astype("float32") / 255.0
        x_test = x_test.astype("float32") / 255.0
    if channel_axis:
        x_train, x_test = x_train[..., None], x_test[..., None]
    return (x_train, y_train), (x_test, y_test)


def take_subset(x: np.ndarray, y: np.ndarray, size: int | None,
                seed: int = 0):
    """A class-balanced random subset of ``size`` examples (all if None).

    Quick mode trains on a few thousand images; balancing keeps every class
    present so that accuracies and confusion matrices stay meaningful.

    Args:
        x: inputs, first axis the examples.
        y: integer labels, same length as ``x``.
        size: how many examples to keep, at most ``len(x)``; None keeps all.
        seed: seed of the shuffle, so that runs repeat.

    Returns:
        ``(x_subset, y_subset)`` in a shuffled order.
    """
    if len(x) != len(y):
        raise ValueError(
            "x and y must have the same number of examples; "
            f"received len(x)={len(x)} and len(y)={len(y)}.")
    if size is None:
        return x, y
    if not isinstance(size, (int, np.integer)) or not 0 < size <= len(x):
        raise ValueError(
            f"size must be an integer between 1 and {len(x)} (or None for all "
            f"examples); received size={size!r}.")
    rng = np.random.default_rng(seed)
    labels = np.unique(y)
    per_class = [rng.permutation(np.flatnonzero(y == c)) for c in labels]
    # Round-robin over the classes, so every class gets size // n_classes or one more.
    order = [idx for group in zip(*per_class) for idx in group]
    leftovers = [i for group in per_class for i in group[min(map(len, per_class)):]]
    chosen = np.array((order + list(rng.permutation(leftovers)))[:size])
    chosen = rng.permutation(chosen)
    return x[chosen], y[chosen]
