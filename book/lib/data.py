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
* With a damaged copy (a download cut short, a truncated copy), Keras does not
  download over the existing file, so running again fails the same way:
  :class:`DatasetCorruptError` names the damaged files and says to delete them
  (``report.WORDS["data.corrupt"]``).

The chapter ``data_loading`` writes images to disk as one folder per class
(:func:`write_image_folder`) and checks such a tree before a loader reads it
(:func:`check_image_folder`).
"""

from __future__ import annotations

import gzip
import os
import tempfile
import zlib
from pathlib import Path

import numpy as np

from book.lib import report
from book.lib.config import check_language

NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)

#: What each of the four files must hold once decompressed: the IDX magic
#: number (2049 for labels, 2051 for images) and the number of items.
_FASHION_MNIST_CONTENTS = {
    "train-labels-idx1-ubyte.gz": (2049, 60000),
    "train-images-idx3-ubyte.gz": (2051, 60000),
    "t10k-labels-idx1-ubyte.gz": (2049, 10000),
    "t10k-images-idx3-ubyte.gz": (2051, 10000),
}
#: The file types that ``keras.utils.image_dataset_from_directory`` reads.
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


class DatasetUnavailableError(RuntimeError):
    """Fashion-MNIST is neither in the Keras cache nor downloadable."""


class DatasetCorruptError(DatasetUnavailableError):
    """A Fashion-MNIST file in the Keras cache is damaged (e.g. truncated)."""


def _keras_private_keras_home() -> str:
    """Keras' cache folder (``$KERAS_HOME`` or ``~/.keras``), as Keras reads it.

    Private Keras API, isolated here: ``keras.utils.get_file`` uses it, and no
    public function returns it.
    """
    from keras.src.backend import config as keras_config

    return keras_config.keras_home()


def fashion_mnist_cache_dir() -> Path:
    """The folder where ``keras.datasets.fashion_mnist`` keeps its four files.

    The same rule as ``keras.utils.get_file``: ``<keras home>/datasets/
    fashion-mnist``, or ``/tmp/.keras/datasets/fashion-mnist`` when the Keras
    home is not writable.
    """
    base = os.path.expanduser(_keras_private_keras_home())
    if not os.access(base, os.W_OK):
        base = os.path.join(
            "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return Path(base) / "datasets" / "fashion-mnist"


def check_fashion_mnist_files(folder: str | os.PathLike | None = None
                              ) -> list[tuple[Path, str]]:
    """The damaged Fashion-MNIST files in ``folder``, with what is wrong.

    Each file present must decompress whole and hold its IDX header (magic
    number and number of items) and exactly the bytes that header announces.
    This checks the content rather than a checksum of the ``.gz`` file, because
    copies from different sources (Keras' download, Debian's package) are
    compressed differently. Missing files are not listed: Keras downloads them.

    Args:
        folder: the cache folder; default :func:`fashion_mnist_cache_dir`.

    Returns:
        ``[(path, problem), ...]``, empty when every present file is sound.
    """
    folder = fashion_mnist_cache_dir() if folder is None else Path(folder)
    damaged = []
    for name, (magic, count) in _FASHION_MNIST_CONTENTS.items():
        path = folder / name
        if not path.is_file():
            continue
        try:
            with gzip.open(path, "rb") as stream:
                content = stream.read()
        except (OSError, EOFError, zlib.error) as err:
            damaged.append((path, f"{type(err).__name__}: {err}"))
            continue
        header = 8 if magic == 2049 else 16
        expected = header + count * (1 if magic == 2049 else 28 * 28)
        found_magic = int.from_bytes(content[:4], "big") if len(content) >= 4 else None
        if found_magic != magic or len(content) != expected:
            damaged.append((path, f"{len(content)} bytes once decompressed, "
                                  f"{expected} expected (IDX magic {found_magic}, "
                                  f"{magic} expected)"))
    return damaged


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
        DatasetCorruptError: naming the damaged files and saying to delete
            them, when a file in the cache is truncated or otherwise damaged.
    """
    check_language(lang)
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = (
            keras.datasets.fashion_mnist.load_data())
    except Exception as err:  # Keras wraps network errors in plain Exception.
        cause = f"{type(err).__name__}: {err}".strip()
        damaged = check_fashion_mnist_files()
        if damaged:
            # Keras never downloads over an existing file: running again would
            # fail the same way, so say which files to delete.
            files = "\n".join(f"      {path}  ({problem})" for path, problem in damaged)
            paths = " ".join(str(path) for path, _ in damaged)
            raise DatasetCorruptError(report.word("data.corrupt", lang).format(
                files=files, paths=paths, cause=cause)) from err
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

    Quick mode trains on a few hundred images; balancing keeps every class
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


