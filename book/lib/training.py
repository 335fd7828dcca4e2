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

A cache that cannot serve a stale run: the key covers everything the run
depends on (see :func:`train`), including the code it runs (custom layers,
losses, metrics, schedules and callbacks, by their bytecode; this module and
``config`` by their source), and :func:`train` refuses, with a ValueError that
says why, what it cannot fingerprint honestly. On a cache hit the model does
not train, so callbacks do not run: the ones whose whole effect is on the run
(``EarlyStopping``, ``LearningRateScheduler``, ``ReduceLROnPlateau``,
``TerminateOnNaN``) get back their final counters (``stopped_epoch``,
``best``...), a ``ModelCheckpoint`` gets back the file it wrote, and any other
callback is refused with the cache on.

Quick mode (``BOOK_QUICK=1``) is the notebook's business: its ``parameters``
cell picks fewer epochs and a smaller subset explicitly; :func:`train` never
changes ``epochs`` behind the reader's back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import dis
import functools
import hashlib
import json
import math
import numbers
import os
import platform
import shutil
import sys
import sysconfig
import tempfile
import time
import types
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from book.lib import config

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Where cached training runs live; read at call time, so tests may replace it.
CACHE_DIR = REPO_ROOT / "_build" / "train_cache"
#: Bump when the layout of a cache entry or the way the key is built changes.
CACHE_FORMAT = 2
DEFAULT_BATCH_SIZE = 128
DEFAULT_VALIDATION_SPLIT = 0.1
DEFAULT_LEARNING_RATE = 1e-3

_WEIGHTS_FILE = "model.weights.h5"
_HISTORY_FILE = "history.csv"
_TIMING_FILE = "timing.json"
_LOG_FILE = "fit_log.txt"
_CALLBACKS_FILE = "callbacks.json"
_ENTRY_FILES = (_WEIGHTS_FILE, _HISTORY_FILE, _TIMING_FILE, _LOG_FILE,
                _CALLBACKS_FILE)


def _source_digest(paths) -> str:
    """SHA-256 of the names and bytes of the given source files."""
    digest = hashlib.sha256()
    for path in paths:
        path = Path(path)
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


#: The book's modules that :func:`train` runs: this one and ``config``.
_LIB_SOURCE_FILES = (Path(__file__), Path(config.__file__))
#: Their source, hashed once at import so that the key describes the code
#: that this process runs (an edit on disk counts from the next import).
_LIB_SOURCE_SHA256 = _source_digest(_LIB_SOURCE_FILES)

#: Callbacks whose whole effect is on the run (the weights and the history
#: that the cache stores); on a hit their final counters are restored.
_REPLAYABLE_CALLBACKS = (
    keras.callbacks.EarlyStopping,
    keras.callbacks.LearningRateScheduler,
    keras.callbacks.ReduceLROnPlateau,
    keras.callbacks.TerminateOnNaN,
)


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
            + (" of dtype object" if array.dtype == object else "") + "."
            + (" Pass the whole data as a tf.data.Dataset or a "
               "keras.utils.PyDataset instead." if name == "x" else ""))
    return array


# --- Data: arrays, tf.data.Dataset or keras.utils.PyDataset -----------------

def _tf_dataset_class():
    """``tf.data.Dataset`` when TensorFlow is loaded (Keras loads it), else None."""
    tf = sys.modules.get("tensorflow")
    return getattr(getattr(tf, "data", None), "Dataset", None)


def _is_dataset(data) -> bool:
    dataset_class = _tf_dataset_class()
    return ((dataset_class is not None and isinstance(data, dataset_class))
            or isinstance(data, keras.utils.PyDataset))


def _dataset_kind(data) -> str:
    return ("keras.utils.PyDataset" if isinstance(data, keras.utils.PyDataset)
            else "tf.data.Dataset")


def _num_batches(dataset, name: str, cache: bool) -> int | None:
    """Batches per epoch of a dataset; None when unknown (tf.data only).

    Raises:
        ValueError: for an infinite or empty dataset, or one of unknown
            length when the cache must read it whole.
    """
    if isinstance(dataset, keras.utils.PyDataset):
        try:
            count = dataset.num_batches
        except NotImplementedError:
            count = None
        if count is None:
            raise ValueError(
                f"{name} is a keras.utils.PyDataset without a length "
                f"({type(dataset).__name__} defines no __len__ or "
                "num_batches, or num_batches is None, i.e. infinite); train "
                "runs whole epochs, so it needs the number of batches. Define "
                "__len__ to return it.")
    else:
        import tensorflow as tf  # Loaded already: the data is a tf.data.Dataset.

        count = int(dataset.cardinality())
        if count == tf.data.INFINITE_CARDINALITY:
            raise ValueError(
                f"{name} is an infinite tf.data.Dataset (it repeats forever); "
                "train runs whole epochs, so it needs a finite one. Remove the "
                ".repeat() (epochs repeats the data) or end it with .take(n).")
        if count == tf.data.UNKNOWN_CARDINALITY:
            if cache:
                raise ValueError(
                    f"{name} is a tf.data.Dataset of unknown length (after a "
                    "filter() or from a generator), so the training cache "
                    "cannot tell that reading it will end. If you know its "
                    "number of batches n, declare it with "
                    "dataset.apply(tf.data.experimental.assert_cardinality(n)); "
                    "otherwise pass cache=False.")
            return None
    if count == 0:
        raise ValueError(f"{name} is an empty {_dataset_kind(dataset)}; it "
                         "must yield at least one batch.")
    return int(count)


