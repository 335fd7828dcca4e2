"""Tests for book.lib.training on a tiny synthetic problem (8x8 images, 3 classes).

The random arrays exist only to exercise the wrapper; no chapter trains on them.
"""

import math
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from book.lib import config, training  # noqa: E402

NUM_EXAMPLES = 64
BATCH_SIZE = 16


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.random((NUM_EXAMPLES, 8, 8, 1), dtype=np.float32)
    y = rng.integers(0, 3, NUM_EXAMPLES).astype(np.uint8)
    return x, y


def tiny_model():
    """The same network and initial weights on every call: explicit names
    (Keras would number unnamed ones) and a fixed seed."""
    config.set_seeds(0)
    inputs = keras.Input((8, 8, 1), name="pixels")
    x = keras.layers.Flatten(name="flatten")(inputs)
    outputs = keras.layers.Dense(3, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="tiny")


def probabilities(model, x):
    return keras.ops.convert_to_numpy(model(x, training=False))


@pytest.fixture
def no_book_build(monkeypatch):
    monkeypatch.delenv("BOOK_BUILD", raising=False)


def test_history_timings_and_throughput(data, no_book_build):
    x, y = data
    result = training.train(tiny_model(), x, y, epochs=2,
                            batch_size=BATCH_SIZE, verbose=0)
    history = result.history
    assert list(history.columns) == [
        "epoch", "loss", "accuracy", "val_loss", "val_accuracy",
        "seconds", "train_seconds", "images_per_second"]
    assert list(history["epoch"]) == [1, 2]
    # Keras keeps the last 10 % for validation: floor(64 * 0.9) = 57 train.
    train_images = math.floor(NUM_EXAMPLES * (1 - 0.1))
    assert (history["images_per_second"] > 0).all()
    np.testing.assert_allclose(history["images_per_second"],
                               train_images / history["train_seconds"])
    assert (history["train_seconds"] <= history["seconds"]).all()
    # Steady throughput leaves out the first epoch (tracing).
    assert result.images_per_second == pytest.approx(
        train_images / history["train_seconds"][1])
    assert result.seconds >= history["seconds"].sum()
    assert not result.from_cache and result.cache_key is None


def test_without_validation_and_with_validation_data(data, no_book_build):
    x, y = data
    result = training.train(tiny_model(), x, y, epochs=1, batch_size=BATCH_SIZE,
                            validation_split=0, verbose=0)
    assert "val_loss" not in result.history
    np.testing.assert_allclose(result.history["images_per_second"],
                               NUM_EXAMPLES / result.history["train_seconds"])
    result = training.train(tiny_model(), x[:48], y[:48], epochs=1,
                            batch_size=BATCH_SIZE,
                            validation_data=(x[48:], y[48:]), verbose=0)
    assert {"val_loss", "val_accuracy"} <= set(result.history)
    np.testing.assert_allclose(result.history["images_per_second"],
                               48 / result.history["train_seconds"])


@pytest.mark.parametrize("kwargs, error, match", [
    ({"epochs": 0}, ValueError, "epochs must be a positive integer; received epochs=0"),
    ({"epochs": 1.5}, ValueError, "received epochs=1.5"),
    ({"epochs": 1, "batch_size": 0}, ValueError, "received batch_size=0"),
    ({"epochs": 1, "y_length": 63}, ValueError, r"len\(x\)=64 and len\(y\)=63"),
    ({"epochs": 1, "validation_split": 0.1, "validation_data": "both"},
     ValueError, "either validation_split or validation_data"),
    ({"epochs": 1, "validation_split": 1.0}, ValueError, r"fraction in \[0, 1\)"),
    ({"epochs": 1, "validation_split": 0.99}, ValueError, "leaves 0 for training"),
    ({"epochs": 1, "optimizer": "sgd_instance", "learning_rate": 0.1},
     ValueError, "learning_rate only applies to an optimizer given by name"),
])
def test_refuses_nonsense(data, kwargs, error, match):
    x, y = data
    kwargs = dict(kwargs)
    y = y[:kwargs.pop("y_length", len(y))]
    if kwargs.get("validation_data") == "both":
        kwargs["validation_data"] = (x, y)
    if kwargs.get("optimizer") == "sgd_instance":
        kwargs["optimizer"] = keras.optimizers.SGD()
    with pytest.raises(error, match=match):
        training.train(tiny_model(), x, y, verbose=0, cache=False, **kwargs)


