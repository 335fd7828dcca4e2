"""book.lib.stats: standard errors and McNemar's test."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from book.lib import stats


@pytest.mark.parametrize("accuracy, n, expected", [
    (0.91, 10_000, math.sqrt(0.91 * 0.09 / 10_000)),
    (0.5, 100, 0.05),
    (1.0, 10, 0.0),
])
def test_accuracy_se_is_the_binomial_formula(accuracy, n, expected):
    assert stats.accuracy_se(accuracy, n) == pytest.approx(expected)


@pytest.mark.parametrize("accuracy, n, match", [
    (91.2, 10_000, "fraction in"), (-0.1, 10, "fraction in"), (0.9, 0, "positive integer"),
])
def test_accuracy_se_rejects_bad_input(accuracy, n, match):
    with pytest.raises(ValueError, match=match):
        stats.accuracy_se(accuracy, n)


@pytest.mark.parametrize("only_a, only_b", [(0, 0), (3, 3), (10, 2), (2, 10), (40, 61), (130, 170)])
def test_mcnemar_matches_scipy_binomial_test(only_a, only_b):
    total = only_a + only_b
    expected = 1.0 if total == 0 else scipy_stats.binomtest(
        min(only_a, only_b), total, 0.5).pvalue
    assert stats.mcnemar(only_a, only_b) == pytest.approx(expected, rel=1e-9)


def test_mcnemar_rejects_negative_counts():
    with pytest.raises(ValueError, match="non-negative integer"):
        stats.mcnemar(-1, 3)


def test_compare_predictions_counts_discordant_pairs():
    y = np.array([0, 1, 2, 3, 4, 5, 6, 7])
    a = np.array([0, 1, 2, 3, 4, 5, 0, 0])  # 6 right
    b = np.array([0, 1, 2, 3, 0, 0, 6, 0])  # 5 right
    result = stats.compare_predictions(y, a, b)
    assert (result.only_a, result.only_b) == (2, 1)
    assert result.accuracy_a == 6 / 8 and result.accuracy_b == 5 / 8
    assert result.difference == pytest.approx(1 / 8)
    assert result.within_noise  # Three discordant images prove nothing.
    assert result.se_difference == pytest.approx(math.sqrt(3 - 1 / 8) / 8)


def test_a_large_consistent_gap_is_not_noise():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 10_000)
    a = y.copy()
    b = y.copy()
    b[:400] = (y[:400] + 1) % 10  # B is wrong on 400 more images.
    result = stats.compare_predictions(y, a, b)
    assert not result.within_noise and result.p_value < 1e-10


def test_compare_predictions_rejects_probabilities():
    with pytest.raises(ValueError, match="argmax"):
        stats.compare_predictions([0, 1], np.zeros((2, 10)), [0, 1])


def _curves(train, val):
    import pandas as pd
    return pd.DataFrame({"accuracy": train, "val_accuracy": val})


@pytest.mark.parametrize("train, val, expected", [
    ([0.80, 0.85], [0.79, 0.84], "close"),  # Within the gap.
    ([0.85, 0.92], [0.84, 0.88], "gap"),  # Above it, validation still rising.
    ([0.88, 0.92], [0.89, 0.88], "overfits"),  # Above it, validation past its best.
    ([0.95], [0.80], "gap"),  # One epoch: nothing earlier to fall from.
])
def test_overfitting_reads_the_end_of_the_curves(train, val, expected):
    assert stats.overfitting(_curves(train, val)) == expected


def test_overfitting_rejects_bad_input():
    with pytest.raises(ValueError, match="val_accuracy"):
        stats.overfitting(_curves([0.9], [0.8]).drop(columns="val_accuracy"))
    with pytest.raises(ValueError, match="empty"):
        stats.overfitting(_curves([], []))
    with pytest.raises(ValueError, match="fraction"):
        stats.overfitting(_curves([0.9], [0.8]), gap=3)

