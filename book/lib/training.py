"""A thin compile-and-fit wrapper for the later chapters, with timings.

The first chapter (``deep_networks``) shows ``model.compile`` and ``model.fit``
by hand; from then on the chapters call :func:`train`, which does the same
with the book's defaults and also measures how long each epoch took and how
many training images per second the model processed.

Trained once, shared by both languages: every chapter has a Spanish and an
English copy with identical code, so building the website would train each
model twice. When the book is built (``BOOK_BUILD=1``, set by the site's Sphinx
extension) :func:`train` keeps a cache under ``<repo>/_build/train_cache/``: the
second language finds the weights, the history and the timings of the first
run and loads them, so both pages quote the same run. A reader running a
notebook (no ``BOOK_BUILD``) always trains live.

Quick mode (``BOOK_QUICK=1``) is the notebook's business: its ``parameters``
cell picks fewer epochs and a smaller subset explicitly; :func:`train` never
changes ``epochs`` behind the reader's back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import numbers
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from book.lib import config

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Where cached training runs live; read at call time, so tests may replace it.
CACHE_DIR = REPO_ROOT / "_build" / "train_cache"
#: Bump when the layout of a cache entry or the key changes.
CACHE_FORMAT = 1
DEFAULT_VALIDATION_SPLIT = 0.1
DEFAULT_LEARNING_RATE = 1e-3

_WEIGHTS_FILE = "model.weights.h5"
_HISTORY_FILE = "history.csv"
_TIMING_FILE = "timing.json"
_LOG_FILE = "fit_log.txt"
_ENTRY_FILES = (_WEIGHTS_FILE, _HISTORY_FILE, _TIMING_FILE, _LOG_FILE)


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """What :func:`train` measured.

    Attributes:
        history: one row per epoch: ``epoch`` (from 1), the losses and metrics
            that Keras recorded (``loss``, ``accuracy``, ``val_loss``,
            ``val_accuracy``...), ``seconds`` (wall time of the epoch,
            validation included), ``train_seconds`` (the training part of
            it) and ``images_per_second`` (training images / train_seconds).
        seconds: wall time of the whole ``fit`` call, in seconds.
        images_per_second: steady training throughput: training images per
            second over the epochs after the first (the first also traces
            and compiles the graph); with a single epoch, that epoch's.
        from_cache: True when the run was loaded from the training cache
            (the timings are then those of the original run).
        cache_key: the cache key, or None when the cache was off.
    """

    history: pd.DataFrame
    seconds: float
    images_per_second: float
    from_cache: bool
    cache_key: str | None = None


class EpochTimer(keras.callbacks.Callback):
    """Wall time of each epoch, and of its training part, in seconds.

    Keras runs validation inside the epoch (between the last training batch
    and ``on_epoch_end``), so the training part ends at ``on_test_begin``.
    """

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []
        self.train_seconds: list[float] = []
        self._start = None
        self._train_end = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._train_end = None

    def on_test_begin(self, logs=None):
        # Also called by a plain evaluate(), outside any epoch: ignore that.
        if self._start is not None and self._train_end is None:
            self._train_end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        end = time.perf_counter()
        self.seconds.append(end - self._start)
        self.train_seconds.append((self._train_end or end) - self._start)
        self._start = None


class _Tee:
    """A stdout that also keeps a copy of what is written to it."""

    def __init__(self, stream):
        self._stream = stream
        self.parts: list[str] = []

    def write(self, text):
        self.parts.append(text)
        return self._stream.write(text)

    def flush(self):
        self._stream.flush()

    def __getattr__(self, name):  # isatty, encoding... of the real stream.
        return getattr(self._stream, name)


def _positive_int(value, name: str, hint: str = "") -> int:
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or value < 1):
        raise ValueError(
            f"{name} must be a positive integer; received {name}={value!r}."
            + (f" {hint}" if hint else ""))
    return int(value)


def _as_array(values, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim == 0 or array.dtype == object:
        raise TypeError(
            f"{name} must be a NumPy array (or convertible to one) with the "
            f"examples on the first axis; received {type(values).__name__}"
            + (" of dtype object" if array.dtype == object else "") + ".")
    return array


def _fingerprint(array: np.ndarray) -> dict:
    """Shape, dtype and SHA-256 of the bytes of an array."""
    contiguous = np.ascontiguousarray(array)
    digest = hashlib.sha256(contiguous.reshape(-1).view(np.uint8)).hexdigest()
    return {"shape": list(array.shape), "dtype": str(array.dtype),
            "sha256": digest}


def _weights_fingerprint(model) -> str:
    """SHA-256 of the model's current weights, so a further run of an
    already trained model never matches the run that trained it."""
    digest = hashlib.sha256()
    for weights in model.get_weights():
        weights = np.ascontiguousarray(weights)
        digest.update(repr((weights.shape, str(weights.dtype))).encode())
        digest.update(weights.reshape(-1).view(np.uint8))
    return digest.hexdigest()


def _describe(obj):
    """A JSON-able description of a loss, metric or optimizer argument."""
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    try:
        return keras.saving.serialize_keras_object(obj)
    except Exception:  # Not serializable: its class is the best we have.
        return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _describe_callback(callback) -> dict:
    """A callback's class and its simple public settings (patience, monitor...)."""
    settings = {k: v for k, v in sorted(vars(callback).items())
                if not k.startswith("_")
                and isinstance(v, (str, bool, int, float, type(None)))}
    return {"class": f"{type(callback).__module__}.{type(callback).__qualname__}",
            "settings": settings}