def test_learning_rate_reaches_the_optimizer(data, no_book_build):
    x, y = data
    model = tiny_model()
    training.train(model, x, y, epochs=1, batch_size=BATCH_SIZE,
                   optimizer="sgd", learning_rate=0.05, verbose=0)
    assert type(model.optimizer).__name__ == "SGD"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)


def test_cache_hit_repeats_the_run(data, tmp_path, capsys):
    x, y = data
    first_model = tiny_model()
    first = training.train(first_model, x, y, epochs=2, batch_size=BATCH_SIZE,
                           verbose=2, cache=True, cache_dir=tmp_path)
    first_log = capsys.readouterr().out
    assert not first.from_cache and "Epoch 2/2" in first_log
    # One complete entry, no temporary folder left behind.
    assert [p.name for p in tmp_path.iterdir()] == [first.cache_key]

    second_model = tiny_model()
    second = training.train(second_model, x, y, epochs=2, batch_size=BATCH_SIZE,
                            verbose=2, cache=True, cache_dir=tmp_path)
    assert second.from_cache and second.cache_key == first.cache_key
    pd.testing.assert_frame_equal(second.history, first.history)
    assert (second.seconds, second.images_per_second) == (
        first.seconds, first.images_per_second)
    np.testing.assert_array_equal(probabilities(second_model, x),
                                  probabilities(first_model, x))
    # The page shows the same training lines as the run that trained.
    assert capsys.readouterr().out == first_log
    # The optimizer state came back too, so training could go on.
    assert int(second_model.optimizer.iterations) == int(
        first_model.optimizer.iterations)


BASE_ARGS = {"epochs": 1, "batch_size": BATCH_SIZE, "seed": 42,
             "learning_rate": 1e-3}


@pytest.fixture(scope="module")
def cached_run(data, tmp_path_factory):
    """One cached run that the variations below must not match."""
    x, y = data
    cache_dir = tmp_path_factory.mktemp("train_cache")
    result = training.train(tiny_model(), x, y, verbose=0, cache=True,
                            cache_dir=cache_dir, **BASE_ARGS)
    return cache_dir, result.cache_key


@pytest.mark.parametrize("change", ["epochs", "x", "y", "seed", "batch_size",
                                    "learning_rate"])
def test_cache_misses_when_anything_changes(data, cached_run, change):
    x, y = data
    cache_dir, key = cached_run
    args = dict(BASE_ARGS)
    if change == "x":
        x = x.copy()
        x[0, 0, 0, 0] += 1  # One pixel.
    elif change == "y":
        y = y.copy()
        y[0] = (y[0] + 1) % 3
    else:
        args[change] = {"epochs": 2, "seed": 7, "batch_size": 32,
                        "learning_rate": 1e-2}[change]
    result = training.train(tiny_model(), x, y, verbose=0, cache=True,
                            cache_dir=cache_dir, **args)
    assert not result.from_cache and result.cache_key != key


def test_training_on_misses_the_earlier_run(data, tmp_path):
    # Same architecture and arguments, but the weights are already trained.
    x, y = data
    model = tiny_model()
    first = training.train(model, x, y, epochs=1, batch_size=BATCH_SIZE,
                           verbose=0, cache=True, cache_dir=tmp_path)
    again = training.train(model, x, y, epochs=1, batch_size=BATCH_SIZE,
                           verbose=0, cache=True, cache_dir=tmp_path)
    assert not again.from_cache and again.cache_key != first.cache_key