def _batches(dataset, num_batches: int | None):
    """The batches of one pass over a dataset, as Python structures."""
    if isinstance(dataset, keras.utils.PyDataset):
        for index in range(num_batches):
            yield dataset[index]
    else:
        yield from dataset


def _leaves(structure) -> list[np.ndarray]:
    """The arrays of a batch, in a fixed order (dicts by key)."""
    if _tf_dataset_class() is not None:
        import tensorflow as tf

        # Ragged and sparse tensors become their component tensors.
        leaves = tf.nest.flatten(structure, expand_composites=True)
    else:  # pragma: no cover - the book runs on the TensorFlow backend.
        leaves = keras.tree.flatten(structure)
    return [np.asarray(keras.ops.convert_to_numpy(leaf)
                       if keras.ops.is_tensor(leaf) else leaf)
            for leaf in leaves]


def _scan_dataset(dataset, name: str, *, fingerprint: bool,
                  cache: bool) -> tuple[int, dict | None, tuple]:
    """Reads a dataset once: its examples per epoch and, if asked, a
    fingerprint of every element in the order of that pass.

    Returns:
        ``(num_examples, fingerprint, first_batch)``, the fingerprint None
        when not asked.

    Raises:
        ValueError: if the dataset is infinite or empty, or its batches are not
            ``(inputs, labels)`` or ``(inputs, labels, sample_weights)``.
    """
    num_batches = _num_batches(dataset, name, cache)
    digest = hashlib.sha256()
    if fingerprint and not isinstance(dataset, keras.utils.PyDataset):
        digest.update(repr(dataset.element_spec).encode())
    num_examples = seen_batches = 0
    first_batch = None
    for batch in _batches(dataset, num_batches):
        if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
            raise ValueError(
                f"{name} must yield (inputs, labels) batches, or (inputs, "
                "labels, sample_weights); received a batch of type "
                f"{type(batch).__name__}"
                + (f" of length {len(batch)}" if isinstance(batch, (tuple, list))
                   else "") + ".")
        inputs = _leaves(batch[0])
        num_examples += int(inputs[0].shape[0]) if inputs[0].ndim else 1
        seen_batches += 1
        if first_batch is None:
            first_batch = tuple(batch)
        if fingerprint:
            digest.update(repr(type(batch).__name__).encode())
            for leaf in [*inputs, *_leaves(list(batch[1:]))]:
                digest.update(repr((leaf.shape, str(leaf.dtype))).encode())
                if leaf.dtype == object:  # Strings: hash their values.
                    digest.update(repr(leaf.tolist()).encode())
                else:
                    digest.update(np.ascontiguousarray(leaf).reshape(-1)
                                  .view(np.uint8))
    if num_examples == 0:
        raise ValueError(f"{name} yielded no examples; it must yield at least "
                         "one batch.")
    if not fingerprint:
        return num_examples, None, first_batch
    record = {"kind": _dataset_kind(dataset), "batches": seen_batches,
              "examples": num_examples, "sha256": digest.hexdigest()}
    if isinstance(dataset, keras.utils.PyDataset):
        # Its code and state (seeds, shuffling) steer later epochs too.
        record["class"] = _describe_value(type(dataset), f"{name}'s class")
        record["state"] = _describe_value(vars(dataset), f"{name}'s attributes")
    return num_examples, record, first_batch


def _build_training_state(model, batch) -> None:
    """Creates the optimizer's and the compiled loss's and metrics' variables now.

    Without a distribution strategy, Keras (TensorFlow backend) creates them
    while it traces the first training step, and a ``tf.function`` that
    creates variables is traced a second time: one more trace of the whole
    forward pass, its gradients and the optimizer's update of every variable
    (measured for one epoch of the small Inception-ResNet on 1,800 images,
    validation included, on a 2-core CPU shared with another job: 15 s of
    ``fit`` became 8 to 11 s). Creating them beforehand, eagerly on one
    batch, leaves one trace. The metrics are reset afterwards, and nothing
    here draws random numbers (the model runs in inference mode), so the run
    is the same.

    Args:
        model: a compiled model.
        batch: ``(inputs, labels)`` or ``(inputs, labels, sample_weights)``;
            a few examples are enough.
    """
    inputs, labels, *weights = batch
    sample_weight = weights[0] if weights else None
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    predictions = model(inputs, training=False)
    model.compute_loss(x=inputs, y=labels, y_pred=predictions,
                       sample_weight=sample_weight, training=False)
    model.compute_metrics(inputs, labels, predictions, sample_weight=sample_weight)
    model.reset_metrics()


