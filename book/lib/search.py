"""Hyper-parameter search by hand and with KerasTuner, of the chapter ``hparam_search``.

The chapter first writes grid and random search as plain loops over
configurations (dicts of hyper-parameter values): :func:`grid` lists every
combination of a space of discrete values, :func:`random_configs` draws a
fixed number of them, with a seed, from a space that may hold ranges
(:class:`Uniform`, linear or logarithmic) as well as lists. Each
configuration is then trained with :func:`book.lib.training.train`, whose
cache serves both languages of the book.

KerasTuner keeps its own record of a search (the oracle's trials and each
trial's checkpoint) in ``directory/project_name``; with ``overwrite=False`` a
tuner built again over the same folder reloads the finished search instead of
searching again. :func:`tuner_directory` gives that folder: in a book build
(``BOOK_BUILD=1``) a folder under ``<repo>/_build/tuner_cache/`` named by a
hash of everything the search depends on, so that the second language and a
rebuild show the same search without running it; anywhere else a fresh
temporary folder, so that a reader's search always runs live.
:func:`run_tuner` runs ``tuner.search``, timing it and counting the epochs
that its trials trained, and stores both beside the tuner's own record.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping

import keras
import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Where finished KerasTuner searches live in a book build; read at call time.
CACHE_DIR = REPO_ROOT / "_build" / "tuner_cache"
_RUN_FILE = "search_run.json"


@dataclasses.dataclass(frozen=True)
class Uniform:
    """A range of real values for :func:`random_configs`.

    Attributes:
        low: the smallest value.
        high: the largest value, greater than ``low``.
        log: draw uniformly in ``log(value)`` (for learning rates, say) instead
            of in ``value``; then ``low`` must be positive.
    """

    low: float
    high: float
    log: bool = False

    def __post_init__(self):
        for name in ("low", "high"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                    not math.isfinite(value)):
                raise TypeError(
                    f"Uniform's {name} must be a finite number; received "
                    f"{name}={value!r}.")
        if not self.low < self.high:
            raise ValueError(
                "Uniform needs low < high; received "
                f"low={self.low!r}, high={self.high!r}. Swap them, or use a list "
                "of one value for a fixed hyper-parameter.")
        if self.log and self.low <= 0:
            raise ValueError(
                "Uniform(log=True) needs a positive low; received "
                f"low={self.low!r}. Use e.g. Uniform(1e-4, 1e-2, log=True).")

    def draw(self, rng: np.random.Generator) -> float:
        """One value, drawn with ``rng``."""
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low),
                                              math.log(self.high))))
        return float(rng.uniform(self.low, self.high))


def _check_space(space, allow_ranges: bool) -> dict:
    if not isinstance(space, Mapping):
        raise TypeError(
            "space must be a dict from hyper-parameter name to its values; "
            f"received {type(space).__name__}.")
    if not space:
        raise ValueError(
            "space is empty: there is nothing to search. Give at least one "
            "hyper-parameter, e.g. {'learning_rate': [1e-3, 1e-2]}.")
    checked = {}
    for name, values in space.items():
        if isinstance(values, Uniform):
            if not allow_ranges:
                raise ValueError(
                    f"a grid needs a list of values for {name!r}; received "
                    f"{values!r}. List the values to try, or use random_configs.")
            checked[name] = values
            continue
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
            raise TypeError(
                f"the values of {name!r} must be a list (or a Uniform range, for "
                f"random_configs); received {values!r}.")
        if len(values) == 0:
            raise ValueError(
                f"the values of {name!r} are empty: the space has no "
                "configuration. Give at least one value.")
        checked[name] = list(values)
    return checked


def grid(space: Mapping[str, Any]) -> list[dict]:
    """Every combination of the values of ``space``, the last name varying fastest.

    Args:
        space: ``{name: [value, ...]}``, at least one name, each with at least
            one value.

    Returns:
        One dict per configuration, ``prod(len(values))`` of them.

    Raises:
        ValueError: if the space or one of its lists is empty, or holds a
            :class:`Uniform` range (a grid needs listed values).
        TypeError: if ``space`` is not a dict of lists.

    Reference:
        Bergstra and Bengio (2012), Random Search for Hyper-Parameter
        Optimization, JMLR 13.
    """
    space = _check_space(space, allow_ranges=False)
    names = list(space)
    return [dict(zip(names, values))
            for values in itertools.product(*(space[n] for n in names))]


def random_configs(space: Mapping[str, Any], num_trials: int,
                   seed: int = 0) -> list[dict]:
    """``num_trials`` configurations drawn independently from ``space``.

    Each hyper-parameter is drawn on its own: a list gives one of its values
    with equal probability, a :class:`Uniform` a value in its range. With
    ``num_trials`` trials, each hyper-parameter takes (almost surely, for a
    range) ``num_trials`` distinct values, where a grid of the same size
    gives each only a few: Bergstra and Bengio's argument.

    Args:
        space: ``{name: [value, ...] or Uniform(...)}``, at least one name.
        num_trials: how many configurations, a positive integer.
        seed: seed of the draws, so that the search repeats.

    Returns:
        A list of ``num_trials`` dicts.

    Raises:
        ValueError: if the space or one of its lists is empty, or
            ``num_trials`` is not positive.
        TypeError: if ``space`` is not a dict, or ``num_trials`` not an integer.
    """
    space = _check_space(space, allow_ranges=True)
    if isinstance(num_trials, bool) or not isinstance(num_trials, (int, np.integer)):
        raise TypeError(
            f"num_trials must be an integer; received num_trials={num_trials!r}.")
    if num_trials < 1:
        raise ValueError(
            "num_trials is the search's budget and must be at least 1; received "
            f"num_trials={num_trials!r}.")
    rng = np.random.default_rng(seed)
    configs = []
    for _ in range(int(num_trials)):
        config = {}
        for name, values in space.items():
            if isinstance(values, Uniform):
                config[name] = values.draw(rng)
            else:
                value = values[int(rng.integers(len(values)))]
                config[name] = value.item() if isinstance(value, np.generic) else value
        configs.append(config)
    return configs


def _digest(settings: Mapping[str, Any]) -> str:
    try:
        text = json.dumps(settings, sort_keys=True, default=str)
    except TypeError as error:  # Keys that are not strings, say.
        raise TypeError(
            "settings must be a JSON-like dict (strings, numbers, lists, dicts); "
            f"it could not be written: {error}.") from None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def tuner_directory(name: str, settings: Mapping[str, Any]) -> tuple[str, str]:
    """``(directory, project_name)`` for a KerasTuner tuner built with overwrite=False.

    In a book build (``BOOK_BUILD=1``) the project is
    ``<CACHE_DIR>/<name>-<hash of settings>``: the same search (the same
    ``settings``) finds its finished record there, a changed one gets a new
    folder. Put in ``settings`` everything the search depends on: the
    tuner's class and arguments, the code of the model builder, the epochs,
    the seeds, a fingerprint of the data (:func:`fingerprint`) and the
    library versions. Outside a build, a fresh temporary folder: the search
    runs live.

    Args:
        name: a short name of the search (letters, digits, ``_`` and ``-``).
        settings: a JSON-like dict that identifies the search.

    Returns:
        The ``directory`` and ``project_name`` arguments of the tuner.

    Raises:
        ValueError: if ``name`` is empty or has other characters, or
            ``settings`` is empty.
    """
    if not isinstance(name, str) or not name or not all(
            c.isalnum() or c in "_-" for c in name):
        raise ValueError(
            "name must be a non-empty string of letters, digits, '_' and '-'; "
            f"received name={name!r}.")
    if not isinstance(settings, Mapping) or not settings:
        raise ValueError(
            "settings must be a non-empty dict of what the search depends on "
            f"(tuner, epochs, seed, data...); received settings={settings!r}.")
    project_name = f"{name}-{_digest(settings)}"
    if os.environ.get("BOOK_BUILD") == "1":
        directory = Path(CACHE_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        return str(directory), project_name
    return tempfile.mkdtemp(prefix="tuner_"), project_name


def fingerprint(*arrays: np.ndarray) -> str:
    """SHA-256 (16 hex digits) of the shapes, dtypes and bytes of ``arrays``."""
    if not arrays:
        raise ValueError("fingerprint needs at least one array; received none.")
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.shape}{array.dtype}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


class _EpochCounter(keras.callbacks.Callback):
    """Counts the epochs trained, over all the trials of a search."""

    def __init__(self):
        super().__init__()
        self.epochs = 0

    def __deepcopy__(self, memo):
        # KerasTuner deep-copies the callbacks for each trial; one counter
        # must see them all.
        return self

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1


@dataclasses.dataclass(frozen=True)
class SearchRun:
    """What :func:`run_tuner` measured.

    Attributes:
        seconds: wall time of ``tuner.search``, in seconds (of the original
            run, when it came from the folder).
        epochs: epochs trained over all the trials: the search's budget spent.
        trials: trials the search ran.
        from_cache: True when the finished search was found in its folder and
            not run again.
    """

    seconds: float
    epochs: int
    trials: int
    from_cache: bool


def run_tuner(tuner, *args, callbacks=(), **kwargs) -> SearchRun:
    """Runs ``tuner.search(*args, callbacks=..., **kwargs)``, timed, unless done.

    If the tuner's project folder already holds this function's record of a
    finished search (the tuner was built with ``overwrite=False`` over a
    folder of :func:`tuner_directory`), the search is not run again: the
    tuner has already reloaded its trials, and the record gives back the
    time and epochs of the original run.

    Args:
        tuner: a KerasTuner tuner (``RandomSearch``, ``GridSearch``,
            ``Hyperband``...).
        *args: passed to ``tuner.search`` (the training data).
        callbacks: Keras callbacks for every trial (``EarlyStopping``...).
        **kwargs: passed to ``tuner.search`` (``epochs``, ``validation_data``...).

    Returns:
        A :class:`SearchRun`.

    Raises:
        TypeError: if ``tuner`` has no ``search`` method or ``project_dir``.
        RuntimeError: if a trial failed (the record is then not written).
    """
    if not hasattr(tuner, "search") or not hasattr(tuner, "project_dir"):
        raise TypeError(
            "tuner must be a KerasTuner tuner (with search() and project_dir); "
            f"received {type(tuner).__name__}.")
    record = Path(tuner.project_dir) / _RUN_FILE
    if record.is_file():
        saved = json.loads(record.read_text(encoding="utf-8"))
        return SearchRun(saved["seconds"], saved["epochs"], saved["trials"], True)
    counter = _EpochCounter()
    start = time.perf_counter()
    tuner.search(*args, callbacks=[*callbacks, counter], **kwargs)
    seconds = time.perf_counter() - start
    trials = len(tuner.oracle.trials)
    failed = [t.trial_id for t in tuner.oracle.trials.values()
              if str(t.status) == "FAILED"]
    if failed:
        # KerasTuner logs a failed trial and goes on; a search with failed
        # trials is not a result to keep.
        raise RuntimeError(
            f"{len(failed)} of the {trials} trials failed (ids {failed}); their "
            "traceback is printed above. Fix the model builder and search again.")
    record.write_text(json.dumps({"seconds": seconds, "epochs": counter.epochs,
                                  "trials": trials}), encoding="utf-8")
    return SearchRun(seconds, counter.epochs, trials, False)