def test_cache_only_when_the_book_is_built(data, tmp_path, monkeypatch):
    x, y = data
    monkeypatch.setattr(training, "CACHE_DIR", tmp_path)
    monkeypatch.delenv("BOOK_BUILD", raising=False)
    result = training.train(tiny_model(), x, y, epochs=1, batch_size=BATCH_SIZE,
                            verbose=0)
    assert result.cache_key is None and not any(tmp_path.iterdir())
    monkeypatch.setenv("BOOK_BUILD", "1")
    result = training.train(tiny_model(), x, y, epochs=1, batch_size=BATCH_SIZE,
                            verbose=0)
    assert (tmp_path / result.cache_key / "model.weights.h5").is_file()


def test_interrupted_write_leaves_no_entry(data, tmp_path, monkeypatch):
    x, y = data

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(pd.DataFrame, "to_csv", fail)
        with pytest.raises(KeyboardInterrupt):
            training.train(tiny_model(), x, y, epochs=1, batch_size=BATCH_SIZE,
                           verbose=0, cache=True, cache_dir=tmp_path)
    assert not any(tmp_path.iterdir())
    result = training.train(tiny_model(), x, y, epochs=1, batch_size=BATCH_SIZE,
                            verbose=0, cache=True, cache_dir=tmp_path)
    assert not result.from_cache


# --- What the cache key covers ------------------------------------------------

def cached_key(data, cache_dir, model=None, **kwargs):
    """Trains (or loads) the tiny model with the cache on; returns the result."""
    x, y = data
    args = dict(epochs=1, batch_size=BATCH_SIZE, verbose=0, cache=True,
                cache_dir=cache_dir)
    args.update(kwargs)
    return training.train(tiny_model() if model is None else model, x, y, **args)


def define(source, name, filename="<notebook-cell>", **names):
    """Defines ``name`` from ``source`` as a notebook cell would (module
    ``__main__``, a file name of its own), with ``names`` as globals."""
    namespace = {"__name__": "__main__", "keras": keras, "np": np, **names}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def test_key_covers_learning_rate_schedules(data, tmp_path):
    def scheduler(schedule):
        return keras.callbacks.LearningRateScheduler(schedule)

    def decay_by(factor):
        return lambda epoch, rate: rate * factor

    halve = cached_key(data, tmp_path, callbacks=[scheduler(
        lambda epoch, rate: rate * 0.5)])
    third = cached_key(data, tmp_path, callbacks=[scheduler(
        lambda epoch, rate: rate / 3)])
    assert third.cache_key != halve.cache_key
    # The same code, different values in its closure.
    tenth = cached_key(data, tmp_path, callbacks=[scheduler(decay_by(0.1))])
    fifth = cached_key(data, tmp_path, callbacks=[scheduler(decay_by(0.2))])
    assert len({halve.cache_key, third.cache_key, tenth.cache_key,
                fifth.cache_key}) == 4
    # The same schedule again (another function object) finds the run.
    again = cached_key(data, tmp_path, callbacks=[scheduler(decay_by(0.1))])
    assert again.from_cache and again.cache_key == tenth.cache_key


LOSS_SOURCE = '''
def custom_loss(y_true, y_pred):
    return keras.losses.sparse_categorical_crossentropy(y_true, y_pred) * {scale}
'''


def test_key_covers_custom_loss_code(data, tmp_path):
    once = define(LOSS_SOURCE.format(scale=1.0), "custom_loss", "<cell-1>")
    twice = define(LOSS_SOURCE.format(scale=2.0), "custom_loss", "<cell-1>")
    first = cached_key(data, tmp_path, loss=once)
    changed = cached_key(data, tmp_path, loss=twice)
    assert not changed.from_cache and changed.cache_key != first.cache_key
    # The same code in another kernel (another cell file name) finds the run.
    same = define(LOSS_SOURCE.format(scale=1.0), "custom_loss", "<cell-7>")
    assert cached_key(data, tmp_path, loss=same).from_cache


