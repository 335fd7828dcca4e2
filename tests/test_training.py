"""Tests for book.lib.training on a tiny synthetic problem (8x8 images, 3 classes).

The random arrays exist only to exercise the wrapper; no chapter trains on them.
"""

import math
import os

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