def write_image_folder(x: np.ndarray, y: np.ndarray,
                       directory: str | os.PathLike) -> list[Path]:
    """Writes images as PNG files, one folder per class, as a camera roll would be.

    The layout that ``keras.utils.image_dataset_from_directory`` reads:
    ``directory/<label>/<index>.png``, with the label zero-padded so that the
    folders sort in label order (``0``...``9``) and the index being the image's
    position in ``x``, so that a reader can find the original.

    Args:
        x: ``uint8`` images, ``(n, height, width)`` or ``(n, height, width, c)``
            with ``c`` 1 (grey) or 3 (RGB); PNG stores them exactly.
        y: ``n`` non-negative integer labels.
        directory: where to write; it must not exist yet, or be empty.

    Returns:
        The paths written, in the order of ``x``.

    Raises:
        TypeError: if ``x`` is not ``uint8`` or ``y`` not integers.
        ValueError: for shapes that are not images, labels that do not match
            the images, or a ``directory`` that already holds files.
    """
    from PIL import Image

    x, y = np.asarray(x), np.asarray(y)
    if x.dtype != np.uint8:
        raise TypeError(
            "x must hold uint8 pixels in 0..255, which PNG stores exactly; "
            f"received dtype {x.dtype}. Convert first, e.g. "
            "(255 * x).round().astype('uint8') for floats in [0, 1].")
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if not (x.ndim == 3 or (x.ndim == 4 and x.shape[-1] == 3)) or len(x) == 0:
        raise ValueError(
            "x must be a non-empty batch of images, (n, height, width) or "
            f"(n, height, width, 1 or 3); received shape {x.shape}.")
    if not np.issubdtype(y.dtype, np.integer) or y.ndim != 1:
        raise TypeError(
            "y must be a 1-D array of integer labels; received "
            f"dtype {y.dtype} and shape {y.shape}.")
    if len(y) != len(x) or y.min() < 0:
        raise ValueError(
            "y must hold one non-negative label per image; received "
            f"{len(y)} labels (smallest {y.min()}) for {len(x)} images.")
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ValueError(
            f"directory must be a new or empty folder; {directory} already "
            "holds files. Pass a new path (e.g. from tempfile.mkdtemp()) or "
            "delete the old tree first.")
    width = len(str(int(y.max())))
    digits = len(str(len(x) - 1))
    paths = []
    for index, (image, label) in enumerate(zip(x, y)):
        folder = directory / f"{int(label):0{width}d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{index:0{digits}d}.png"
        Image.fromarray(image).save(path)
        paths.append(path)
    return paths


def check_image_folder(directory: str | os.PathLike) -> dict[str, int]:
    """Checks a one-folder-per-class tree of images before a loader reads it.

    ``keras.utils.image_dataset_from_directory`` counts an empty class folder
    as a class (so labels and the model's outputs no longer match) and fails
    on a corrupt file only when it reaches it, batches into training. This
    reads every image file (the extensions that Keras reads) once, whole.

    Args:
        directory: the root of the tree: one sub-folder per class.

    Returns:
        The number of images of each class folder, in sorted order.

    Raises:
        ValueError: if ``directory`` is not a folder or has no class folders,
            if a class folder holds no image, or if a file cannot be decoded;
            the message names the folder or the file and how to fix it.
    """
    from PIL import Image, UnidentifiedImageError

    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(
            f"directory must be a folder with one sub-folder per class; "
            f"received {str(directory)!r}, which "
            + ("is a file." if directory.exists() else "does not exist."))
    classes = sorted(p for p in directory.iterdir() if p.is_dir())
    if not classes:
        raise ValueError(
            f"{directory} has no class folders; expected one sub-folder per "
            "class (e.g. 0/, 1/, ...), each holding that class's images.")
    counts, empty, corrupt = {}, [], []
    for folder in classes:
        images = sorted(p for p in folder.rglob("*")
                        if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
        counts[folder.name] = len(images)
        if not images:
            empty.append(folder)
        for path in images:
            try:
                with Image.open(path) as image:
                    image.load()  # Decodes the whole file, not just its header.
            except (OSError, UnidentifiedImageError, SyntaxError) as err:
                corrupt.append(f"{path} ({type(err).__name__}: {err})")
    problems = []
    if empty:
        problems.append(
            "class folders without images (a loader would still count each as "
            "a class, so the labels would no longer match the model's outputs): "
            + ", ".join(str(p) for p in empty)
            + ". Add that class's images or delete the folder.")
    if corrupt:
        problems.append(
            f"{len(corrupt)} files that are not readable images: "
            + "; ".join(corrupt[:5]) + ("; ..." if len(corrupt) > 5 else "")
            + ". Delete or replace them.")
    if problems:
        raise ValueError(f"{directory} is not a clean image tree: found "
                         + " Also found ".join(problems))
    return counts