def test_key_covers_globals_that_code_reads(data, tmp_path):
    source = '''
def custom_loss(y_true, y_pred):
    return keras.losses.sparse_categorical_crossentropy(y_true, y_pred) * SCALE
'''
    loss = define(source, "custom_loss")
    loss.__globals__["SCALE"] = 1.0
    first = cached_key(data, tmp_path, loss=loss)
    loss.__globals__["SCALE"] = 3.0
    assert cached_key(data, tmp_path, loss=loss).cache_key != first.cache_key


LAYER_SOURCE = '''
class Scale(keras.layers.Layer):
    """Multiplies its input by a constant."""

    def call(self, inputs):
        return inputs * {factor}
'''


def model_with(layer_class):
    config.set_seeds(0)
    inputs = keras.Input((8, 8, 1), name="pixels")
    x = layer_class(name="scale")(inputs)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="tiny")


def test_key_covers_custom_layer_code(data, tmp_path):
    double = define(LAYER_SOURCE.format(factor=2.0), "Scale")
    triple = define(LAYER_SOURCE.format(factor=3.0), "Scale")
    first = cached_key(data, tmp_path, model=model_with(double))
    changed = cached_key(data, tmp_path, model=model_with(triple))
    assert not changed.from_cache and changed.cache_key != first.cache_key
    same = define(LAYER_SOURCE.format(factor=2.0), "Scale", "<other-cell>")
    assert cached_key(data, tmp_path, model=model_with(same)).from_cache


def test_key_covers_lambda_layers_and_activations(data, tmp_path):
    def model_of(function, activation):
        config.set_seeds(0)
        inputs = keras.Input((8, 8, 1), name="pixels")
        x = keras.layers.Lambda(function, name="shift")(inputs)
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(4, activation=activation, name="hidden")(x)
        outputs = keras.layers.Dense(3, activation="softmax", name="probs")(x)
        return keras.Model(inputs, outputs, name="tiny")

    shift = define("shift = lambda t: t - 0.5\n", "shift", "<cell-1>")
    act = define("def act(t):\n    return keras.ops.relu(t)\n", "act")
    first = cached_key(data, tmp_path, model=model_of(shift, act))
    # The same code in another kernel, whose cells have other file names.
    shift_again = define("shift = lambda t: t - 0.5\n", "shift", "<cell-9>")
    assert cached_key(data, tmp_path, model=model_of(shift_again, act)).from_cache
    # Another Lambda function; another activation of the same name.
    shift_up = define("shift = lambda t: t + 0.5\n", "shift", "<cell-1>")
    act_changed = define("def act(t):\n    return keras.ops.tanh(t)\n", "act")
    keys = {first.cache_key,
            cached_key(data, tmp_path, model=model_of(shift_up, act)).cache_key,
            cached_key(data, tmp_path,
                       model=model_of(shift, act_changed)).cache_key}
    assert len(keys) == 3


def test_key_covers_tensorflow_version(data, tmp_path, monkeypatch):
    import tensorflow as tf

    first = cached_key(data, tmp_path)
    monkeypatch.setattr(tf, "__version__", "0.0.0")
    changed = cached_key(data, tmp_path)
    assert not changed.from_cache and changed.cache_key != first.cache_key


def test_key_covers_the_source_of_train(data, tmp_path, monkeypatch):
    # The hashed files are this module and config, and an edit changes them.
    assert set(training._LIB_SOURCE_FILES) == {
        Path(training.__file__), Path(config.__file__)}
    edited = tmp_path / "training.py"
    edited.write_text(Path(training.__file__).read_text().replace(
        "def train(", "def train(  ", 1))
    assert (training._source_digest([edited, Path(config.__file__)])
            != training._LIB_SOURCE_SHA256)
    first = cached_key(data, tmp_path / "cache")
    monkeypatch.setattr(training, "_LIB_SOURCE_SHA256",
                        training._source_digest([edited, Path(config.__file__)]))
    changed = cached_key(data, tmp_path / "cache")
    assert not changed.from_cache and changed.cache_key != first.cache_key


