"""Tests of ``book.lib.search``: grid and random configurations, the tuner's folder."""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from book.lib import search  # noqa: E402


def test_grid_is_every_combination_last_name_fastest():
    configs = search.grid({"lr": [1e-3, 1e-2], "filters": [8, 16, 32]})
    assert len(configs) == 2 * 3
    assert configs[:2] == [{"lr": 1e-3, "filters": 8}, {"lr": 1e-3, "filters": 16}]
    assert {tuple(c.values()) for c in configs} == {
        (lr, f) for lr in (1e-3, 1e-2) for f in (8, 16, 32)}


def test_random_configs_repeat_with_the_seed_and_stay_in_the_space():
    space = {"lr": search.Uniform(1e-4, 1e-2, log=True), "filters": [8, 16, 32],
             "dropout": search.Uniform(0.0, 0.5)}
    first = search.random_configs(space, 50, seed=3)
    assert first == search.random_configs(space, 50, seed=3)
    assert first != search.random_configs(space, 50, seed=4)
    assert all(1e-4 <= c["lr"] <= 1e-2 and c["filters"] in (8, 16, 32)
               and 0 <= c["dropout"] <= 0.5 for c in first)
    # Log sampling: about half of the draws below the geometric middle, 1e-3.
    below = np.mean([c["lr"] < 1e-3 for c in search.random_configs(space, 2000)])
    assert abs(below - 0.5) < 0.05
    # Bergstra and Bengio: every trial tries a new value of each range.
    assert len({c["lr"] for c in first}) == 50


@pytest.mark.parametrize("space, error, match", [
    ({}, ValueError, "space is empty"),
    ({"lr": []}, ValueError, "the values of 'lr' are empty"),
    ({"lr": 0.1}, TypeError, "must be a list"),
    ([("lr", [1])], TypeError, "space must be a dict"),
])
def test_bad_spaces_are_refused(space, error, match):
    with pytest.raises(error, match=match):
        search.grid(space)
    with pytest.raises(error, match=match):
        search.random_configs(space, 3)


def test_grid_refuses_a_range():
    with pytest.raises(ValueError, match="a grid needs a list of values for 'lr'"):
        search.grid({"lr": search.Uniform(1e-4, 1e-2, log=True)})


@pytest.mark.parametrize("num_trials, error, match", [
    (0, ValueError, "budget and must be at least 1; received num_trials=0"),
    (-2, ValueError, "received num_trials=-2"),
    (2.0, TypeError, "num_trials must be an integer"),
])
def test_non_positive_budget_is_refused(num_trials, error, match):
    with pytest.raises(error, match=match):
        search.random_configs({"lr": [1e-3]}, num_trials)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(low=1.0, high=1.0), ValueError, "needs low < high"),
    (dict(low=0.0, high=1.0, log=True), ValueError, "needs a positive low"),
    (dict(low="a", high=1.0), TypeError, "low must be a finite number"),
])
def test_bad_ranges_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        search.Uniform(**kwargs)


def test_tuner_directory_is_keyed_by_the_settings_in_a_build(tmp_path, monkeypatch):
    monkeypatch.setattr(search, "CACHE_DIR", tmp_path / "tuner_cache")
    monkeypatch.setenv("BOOK_BUILD", "1")
    directory, project = search.tuner_directory("random", {"epochs": 3, "seed": 1})
    assert directory == str(tmp_path / "tuner_cache")
    assert project.startswith("random-")
    assert search.tuner_directory("random", {"seed": 1, "epochs": 3})[1] == project
    assert search.tuner_directory("random", {"epochs": 4, "seed": 1})[1] != project
    monkeypatch.delenv("BOOK_BUILD")
    live, _ = search.tuner_directory("random", {"epochs": 3, "seed": 1})
    assert live != directory and os.path.isdir(live)  # A fresh folder: a live search.


@pytest.mark.parametrize("name, settings, match", [
    ("", {"a": 1}, "name must be a non-empty string"),
    ("a/b", {"a": 1}, "received name='a/b'"),
    ("random", {}, "settings must be a non-empty dict"),
])
def test_tuner_directory_refuses_bad_arguments(name, settings, match):
    with pytest.raises(ValueError, match=match):
        search.tuner_directory(name, settings)


def test_fingerprint_changes_with_the_data():
    x = np.arange(12, dtype="float32").reshape(3, 4)
    assert search.fingerprint(x) == search.fingerprint(x.copy())
    assert search.fingerprint(x) != search.fingerprint(x + 1)
    assert search.fingerprint(x) != search.fingerprint(x.reshape(4, 3))
    with pytest.raises(ValueError, match="at least one array"):
        search.fingerprint()


def test_run_tuner_counts_epochs_and_a_second_tuner_reloads(tmp_path):
    kt = pytest.importorskip("keras_tuner")

    def build_model(hp):
        model = keras.Sequential([
            keras.Input(shape=(4,)),
            keras.layers.Dense(hp.Int("units", 2, 4, step=2), activation="relu"),
            keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)).astype("float32"), rng.integers(2, size=64)

    def tuner():
        return kt.GridSearch(build_model, objective="val_accuracy", max_trials=2,
                             seed=1, directory=str(tmp_path), project_name="grid",
                             overwrite=False)

    first = search.run_tuner(tuner(), x, y, epochs=2, validation_data=(x, y),
                             verbose=0)
    assert (first.epochs, first.trials, first.from_cache) == (4, 2, False)
    saved = json.loads((tmp_path / "grid" / "search_run.json").read_text())
    assert saved["epochs"] == 4
    again = tuner()
    second = search.run_tuner(again, x, y, epochs=2, validation_data=(x, y),
                              verbose=0)
    assert second == search.SearchRun(first.seconds, 4, 2, True)
    assert len(again.oracle.trials) == 2  # The finished search, reloaded.
    with pytest.raises(TypeError, match="must be a KerasTuner tuner"):
        search.run_tuner(object())