def _architecture(model) -> dict:
    """The model's JSON description, without its compile settings (which the
    key holds apart, without the optimizer's creation-order name)."""
    description = json.loads(model.to_json())
    description.pop("compile_config", None)
    return description


def _optimizer_config(optimizer) -> dict:
    config_ = keras.optimizers.serialize(optimizer)
    # Keras numbers its optimizers (adam, adam_1...) in creation order.
    config_.get("config", {}).pop("name", None)
    return config_


def _train_count(n: int, validation_split: float) -> int:
    """How many examples Keras trains on, as ``fit`` splits them."""
    # The same rule as keras' train_validation_split: the last part validates.
    return int(math.floor(n * (1.0 - validation_split))) if validation_split else n


def _entry_complete(entry: Path) -> bool:
    return all((entry / name).is_file() for name in _ENTRY_FILES)


def train(model, x, y, *, epochs: int, batch_size: int = 128,
          validation_split: float | None = None, validation_data=None,
          optimizer="adam", learning_rate: float | None = None,
          loss="sparse_categorical_crossentropy", metrics=("accuracy",),
          callbacks=(), seed: int = 42, verbose=None, cache: bool | None = None,
          cache_dir: str | os.PathLike | None = None) -> TrainResult:
    """Compiles and fits ``model`` with the book's defaults, timing each epoch.

    The first chapter (``deep_networks``) does these steps by hand; this
    wrapper is for the later chapters. ``model`` is trained in place (or, on a
    cache hit, gets the weights of the cached run).

    Args:
        model: a built, not yet trained Keras model. Seed its initial weights
            by calling ``config.set_seeds`` before building it.
        x: training inputs, a NumPy array with the examples on the first axis.
        y: training labels, one per example.
        epochs: how many passes over the training data (at least 1). Quick
            mode lowers it in the notebook's ``parameters`` cell, not here.
        batch_size: examples per gradient step.
        validation_split: fraction of ``x`` (its last part, as Keras takes it)
            kept for validation; default 0.1 when ``validation_data`` is None.
            0 trains without validation.
        validation_data: ``(x_val, y_val)`` to validate on instead of a split.
        optimizer: a Keras optimizer name (``"adam"``, ``"sgd"``...) or
            instance.
        learning_rate: for an optimizer given by name; default 1e-3. Set it on
            the instance instead when you pass one.
        loss: the loss, as ``model.compile`` takes it.
        metrics: metrics to record, as ``model.compile`` takes them.
        callbacks: extra Keras callbacks. On a cache hit they do not run.
        seed: seeds the shuffling and dropout (through ``config.set_seeds``),
            and reseeds once more after training, live or cached, so that what
            the notebook draws next does not depend on which one it was.
        verbose: ``model.fit``'s verbose; None means ``config.fit_verbose()``
            (a live bar for readers, one line per epoch on the website).
        cache: use the training cache; None means only when the book is being
            built (``BOOK_BUILD=1``).
        cache_dir: where the cache lives; None means :data:`CACHE_DIR`.

    Returns:
        A :class:`TrainResult` with the per-epoch history as a DataFrame and
        the timings.

    Raises:
        ValueError: for a non-positive ``epochs`` or ``batch_size``, inputs and
            labels of different lengths, a validation split that leaves no
            training or no validation example, or conflicting arguments.
        TypeError: if the data are not arrays.
    """
    epochs = _positive_int(
        epochs, "epochs", "For a short run, lower epochs in the notebook's "
        "parameters cell (quick mode does that), but keep it at least 1.")
    batch_size = _positive_int(batch_size, "batch_size")
    x, y = _as_array(x, "x"), _as_array(y, "y")
    if len(x) != len(y):
        raise ValueError(
            "x and y must have one entry per example; received "
            f"len(x)={len(x)} and len(y)={len(y)}. Check that both come from "
            "the same split (and the same take_subset call).")
    if len(x) == 0:
        raise ValueError("x and y are empty; pass at least one example.")
    if validation_data is not None:
        if validation_split is not None:
            raise ValueError(
                "Pass either validation_split or validation_data, not both; "
                f"received validation_split={validation_split!r} and "
                "validation_data.")
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError(
                "validation_data must be a pair (x_val, y_val); received "
                f"{type(validation_data).__name__}.")
        x_val, y_val = (_as_array(validation_data[0], "x_val"),
                        _as_array(validation_data[1], "y_val"))
        if len(x_val) != len(y_val):
            raise ValueError(
                "validation_data must have one label per example; received "
                f"len(x_val)={len(x_val)} and len(y_val)={len(y_val)}.")
        validation_data = (x_val, y_val)
        validation_split = 0.0
    elif validation_split is None:
        validation_split = DEFAULT_VALIDATION_SPLIT
    if (isinstance(validation_split, bool)
            or not isinstance(validation_split, numbers.Real)
            or not 0 <= validation_split < 1):
        raise ValueError(
            "validation_split must be a fraction in [0, 1), e.g. 0.1; "
            f"received validation_split={validation_split!r}.")
    n_train = _train_count(len(x), float(validation_split))
    if validation_split and not 0 < n_train < len(x):
        raise ValueError(
            f"validation_split={validation_split} of {len(x)} examples leaves "
            f"{n_train} for training and {len(x) - n_train} for validation; "
            "both need at least one. Use more examples or another split.")
    if isinstance(optimizer, str):
        optimizer = keras.optimizers.get({
            "class_name": optimizer,
            "config": {"learning_rate": (DEFAULT_LEARNING_RATE
                                         if learning_rate is None
                                         else learning_rate)}})
    elif learning_rate is not None:
        raise ValueError(
            "learning_rate only applies to an optimizer given by name; "
            f"received optimizer={type(optimizer).__name__}(...) and "
            f"learning_rate={learning_rate!r}. Set the rate on the optimizer "
            "instead, e.g. keras.optimizers.SGD(learning_rate=0.01).")
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    callbacks = list(callbacks)
    verbose = config.fit_verbose() if verbose is None else verbose
    if cache is None:
        cache = os.environ.get("BOOK_BUILD") == "1"

    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)

    entry = key = None
    if cache:
        spec = {
            "format": CACHE_FORMAT,
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
            "model": _architecture(model),
            "initial_weights": _weights_fingerprint(model),
            "optimizer": _optimizer_config(model.optimizer),
            "loss": _describe(loss),
            "metrics": [_describe(m) for m in metrics],
            "callbacks": [_describe_callback(c) for c in callbacks],
            "epochs": epochs,
            "batch_size": batch_size,
            "validation_split": float(validation_split),
            "validation_data": (None if validation_data is None else
                                [_fingerprint(a) for a in validation_data]),
            "seed": seed,
            "x": _fingerprint(x),
            "y": _fingerprint(y),
        }
        key = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str)
                             .encode()).hexdigest()
        root = Path(CACHE_DIR if cache_dir is None else cache_dir)
        entry = root / key
        if _entry_complete(entry):
            result = _load_entry(model, entry, key, verbose)
            config.set_seeds(seed)  # As after a live run; see below.
            return result

    config.set_seeds(seed)
    timer = EpochTimer()
    tee = _Tee(sys.stdout) if cache else None
    with (contextlib.redirect_stdout(tee) if tee else contextlib.nullcontext()):
        start = time.perf_counter()
        fit = model.fit(x, y, epochs=epochs, batch_size=batch_size,
                        validation_split=validation_split,
                        validation_data=validation_data,
                        callbacks=[timer, *callbacks], verbose=verbose)
        seconds = time.perf_counter() - start
    history = _history_frame(fit.history, timer, n_train)
    result = TrainResult(history=history, seconds=seconds,
                         images_per_second=_steady_throughput(timer, n_train),
                         from_cache=False, cache_key=key)
    if cache:
        _store_entry(model, entry, result, n_train, "".join(tee.parts))
    # Reseed after the run, live or cached, so that whatever the notebook draws
    # next (the next model's initial weights, a sample of images) is the same
    # on both languages' pages, whichever of them trained.
    config.set_seeds(seed)
    return result