def test_refuses_what_it_cannot_fingerprint(data, tmp_path):
    import threading

    lock = threading.Lock()

    def locked_loss(y_true, y_pred):
        with lock:
            return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

    with pytest.raises(ValueError, match=r"cannot fingerprint loss.*"
                                         r"_thread.lock.*pass cache=False"):
        cached_key(data, tmp_path, loss=locked_loss)
    # Without the cache it trains.
    x, y = data
    training.train(tiny_model(), x, y, epochs=1, batch_size=BATCH_SIZE,
                   loss=locked_loss, verbose=0, cache=False)


# --- Datasets ---------------------------------------------------------------

def tf_dataset(x, y, batch_size=BATCH_SIZE):
    import tensorflow as tf

    return (tf.data.Dataset.from_tensor_slices((x, y))
            .shuffle(len(x), seed=1).batch(batch_size))


class ArrayBatches(keras.utils.PyDataset):
    """Batches of two arrays, in order."""

    def __init__(self, x, y, batch_size=BATCH_SIZE):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        batch = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[batch], self.y[batch]


def train_on(dataset, cache_dir, **kwargs):
    return training.train(tiny_model(), dataset, epochs=2, verbose=0,
                          cache=True, cache_dir=cache_dir, **kwargs)


@pytest.mark.parametrize("make", [tf_dataset, ArrayBatches],
                         ids=["tf.data", "PyDataset"])
def test_trains_and_caches_datasets(data, tmp_path, make):
    x, y = data
    first = train_on(make(x, y), tmp_path)
    assert not first.from_cache
    # Every one of the 64 examples trains (there is no split).
    np.testing.assert_allclose(first.history["images_per_second"],
                               NUM_EXAMPLES / first.history["train_seconds"])
    second = train_on(make(x, y), tmp_path)
    assert second.from_cache and second.cache_key == first.cache_key
    pd.testing.assert_frame_equal(second.history, first.history)
    changed_x = x.copy()
    changed_x[-1, 0, 0, 0] += 1  # One pixel of the last batch.
    assert train_on(make(changed_x, y), tmp_path).cache_key != first.cache_key
    regrouped = train_on(make(x, y, batch_size=32), tmp_path)
    assert regrouped.cache_key != first.cache_key


SHUFFLED_SOURCE = '''
class Shuffled(ArrayBatches):
    def on_epoch_end(self):  # The first epoch is the same for both.
        order = np.random.default_rng({seed}).permutation(len(self.x))
        self.x, self.y = self.x[order], self.y[order]
'''


def test_pydataset_code_is_in_the_key(data, tmp_path):
    x, y = data
    first, second = (define(SHUFFLED_SOURCE.format(seed=seed), "Shuffled",
                            ArrayBatches=ArrayBatches) for seed in (0, 1))
    assert (train_on(first(x, y), tmp_path).cache_key
            != train_on(second(x, y), tmp_path).cache_key)


@pytest.mark.parametrize("make", [tf_dataset, ArrayBatches],
                         ids=["tf.data", "PyDataset"])
def test_validation_data_as_a_dataset(data, tmp_path, make):
    x, y = data
    first = train_on(make(x[:48], y[:48]), tmp_path,
                     validation_data=make(x[48:], y[48:]))
    assert {"val_loss", "val_accuracy"} <= set(first.history)
    np.testing.assert_allclose(first.history["images_per_second"],
                               48 / first.history["train_seconds"])
    assert train_on(make(x[:48], y[:48]), tmp_path,
                    validation_data=make(x[48:], y[48:])).from_cache
    other = train_on(make(x[:48], y[:48]), tmp_path,
                     validation_data=make(x[40:], y[40:]))
    assert other.cache_key != first.cache_key
    # Arrays with a validation dataset, too.
    result = training.train(tiny_model(), x[:48], y[:48], epochs=1,
                            batch_size=BATCH_SIZE, verbose=0, cache=True,
                            cache_dir=tmp_path,
                            validation_data=make(x[48:], y[48:]))
    assert "val_loss" in result.history


