import logging
import os

import pytest

from book.lib import config


@pytest.mark.parametrize("value, expected", [
    ("1", True), ("true", True), ("YES", True), ("on", True),
    ("0", False), ("", False), ("false", False), ("off", False),
])
def test_quick_mode_reads_book_quick(monkeypatch, value, expected):
    monkeypatch.setenv("BOOK_QUICK", value)
    assert config.quick_mode() is expected


def test_quick_mode_is_off_when_unset(monkeypatch):
    monkeypatch.delenv("BOOK_QUICK", raising=False)
    assert config.quick_mode() is False


def test_quick_mode_rejects_a_typo(monkeypatch):
    monkeypatch.setenv("BOOK_QUICK", "quick")
    with pytest.raises(ValueError, match="received BOOK_QUICK='quick'"):
        config.quick_mode()


def test_set_seeds_repeats_random_numbers():
    import numpy as np

    config.set_seeds(7)
    first = np.random.rand(3)
    config.set_seeds(7)
    assert (np.random.rand(3) == first).all()


@pytest.mark.parametrize("seed", [-1, 1.5, "42", True])
def test_set_seeds_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="non-negative integer"):
        config.set_seeds(seed)


def test_check_language():
    assert config.check_language("es") == "es"
    with pytest.raises(ValueError, match=r"one of \('es', 'en'\); received lang='fr'"):
        config.check_language("fr")


def test_fit_verbose_is_per_epoch_lines_when_building_the_site(monkeypatch):
    monkeypatch.setenv("BOOK_BUILD", "1")
    assert config.fit_verbose() == 2
    monkeypatch.delenv("BOOK_BUILD")
    assert config.fit_verbose() == "auto"


def test_tests_run_in_quick_mode():
    # tests/book_env.py sets it for the whole run, notebooks included.
    assert os.environ["BOOK_QUICK"] == "1"


def _tensorflow_warning(message):
    return logging.LogRecord("tensorflow", logging.WARNING, __file__, 1, message, None, None)


KERAS_RETRACING = ("5 out of the last 13 calls to <function TensorFlowTrainer._make_function."
                   "<locals>.multi_step_on_iterator at 0x7f0b80c5f1a0> triggered tf.function "
                   "retracing. Tracing is expensive...")


def test_keras_retracing_warning_is_dropped_in_quick_mode_only(monkeypatch):
    logger = logging.getLogger("tensorflow")
    assert config.QUICK_RETRACING_FILTER in logger.filters
    monkeypatch.setenv("BOOK_QUICK", "1")
    assert not logger.filter(_tensorflow_warning(KERAS_RETRACING))
    # Any other warning, and the same warning about a reader's own function, stay.
    assert logger.filter(_tensorflow_warning("Something else went wrong"))
    own = KERAS_RETRACING.replace("TensorFlowTrainer._make_function.<locals>.", "")
    assert logger.filter(_tensorflow_warning(own))
    monkeypatch.setenv("BOOK_QUICK", "0")
    assert logger.filter(_tensorflow_warning(KERAS_RETRACING))