def _history_frame(logs: dict, timer: EpochTimer, n_train: int) -> pd.DataFrame:
    """Keras' history as a DataFrame: epoch, training metrics, validation
    metrics, then the timings."""
    names = list(logs)
    train_names = [n for n in names if not n.startswith("val_")]
    val_names = [n for n in names if n.startswith("val_")]
    order = sorted(train_names, key=lambda n: n != "loss") + sorted(
        val_names, key=lambda n: n != "val_loss")
    frame = pd.DataFrame({name: [float(v) for v in logs[name]] for name in order})
    assert len(frame) == len(timer.seconds), "one timing per recorded epoch"
    frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
    frame["seconds"] = timer.seconds
    frame["train_seconds"] = timer.train_seconds
    frame["images_per_second"] = [n_train / s for s in timer.train_seconds]
    return frame


def _steady_throughput(timer: EpochTimer, n_train: int) -> float:
    """Training images per second, leaving out the first epoch when possible."""
    steady = timer.train_seconds[1:] or timer.train_seconds
    return n_train * len(steady) / sum(steady)


def _store_entry(model, entry: Path, result: TrainResult, n_train: int,
                 log: str) -> None:
    """Writes a cache entry atomically: a temporary folder, then a rename."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{entry.name[:16]}-",
                                      dir=entry.parent))
    try:
        model.save_weights(temporary / _WEIGHTS_FILE)
        result.history.to_csv(temporary / _HISTORY_FILE, index=False)
        (temporary / _TIMING_FILE).write_text(json.dumps({
            "seconds": result.seconds,
            "images_per_second": result.images_per_second,
            "train_images": n_train,
            "quick_mode": config.quick_mode(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }, indent=2))
        (temporary / _LOG_FILE).write_text(log)
        if entry.exists() and not _entry_complete(entry):
            shutil.rmtree(entry)  # A broken entry from an older layout.
        try:
            os.rename(temporary, entry)
        except OSError:
            # Another kernel stored the same run first: keep its entry.
            if not _entry_complete(entry):
                raise
            shutil.rmtree(temporary, ignore_errors=True)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _load_entry(model, entry: Path, key: str, verbose) -> TrainResult:
    """Loads a cached run into the compiled ``model`` and returns its record."""
    # Building the optimizer first restores its state too, and avoids Keras'
    # warning about skipping the saved optimizer variables.
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    model.load_weights(entry / _WEIGHTS_FILE)
    history = pd.read_csv(entry / _HISTORY_FILE, float_precision="round_trip")
    timing = json.loads((entry / _TIMING_FILE).read_text())
    if verbose:
        # The same lines that the original run printed, so that both
        # languages' pages show the same training output.
        sys.stdout.write((entry / _LOG_FILE).read_text())
    return TrainResult(history=history, seconds=float(timing["seconds"]),
                       images_per_second=float(timing["images_per_second"]),
                       from_cache=True, cache_key=key)