def test_unknown_length_dataset_trains_without_the_cache(data, tmp_path):
    x, y = data
    kept = tf_dataset(x, y).unbatch().filter(lambda image, label: label > 0)
    kept = kept.batch(BATCH_SIZE)
    with pytest.raises(ValueError, match="unknown length.*assert_cardinality"):
        train_on(kept, tmp_path)
    result = training.train(tiny_model(), kept, epochs=1, verbose=0,
                            cache=False)
    np.testing.assert_allclose(
        result.history["images_per_second"],
        np.count_nonzero(y > 0) / result.history["train_seconds"])


def infinite(x, y):
    return tf_dataset(x, y).repeat()


def empty(x, y):
    return tf_dataset(x, y).take(0)


def images_only(x, y):
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(x).batch(BATCH_SIZE)


class Endless(keras.utils.PyDataset):
    @property
    def num_batches(self):
        return None

    def __getitem__(self, index):
        raise AssertionError("never read")


@pytest.mark.parametrize("make, kwargs, match", [
    (tf_dataset, {"validation_split": 0.1},
     "validation_split only splits arrays; x is a tf.data.Dataset"),
    (ArrayBatches, {"validation_split": 0.2},
     "validation_split only splits arrays; x is a keras.utils.PyDataset"),
    (tf_dataset, {"y": "labels"}, "so y must be left out"),
    (tf_dataset, {"batch_size": 128},
     "already batched, so batch_size must be left out"),
    (infinite, {}, "infinite tf.data.Dataset.*Remove the .repeat()"),
    (empty, {}, "empty tf.data.Dataset"),
    (images_only, {}, "must yield \\(inputs, labels\\) batches"),
    (lambda x, y: Endless(), {}, "PyDataset without a length"),
    (tf_dataset, {"validation_data": "triple"},
     "validation_data must be a pair.*received tuple of length 3"),
])
def test_refuses_nonsense_datasets(data, make, kwargs, match):
    x, y = data
    kwargs = dict(kwargs)
    if kwargs.get("y") == "labels":
        kwargs["y"] = y
    if kwargs.get("validation_data") == "triple":
        kwargs["validation_data"] = (x, y, y)
    for cache in (False, True):
        with pytest.raises(ValueError, match=match):
            training.train(tiny_model(), make(x, y), epochs=1, verbose=0,
                           cache=cache, **kwargs)


def test_arrays_need_labels(data):
    x, _ = data
    with pytest.raises(ValueError, match="y is missing"):
        training.train(tiny_model(), x, epochs=1, verbose=0, cache=False)


# --- Callbacks with the cache -------------------------------------------------

def test_checkpoint_file_comes_back_on_a_hit(data, tmp_path, capsys):
    x, y = data

    def checkpoint(path):
        return keras.callbacks.ModelCheckpoint(
            path, monitor="val_accuracy", mode="max", save_best_only=True,
            verbose=1)

    # Each language's page writes its checkpoint to a temporary folder.
    first_path = tmp_path / "es" / "best.keras"
    first_checkpoint = checkpoint(first_path)
    first = cached_key(data, tmp_path / "cache", epochs=2, verbose=2,
                       callbacks=[first_checkpoint])
    first_log = capsys.readouterr().out
    assert str(first_path) in first_log and first_path.is_file()

    second_path = tmp_path / "en" / "best.keras"
    second_checkpoint = checkpoint(second_path)
    second = cached_key(data, tmp_path / "cache", epochs=2, verbose=2,
                        callbacks=[second_checkpoint])
    assert second.from_cache and second.cache_key == first.cache_key
    assert second_path.read_bytes() == first_path.read_bytes()
    np.testing.assert_array_equal(
        probabilities(keras.models.load_model(second_path), x),
        probabilities(keras.models.load_model(first_path), x))
    # The replayed lines name the file where it is now, and its counters are
    # those of the run.
    assert capsys.readouterr().out == first_log.replace(str(first_path),
                                                        str(second_path))
    assert second_checkpoint.best == first_checkpoint.best