# --- Fingerprints for the cache key ------------------------------------------

def _fingerprint(array: np.ndarray) -> dict:
    """Shape, dtype and SHA-256 of the bytes of an array."""
    contiguous = np.ascontiguousarray(array)
    if contiguous.dtype == object:
        digest = hashlib.sha256(repr(contiguous.tolist()).encode()).hexdigest()
    else:
        digest = hashlib.sha256(
            contiguous.reshape(-1).view(np.uint8)).hexdigest()
    return {"shape": list(array.shape), "dtype": str(array.dtype),
            "sha256": digest}


def _variables_fingerprint(variables) -> str:
    """SHA-256 of the shapes, dtypes and values of a list of arrays/variables."""
    digest = hashlib.sha256()
    for value in variables:
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(value))
        digest.update(repr((value.shape, str(value.dtype))).encode())
        digest.update(value.reshape(-1).view(np.uint8))
    return digest.hexdigest()


def _weights_fingerprint(model) -> str:
    """SHA-256 of the model's current weights, so a further run of an
    already trained model never matches the run that trained it."""
    return _variables_fingerprint(model.get_weights())


def _versions() -> dict:
    """The software (and kind of hardware) that a run's numbers depend on."""
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "keras": keras.__version__, "backend": keras.backend.backend()}
    for name in ("tensorflow", "jax", "torch"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = getattr(module, "__version__", None)
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        versions["devices"] = sorted(
            d.device_type for d in tf.config.list_physical_devices())
    return versions


def _library_roots() -> tuple[Path, ...]:
    paths = sysconfig.get_paths()
    return tuple({Path(paths[k]).resolve() for k in ("stdlib", "platstdlib")
                  if k in paths})


@functools.lru_cache(maxsize=None)
def _module_is_library(module_name: str | None) -> bool:
    """Whether a module is installed code (the standard library, or a package
    in site-packages/dist-packages) that the versions in the key cover.

    Code in the repository, in a notebook (``__main__``) or anywhere else is
    the reader's, and the key hashes it.
    """
    if module_name in (None, "__main__"):
        return False
    module = sys.modules.get(module_name)
    if module is None:
        return False
    file = getattr(module, "__file__", None)
    if file is None:
        # Compiled into the interpreter (sys, math...), or a namespace package.
        return getattr(module, "__path__", None) is None
    path = Path(file).resolve()
    if REPO_ROOT in path.parents:
        return False
    return bool({"site-packages", "dist-packages"} & set(path.parts)
            or any(root in path.parents for root in _library_roots()))


def _is_library(obj) -> bool:
    return _module_is_library(getattr(obj, "__module__", None))


def _qualified_name(obj) -> str:
    return f"{getattr(obj, '__module__', None)}.{getattr(obj, '__qualname__', type(obj).__qualname__)}"


def _global_names(code: types.CodeType) -> set[str]:
    """The global names that a code object (or code nested in it) reads."""
    names = {instruction.argval for instruction in dis.get_instructions(code)
             if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _describe_code(code: types.CodeType, where: str, stack) -> dict:
    """A code object by its bytecode, constants and names; not by its file or
    line numbers, so moving a function (or running it in another notebook
    kernel, whose cells have other file names) keeps its key."""
    return {
        "bytecode": hashlib.sha256(code.co_code).hexdigest(),
        "consts": [_describe_code(c, where, stack)
                   if isinstance(c, types.CodeType)
                   else _describe_value(c, where, stack)
                   for c in code.co_consts],
        "names": list(code.co_names), "varnames": list(code.co_varnames),
        "freevars": list(code.co_freevars), "cellvars": list(code.co_cellvars),
        "args": [code.co_argcount, code.co_posonlyargcount,
                 code.co_kwonlyargcount, code.co_flags],
    }


def _describe_function(function: types.FunctionType, where: str, stack) -> dict:
    """A function of the reader's: its code, defaults, closure values and the
    values of the globals it reads (recursively)."""
    closure = {}
    for name, cell in zip(function.__code__.co_freevars,
                          function.__closure__ or ()):
        try:
            closure[name] = _describe_value(cell.cell_contents, where, stack)
        except ValueError as error:
            if "cell is empty" not in str(error):
                raise
            closure[name] = "<empty>"
    global_values = {
        name: _describe_value(function.__globals__[name],
                              f"{where} (global {name!r})", stack)
        for name in sorted(_global_names(function.__code__))
        if name in function.__globals__}  # Others are builtins.
    return {"function": function.__qualname__,
            "code": _describe_code(function.__code__, where, stack),
            "defaults": _describe_value(function.__defaults__, where, stack),
            "kwdefaults": _describe_value(function.__kwdefaults__, where, stack),
            "closure": closure, "globals": global_values}


#: Class attributes that say nothing about behaviour.
_CLASS_ATTRIBUTES_SKIPPED = frozenset({
    "__dict__", "__weakref__", "__module__", "__qualname__", "__doc__",
    "__annotations__", "_abc_impl", "__firstlineno__", "__static_attributes__",
    "__parameters__", "__orig_bases__"})


def _describe_class(cls: type, where: str, stack) -> dict:
    """A class: by name if installed code, else by the code of its methods and
    its class attributes, and those of its bases."""
    if _is_library(cls):
        return {"class": _qualified_name(cls)}
    attributes = {}
    for name, attribute in sorted(vars(cls).items()):
        if name in _CLASS_ATTRIBUTES_SKIPPED:
            continue
        if isinstance(attribute, (staticmethod, classmethod)):
            attribute = attribute.__func__
        elif isinstance(attribute, property):
            attribute = (attribute.fget, attribute.fset, attribute.fdel)
        elif isinstance(attribute, functools.cached_property):
            attribute = attribute.func
        attributes[name] = _describe_value(
            attribute, f"{where} ({cls.__qualname__}.{name})", stack)
    return {"class": cls.__qualname__,
            "bases": [_describe_value(base, where, stack)
                      for base in cls.__bases__],
            "attributes": attributes}


def _describe_module(module: types.ModuleType) -> dict:
    if _module_is_library(module.__name__):
        top = sys.modules.get(module.__name__.partition(".")[0])
        return {"module": module.__name__,
                "version": str(getattr(top, "__version__", None))}
    file = getattr(module, "__file__", None)
    return {"module": module.__name__,
            "sha256": (None if file is None
                       else hashlib.sha256(Path(file).read_bytes()).hexdigest())}


def _keras_config(obj, where: str):
    try:
        return keras.saving.serialize_keras_object(obj)
    except Exception as error:
        raise ValueError(
            f"The training cache cannot fingerprint {where}: "
            f"{type(obj).__name__}.get_config() failed ({error}). Give it a "
            "get_config() that returns its arguments, or pass cache=False."
        ) from error


#: How deep the description of nested values may go before giving up.
_MAX_DEPTH = 40


def _describe_value(value, where: str, stack=()):
    """A JSON-able description of ``value`` that changes when the value, or
    the code of the reader's that it holds, changes.

    Installed code (Keras, NumPy, the standard library) is named, not hashed:
    the versions in the key cover it. The reader's functions and classes
    (in a notebook, a test or ``book/lib``) are hashed through their bytecode.

    Raises:
        ValueError: for a value that it cannot describe honestly.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, complex, Path, range, slice)):
        return {type(value).__name__: repr(value)}
    if isinstance(value, np.generic):
        return {"numpy": str(value.dtype), "value": repr(value.item())}
    if isinstance(value, np.ndarray):
        return {"array": _fingerprint(value)}
    if id(value) in stack:  # A recursive function, a method's __class__...
        return {"cycle": _qualified_name(value)}
    if len(stack) > _MAX_DEPTH:
        raise ValueError(
            f"The training cache cannot fingerprint {where}: it nests values "
            f"more than {_MAX_DEPTH} levels deep. Simplify it, or pass "
            "cache=False.")
    stack = (*stack, id(value))
    if isinstance(value, (tuple, list)):
        return {type(value).__name__: [_describe_value(v, where, stack)
                                       for v in value]}
    if isinstance(value, dict):
        items = [[_describe_value(k, where, stack),
                  _describe_value(v, where, stack)] for k, v in value.items()]
        return {"dict": sorted(items, key=lambda kv: json.dumps(
            kv[0], sort_keys=True, default=str))}
    if isinstance(value, (set, frozenset)):
        # Sorted: a set's order changes with the process's hash seed.
        return {"set": sorted((_describe_value(v, where, stack) for v in value),
                              key=lambda d: json.dumps(d, sort_keys=True,
                                                       default=str))}
    if isinstance(value, types.ModuleType):
        return _describe_module(value)
    if isinstance(value, type):
        return _describe_class(value, where, stack)
    if isinstance(value, types.FunctionType):
        if _is_library(value):
            return {"function": _qualified_name(value)}
        return _describe_function(value, where, stack)
    if isinstance(value, types.MethodType):
        return {"method": _describe_value(value.__func__, where, stack),
                "self": _describe_value(value.__self__, where, stack)}
    if isinstance(value, functools.partial):
        return {"partial": _describe_value(
            (value.func, value.args, value.keywords), where, stack)}
    if isinstance(value, (types.BuiltinFunctionType, np.ufunc,
                          types.MethodWrapperType, types.WrapperDescriptorType,
                          types.MethodDescriptorType)):
        self_ = getattr(value, "__self__", None)
        if self_ is not None and not isinstance(self_, types.ModuleType):
            raise ValueError(
                f"The training cache cannot fingerprint {where}: the built-in "
                f"method {value!r} is bound to a {type(self_).__name__}. Use a "
                "plain function, or pass cache=False.")
        return {"builtin": f"{getattr(value, '__module__', None)}."
                           f"{getattr(value, '__qualname__', value.__name__)}"}
    if isinstance(value, types.CodeType):
        return _describe_code(value, where, stack)
    if isinstance(value, np.random.Generator):
        return {"generator": _describe_value(value.bit_generator.state, where,
                                             stack)}
    if isinstance(value, np.random.RandomState):
        return {"random_state": _describe_value(
            value.get_state(legacy=False), where, stack)}
    if isinstance(value, keras.layers.Layer):
        # Its architecture and every variable (weights, seed states).
        return {"layer": _describe_value(type(value), where, stack),
                "config": _keras_config(value, where),
                "variables": _variables_fingerprint(value.variables)}
    if isinstance(value, keras.Variable) or keras.ops.is_tensor(value):
        return {"tensor": _fingerprint(np.asarray(
            keras.ops.convert_to_numpy(value)))}
    description = {"instance": _describe_value(type(value), where, stack)}
    if hasattr(value, "get_config"):  # Losses, metrics, schedules...
        description["config"] = _keras_config(value, where)
        if _is_library(type(value)):
            return description
    elif _is_library(type(value)) or not hasattr(value, "__dict__"):
        raise ValueError(
            f"The training cache cannot fingerprint {where}: it holds a "
            f"{_qualified_name(type(value))}, which it does not know how to "
            "hash. Hold simple values (numbers, strings, arrays, functions) "
            "instead, or pass cache=False to train without the cache.")
    # The reader's own object: its public attributes (settings that a
    # get_config may have left out); the leading-underscore ones are Keras'
    # bookkeeping (trackers, locks) and are left out.
    description["attributes"] = _describe_value(
        {k: v for k, v in vars(value).items() if not k.startswith("_")},
        where, stack)
    return description


def _describe_callback(callback, index: int) -> dict:
    """A callback's class (its code if it is the reader's) and its whole state
    (settings, schedule functions, counters left by an earlier fit), except
    the model it is attached to and where a checkpoint is written."""
    where = f"callbacks[{index}] ({type(callback).__name__})"
    state = {k: v for k, v in vars(callback).items()
             if k not in ("_model", "model", "params")}
    if isinstance(callback, keras.callbacks.ModelCheckpoint):
        # Where the file goes does not change the run; on a hit the cached
        # file is copied there.
        state.pop("filepath", None)
    return {"class": _describe_value(type(callback), where),
            "state": _describe_value(state, where)}


def _model_code(model) -> list:
    """The reader's code in the model: the classes of custom layers (and of a
    subclassed model), and the functions or custom objects that layers hold
    (a Lambda's function, a custom activation, initializer, regularizer)."""
    described = []
    for layer in model._flatten_layers(include_self=True, recursive=True):
        where = f"layer {layer.name!r} ({type(layer).__name__})"
        if not _is_library(type(layer)):
            described.append([layer.name, "class",
                              _describe_value(type(layer), where)])
        for name, value in sorted(vars(layer).items()):
            if isinstance(value, (keras.layers.Layer, type, types.ModuleType)):
                continue  # Sublayers are listed on their own.
            if layer is model and name == "loss":
                continue  # Set by compile; the key describes the loss apart.
            if (isinstance(value, (types.FunctionType, functools.partial))
                    and not _is_library(getattr(value, "func", value))):
                described.append([layer.name, name, _describe_value(
                    value, f"{where}.{name}")])
            elif (not isinstance(value, (types.FunctionType, functools.partial))
                  and not _is_library(type(value))
                  and type(value).__module__ != "builtins"):
                described.append([layer.name, name, _describe_value(
                    type(value), f"{where}.{name}")])
    return described


def _architecture(model) -> dict:
    """The model's JSON description, without its compile settings (which the
    key holds apart, without the optimizer's creation-order name) and without
    Lambda functions' marshalled code (it holds the file name and line, which
    differ between notebook kernels; :func:`_model_code` hashes them)."""
    description = json.loads(model.to_json())
    description.pop("compile_config", None)

    def drop_lambda_code(node):
        if isinstance(node, dict):
            if node.get("class_name") == "__lambda__":
                return "<lambda: hashed apart>"
            return {k: drop_lambda_code(v) for k, v in node.items()}
        if isinstance(node, list):
            return [drop_lambda_code(v) for v in node]
        return node

    return drop_lambda_code(description)


def _optimizer_description(optimizer) -> dict:
    config_ = keras.optimizers.serialize(optimizer)
    # Keras numbers its optimizers (adam, adam_1...) in creation order.
    config_.get("config", {}).pop("name", None)
    where = f"the optimizer ({type(optimizer).__name__})"
    learning_rate = getattr(optimizer, "_learning_rate", None)
    schedule = (type(learning_rate) if isinstance(
        learning_rate, keras.optimizers.schedules.LearningRateSchedule)
        else learning_rate if callable(learning_rate)
        and not isinstance(learning_rate, keras.Variable) else None)
    return {"config": config_,
            "class": _describe_value(type(optimizer), where),
            "learning_rate_code": _describe_value(
                schedule, f"{where}'s learning rate schedule")}


def _train_count(n: int, validation_split: float) -> int:
    """How many examples Keras trains on, as ``fit`` splits them."""
    # The same rule as keras' train_validation_split: the last part validates.
    return int(math.floor(n * (1.0 - validation_split))) if validation_split else n


def _entry_complete(entry: Path) -> bool:
    return all((entry / name).is_file() for name in _ENTRY_FILES)


def _check_callbacks_for_cache(callbacks) -> None:
    """Refuses, with the cache on, callbacks that a cache hit cannot replay."""
    for index, callback in enumerate(callbacks):
        kind = type(callback)
        if kind is keras.callbacks.ModelCheckpoint:
            if "{" in callback.filepath:
                raise ValueError(
                    f"callbacks[{index}] is a ModelCheckpoint whose filepath "
                    f"{callback.filepath!r} has fields ({{epoch}}...), so it "
                    "writes one file per epoch; with the cache on, train "
                    "stores and restores a single file. Use a fixed filepath "
                    "(save_best_only=True keeps the best epoch in it), or pass "
                    "cache=False.")
        elif kind not in _REPLAYABLE_CALLBACKS:
            names = ", ".join(c.__name__ for c in _REPLAYABLE_CALLBACKS)
            raise ValueError(
                f"callbacks[{index}] is a {kind.__qualname__}, which the "
                "training cache cannot replay: on a cache hit the model does "
                "not train, so a callback that writes files, prints or keeps "
                "its own results would silently not run. With the cache on, "
                f"train accepts {names} (their effect is in the cached run) "
                "and ModelCheckpoint (its file is restored). Read what you "
                "need from the returned history, or pass cache=False to "
                "always train live.")


def _checkpoints(callbacks) -> list[tuple[int, keras.callbacks.ModelCheckpoint]]:
    return [(i, c) for i, c in enumerate(callbacks)
            if isinstance(c, keras.callbacks.ModelCheckpoint)]


def _file_stamp(path: str):
    """What tells whether a run (re)wrote a file: None if it is missing."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _json_scalar(value) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _final_counters(callback) -> dict:
    """A callback's public scalar attributes after the run (stopped_epoch,
    best, wait...), to give back on a cache hit."""
    counters = {}
    for name, value in vars(callback).items():
        if name.startswith("_") or name == "filepath":
            continue
        if isinstance(value, np.generic):
            value = value.item()
        if _json_scalar(value):
            counters[name] = value
    return counters


def train(model, x, y=None, *, epochs: int, batch_size: int | None = None,
          validation_split: float | None = None, validation_data=None,
          optimizer="adam", learning_rate: float | None = None,
          loss="sparse_categorical_crossentropy", metrics=("accuracy",),
          callbacks=(), seed: int = 42, verbose=None, cache: bool | None = None,
          cache_dir: str | os.PathLike | None = None) -> TrainResult:
    """Compiles and fits ``model`` with the book's defaults, timing each epoch.

    The first chapter (``deep_networks``) does these steps by hand; this
    wrapper is for the later chapters. ``model`` is trained in place (or, on a
    cache hit, gets the weights of the cached run).

    The cache key covers the model's architecture and initial weights, the
    code of the reader's custom layers, losses, metrics, optimizer schedules
    and callbacks (their bytecode, defaults, closures and the globals they
    read), every argument of this call, the training and validation data
    (every byte of the arrays, or every batch of one pass over a dataset),
    the source of ``book/lib/training.py`` and ``config.py``, and the
    versions of Python, NumPy, Keras and TensorFlow (and the kind of device);
    what it cannot fingerprint honestly is refused with a ValueError.

    Args:
        model: a built, not yet trained Keras model. Seed its initial weights
            by calling ``config.set_seeds`` before building it.
        x: the training data: a NumPy array of inputs with the examples on the
            first axis (then ``y`` holds the labels), or a finite, batched
            ``tf.data.Dataset`` or ``keras.utils.PyDataset`` that yields
            ``(inputs, labels)`` batches (then ``y`` and ``batch_size`` are left
            out). A dataset is read once more before training, with the
            run's seeds, to count its examples (and, with the cache on, to
            fingerprint them).
        y: training labels, one per example, when ``x`` is an array.
        epochs: how many passes over the training data (at least 1). Quick
            mode lowers it in the notebook's ``parameters`` cell, not here.
        batch_size: examples per gradient step, for arrays; default 128. A
            dataset is already batched.
        validation_split: fraction of ``x`` (its last part, as Keras takes it)
            kept for validation; default 0.1 for arrays when
            ``validation_data`` is None. 0 trains without validation. Only for
            arrays: a dataset is validated with ``validation_data``.
        validation_data: what to validate on instead of a split: a pair
            ``(x_val, y_val)`` of arrays, a ``tf.data.Dataset`` or a
            ``keras.utils.PyDataset`` of ``(inputs, labels)`` batches.
        optimizer: a Keras optimizer name (``"adam"``, ``"sgd"``...) or
            instance.
        learning_rate: for an optimizer given by name; default 1e-3. Set it on
            the instance instead when you pass one.
        loss: the loss, as ``model.compile`` takes it.
        metrics: metrics to record, as ``model.compile`` takes them.
        callbacks: extra Keras callbacks. With the cache on, only those that a
            hit can replay: ``EarlyStopping``, ``LearningRateScheduler``,
            ``ReduceLROnPlateau`` and ``TerminateOnNaN`` (on a hit they do not
            run; their effect is in the cached weights and history, and their
            public counters such as ``stopped_epoch`` and ``best`` are set to
            those of the cached run), and ``ModelCheckpoint`` with a fixed
            ``filepath`` (on a hit, the file that it wrote in the cached run
            is copied to its ``filepath``, wherever that is now).
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
            training or no validation example, conflicting arguments (``y``,
            ``batch_size`` or ``validation_split`` with a dataset), an
            infinite or empty dataset, and, with the cache on, a dataset of
            unknown length, a callback that a hit cannot replay or anything
            else the key cannot fingerprint honestly.
        TypeError: if the data are neither arrays nor a dataset.
    """
    epochs = _positive_int(
        epochs, "epochs", "For a short run, lower epochs in the notebook's "
        "parameters cell (quick mode does that), but keep it at least 1.")
    if cache is None:
        cache = os.environ.get("BOOK_BUILD") == "1"
    from_dataset = _is_dataset(x)
    if from_dataset:
        kind = _dataset_kind(x)
        if y is not None:
            raise ValueError(
                f"x is a {kind}, which yields (inputs, labels) batches, so y "
                f"must be left out; received y of type {type(y).__name__}.")
        if batch_size is not None:
            raise ValueError(
                f"x is a {kind}, which is already batched, so batch_size must "
                f"be left out; received batch_size={batch_size!r}. Batch the "
                "dataset instead (dataset.batch(batch_size)), and drop "
                "batch_size from the recipe.")
        if validation_split:
            raise ValueError(
                f"validation_split only splits arrays; x is a {kind}, which "
                f"Keras cannot split. Received validation_split="
                f"{validation_split!r}: pass validation_data (another "
                "dataset, or a pair of arrays) instead, and drop "
                "validation_split from the recipe.")
        _num_batches(x, "x", cache)  # Infinite, empty: refused before compiling.
    else:
        batch_size = _positive_int(
            DEFAULT_BATCH_SIZE if batch_size is None else batch_size,
            "batch_size")
        if y is None:
            raise ValueError(
                "y is missing: with an array x, pass the labels y, one per "
                "example (or pass a tf.data.Dataset or keras.utils.PyDataset "
                "of (inputs, labels) batches as x).")
        x, y = _as_array(x, "x"), _as_array(y, "y")
        if len(x) != len(y):
            raise ValueError(
                "x and y must have one entry per example; received "
                f"len(x)={len(x)} and len(y)={len(y)}. Check that both come "
                "from the same split (and the same take_subset call).")
        if len(x) == 0:
            raise ValueError("x and y are empty; pass at least one example.")
    if validation_data is not None:
        if validation_split is not None:
            raise ValueError(
                "Pass either validation_split or validation_data, not both; "
                f"received validation_split={validation_split!r} and "
                "validation_data.")
        if _is_dataset(validation_data):
            _num_batches(validation_data, "validation_data", cache)
        elif (not isinstance(validation_data, (tuple, list))
              or len(validation_data) != 2):
            raise ValueError(
                "validation_data must be a pair (x_val, y_val), a "
                "tf.data.Dataset or a keras.utils.PyDataset; received "
                f"{type(validation_data).__name__}"
                + (f" of length {len(validation_data)}"
                   if isinstance(validation_data, (tuple, list)) else "") + ".")
        else:
            x_val, y_val = (_as_array(validation_data[0], "x_val"),
                            _as_array(validation_data[1], "y_val"))
            if len(x_val) != len(y_val):
                raise ValueError(
                    "validation_data must have one label per example; received "
                    f"len(x_val)={len(x_val)} and len(y_val)={len(y_val)}.")
            validation_data = (x_val, y_val)
        validation_split = 0.0
    elif validation_split is None:
        validation_split = 0.0 if from_dataset else DEFAULT_VALIDATION_SPLIT
    if (isinstance(validation_split, bool)
            or not isinstance(validation_split, numbers.Real)
            or not 0 <= validation_split < 1):
        raise ValueError(
            "validation_split must be a fraction in [0, 1), e.g. 0.1; "
            f"received validation_split={validation_split!r}.")
    if not from_dataset:
        n_train = _train_count(len(x), float(validation_split))
        if validation_split and not 0 < n_train < len(x):
            raise ValueError(
                f"validation_split={validation_split} of {len(x)} examples "
                f"leaves {n_train} for training and {len(x) - n_train} for "
                "validation; both need at least one. Use more examples or "
                "another split.")
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
    if cache:
        _check_callbacks_for_cache(callbacks)

    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)

    train_data = None
    if from_dataset:
        # One pass with the run's seeds, so that a dataset that draws random
        # numbers as it goes yields the batches that the first epoch will get.
        config.set_seeds(seed)
        n_train, train_data, first_batch = _scan_dataset(
            x, "x", fingerprint=cache, cache=cache)
    else:
        first_batch = (x[:1], y[:1])
    _build_training_state(model, first_batch)
    entry = key = None
    if cache:
        if train_data is None:
            train_data = {"x": _fingerprint(x), "y": _fingerprint(y)}
        if validation_data is None:
            validation_record = None
        elif _is_dataset(validation_data):
            config.set_seeds(seed)
            validation_record = _scan_dataset(
                validation_data, "validation_data", fingerprint=True,
                cache=True)[1]
        else:
            validation_record = [_fingerprint(a) for a in validation_data]
        spec = {
            "format": CACHE_FORMAT,
            "versions": _versions(),
            "library_source": _LIB_SOURCE_SHA256,
            "model": _architecture(model),
            "model_code": _model_code(model),
            "initial_weights": _weights_fingerprint(model),
            "optimizer": _optimizer_description(model.optimizer),
            "loss": _describe_value(loss, "loss"),
            "metrics": [_describe_value(m, f"metrics[{i}]")
                        for i, m in enumerate(metrics)],
            "callbacks": [_describe_callback(c, i)
                          for i, c in enumerate(callbacks)],
            "epochs": epochs,
            "batch_size": batch_size,
            "validation_split": float(validation_split),
            "validation_data": validation_record,
            "seed": seed,
            "train_data": train_data,
        }
        key = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str)
                             .encode()).hexdigest()
        root = Path(CACHE_DIR if cache_dir is None else cache_dir)
        entry = root / key
        if _entry_complete(entry):
            result = _load_entry(model, entry, key, verbose, callbacks)
            config.set_seeds(seed)  # As after a live run; see below.
            return result

    config.set_seeds(seed)
    timer = EpochTimer()
    tee = _Tee(sys.stdout) if cache else None
    stamps = [_file_stamp(c.filepath) for _, c in _checkpoints(callbacks)]
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
        _store_entry(model, entry, result, n_train, "".join(tee.parts),
                     callbacks, stamps)
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
                 log: str, callbacks, stamps) -> None:
    """Writes a cache entry atomically: a temporary folder, then a rename.

    Besides the weights, history, timings and printed log, it keeps each
    callback's final counters and a copy of each file that a ModelCheckpoint
    wrote during the run.
    """
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
        checkpoints = []
        for (index, callback), stamp in zip(_checkpoints(callbacks), stamps):
            written = _file_stamp(callback.filepath)
            stored = None
            if written is not None and written != stamp:
                stored = f"checkpoint_{index}_{Path(callback.filepath).name}"
                shutil.copyfile(callback.filepath, temporary / stored)
            checkpoints.append({"callback": index,
                                "filepath": callback.filepath, "file": stored})
        (temporary / _CALLBACKS_FILE).write_text(json.dumps({
            "counters": [_final_counters(c) for c in callbacks],
            "checkpoints": checkpoints}, indent=2))
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


def _load_entry(model, entry: Path, key: str, verbose, callbacks) -> TrainResult:
    """Loads a cached run into the compiled ``model``, gives the callbacks
    their final counters and checkpoint files, and returns the run's record."""
    # train built the optimizer (_build_training_state), so loading restores
    # its state too, without Keras' warning about skipping saved variables.
    assert model.optimizer.built, "train builds the optimizer before a lookup"
    model.load_weights(entry / _WEIGHTS_FILE)
    history = pd.read_csv(entry / _HISTORY_FILE, float_precision="round_trip")
    timing = json.loads((entry / _TIMING_FILE).read_text())
    replay = json.loads((entry / _CALLBACKS_FILE).read_text())
    assert len(replay["counters"]) == len(callbacks), "the key covers callbacks"
    log = (entry / _LOG_FILE).read_text()
    for callback, counters in zip(callbacks, replay["counters"]):
        callback.set_model(model)
        for name, value in counters.items():
            setattr(callback, name, value)
    for record in replay["checkpoints"]:
        callback = callbacks[record["callback"]]
        if record["file"] is not None:
            target = Path(callback.filepath)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry / record["file"], target)
        # The printed lines name the file where it is now.
        log = log.replace(record["filepath"], callback.filepath)
    if verbose:
        # The same lines that the original run printed, so that both
        # languages' pages show the same training output.
        sys.stdout.write(log)
    return TrainResult(history=history, seconds=float(timing["seconds"]),
                       images_per_second=float(timing["images_per_second"]),
                       from_cache=True, cache_key=key)