def test_early_stopping_counters_come_back_on_a_hit(data, tmp_path):
    def stopper():
        # A loss that must fall by 100 per epoch: it stops after epoch 2.
        return keras.callbacks.EarlyStopping(monitor="loss", min_delta=100,
                                             patience=1)

    first_stopper = stopper()
    first = cached_key(data, tmp_path, epochs=5, callbacks=[first_stopper])
    assert len(first.history) == 2 and first_stopper.stopped_epoch == 1
    second_stopper = stopper()
    second = cached_key(data, tmp_path, epochs=5, callbacks=[second_stopper])
    assert second.from_cache
    assert (second_stopper.stopped_epoch, second_stopper.best) == (
        first_stopper.stopped_epoch, first_stopper.best)


@pytest.mark.parametrize("callback, match", [
    (lambda path: keras.callbacks.CSVLogger(path / "log.csv"),
     r"callbacks\[0\] is a CSVLogger, which the training cache cannot replay"),
    (lambda path: keras.callbacks.LambdaCallback(),
     "LambdaCallback, which the training cache cannot replay"),
    (lambda path: keras.callbacks.ModelCheckpoint(path / "{epoch:02d}.keras"),
     "ModelCheckpoint whose filepath .* has fields"),
])
def test_refuses_callbacks_a_hit_cannot_replay(data, tmp_path, callback, match):
    with pytest.raises(ValueError, match=match):
        cached_key(data, tmp_path, callbacks=[callback(tmp_path)])
    cached_key(data, tmp_path, callbacks=[callback(tmp_path)], cache=False)


class TraceCounter(keras.layers.Layer):
    """Passes its input through, counting the calls made while tracing a graph."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.graph_calls = 0

    def call(self, inputs):
        import tensorflow as tf

        if not tf.executing_eagerly():
            self.graph_calls += 1
        return inputs


@pytest.mark.parametrize("make", [None, tf_dataset, ArrayBatches],
                         ids=["arrays", "tf.data", "PyDataset"])
def test_the_training_step_is_traced_once(data, no_book_build, make):
    # Keras creates the optimizer's and the metrics' variables inside the first
    # trace unless they exist, and a tf.function that creates variables is
    # traced twice; train creates them first, so each epoch's step is traced
    # once (the Keras functional API also calls the layer once to build).
    x, y = data
    config.set_seeds(0)
    inputs = keras.Input((8, 8, 1), name="pixels")
    counter = TraceCounter(name="counter")
    hidden = counter(keras.layers.Flatten(name="flatten")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax",
                                                   name="probs")(hidden))
    built = counter.graph_calls
    if make is None:
        training.train(model, x, y, epochs=2, batch_size=BATCH_SIZE,
                       validation_split=0, verbose=0)
    else:
        training.train(model, make(x, y), epochs=2, verbose=0)
    assert counter.graph_calls - built == 1


def test_creating_the_training_state_first_changes_no_number(data, no_book_build):
    # The same run as Keras' own fit with the same seeds: the variables made
    # in advance start as Keras would make them, and the metrics are reset.
    x, y = data
    ours = training.train(tiny_model(), x, y, epochs=2, batch_size=BATCH_SIZE,
                          verbose=0).history
    model = tiny_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    config.set_seeds(42)
    keras_history = model.fit(x, y, epochs=2, batch_size=BATCH_SIZE,
                              validation_split=0.1, verbose=0).history
    for name, values in keras_history.items():
        np.testing.assert_allclose(ours[name], values, rtol=1e-6, err_msg=name)
