"""How sure a test accuracy is, and whether two models really differ.

One run of a model on Fashion-MNIST's 10,000 test images measures its accuracy
with a standard error of about 0.3 points, so a gap of a few tenths between two
models can be noise. The chapters that compare models (``first_cnn`` first,
then every architecture chapter) report each accuracy with its standard error
and each difference with a test on the shared test set:

* :func:`accuracy_se`: the binomial standard error ``sqrt(p (1 - p) / n)``.
* :func:`mcnemar`: McNemar's exact test on the images that exactly one of two
  models gets right (the paired test for two classifiers on one test set;
  Dietterich, 1998).
* :func:`compare_predictions`: both, as one record that a page can quote,
  with ``within_noise`` when the test does not reject equality at ``alpha``.
* :func:`overfitting`: how a run's learning curves end, as the glossary
  defines overfitting, so that a page says "it overfits" only when they show it.

Reference:
    Dietterich, "Approximate Statistical Tests for Comparing Supervised
    Classification Learning Algorithms", Neural Computation 10(7), 1998.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

#: The significance level under which a difference is reported as real.
ALPHA = 0.05


def _check_fraction(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name} must be a number in [0, 1]; received {value!r}.")
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(
            f"{name} must be a fraction in [0, 1] (e.g. 0.912, not 91.2); "
            f"received {name}={value!r}.")
    return value


def _check_count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; received {name}={value!r}.")
    return int(value)


def accuracy_se(accuracy: float, n: int) -> float:
    """Binomial standard error of an accuracy measured on ``n`` examples.

    Args:
        accuracy: the measured fraction correct, in [0, 1].
        n: how many test examples it was measured on.

    Returns:
        ``sqrt(accuracy * (1 - accuracy) / n)``, a fraction (0.0029 for 91% of
        10,000 images).
    """
    p = _check_fraction("accuracy", accuracy)
    n = _check_count("n", n)
    return math.sqrt(p * (1.0 - p) / n)


def mcnemar(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar test: p-value of "both models are as accurate".

    Only the discordant images carry information: ``only_a`` that model A gets
    right and B wrong, ``only_b`` the reverse. Under equal accuracy each of them
    is a fair coin, so the p-value is the two-sided binomial tail of
    ``min(only_a, only_b)`` in ``only_a + only_b`` tosses.

    Args:
        only_a: images right for A only (a non-negative integer).
        only_b: images right for B only.

    Returns:
        The p-value, in (0, 1]; 1.0 when there is no discordant image.
    """
    for name, value in (("only_a", only_a), ("only_b", only_b)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(
                f"{name} must be a non-negative integer (a count of images); "
                f"received {name}={value!r}.")
    only_a, only_b = int(only_a), int(only_b)
    total = only_a + only_b
    if total == 0:
        return 1.0
    smaller = min(only_a, only_b)
    # P(X <= smaller) for X ~ Binomial(total, 1/2), in log space to stay exact
    # enough for thousands of discordant images.
    log_terms = [math.lgamma(total + 1) - math.lgamma(k + 1) - math.lgamma(total - k + 1)
                 - total * math.log(2.0) for k in range(smaller + 1)]
    peak = max(log_terms)
    tail = math.exp(peak) * sum(math.exp(t - peak) for t in log_terms)
    return min(1.0, 2.0 * tail)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Two models on the same test set.

    Attributes:
        accuracy_a, accuracy_b: fractions correct.
        se_a, se_b: their binomial standard errors.
        difference: ``accuracy_a - accuracy_b``.
        se_difference: standard error of the difference for paired
            predictions, ``sqrt(only_a + only_b - (only_a - only_b)^2 / n) / n``.
        only_a, only_b: images right for one model only.
        p_value: McNemar's exact two-sided p-value.
        within_noise: True when ``p_value >= alpha``: the run does not show
            that the two differ.
        n: test images.
    """

    accuracy_a: float
    accuracy_b: float
    se_a: float
    se_b: float
    difference: float
    se_difference: float
    only_a: int
    only_b: int
    p_value: float
    within_noise: bool
    n: int


def compare_predictions(y_true, pred_a, pred_b, alpha: float = ALPHA) -> Comparison:
    """Compares two models' predicted labels on the same test images.

    Args:
        y_true: the true labels, one per image.
        pred_a: model A's predicted labels (not probabilities).
        pred_b: model B's predicted labels.
        alpha: significance level of McNemar's test.

    Returns:
        A :class:`Comparison`.

    Raises:
        ValueError: for arrays of different lengths, empty arrays, or 2-D
            arrays (pass ``probabilities.argmax(axis=1)``).
    """
    arrays = [np.asarray(values) for values in (y_true, pred_a, pred_b)]
    for name, array in zip(("y_true", "pred_a", "pred_b"), arrays):
        if array.ndim != 1:
            raise ValueError(
                f"{name} must be a 1-D array of labels; received shape {array.shape}. "
                "For predicted probabilities, pass probabilities.argmax(axis=1).")
    if not len(arrays[0]) or len({len(array) for array in arrays}) != 1:
        raise ValueError(
            "y_true, pred_a and pred_b must be non-empty and of equal length; "
            f"received lengths {[len(array) for array in arrays]}.")
    alpha = _check_fraction("alpha", alpha)
    y, a, b = arrays
    right_a, right_b = a == y, b == y
    n = len(y)
    only_a = int(np.sum(right_a & ~right_b))
    only_b = int(np.sum(right_b & ~right_a))
    accuracy_a, accuracy_b = float(right_a.mean()), float(right_b.mean())
    discordant = only_a + only_b
    se_difference = math.sqrt(max(discordant - (only_a - only_b) ** 2 / n, 0.0)) / n
    p_value = mcnemar(only_a, only_b)
    return Comparison(
        accuracy_a=accuracy_a, accuracy_b=accuracy_b,
        se_a=accuracy_se(accuracy_a, n), se_b=accuracy_se(accuracy_b, n),
        difference=accuracy_a - accuracy_b, se_difference=se_difference,
        only_a=only_a, only_b=only_b, p_value=p_value,
        within_noise=p_value >= alpha, n=n)


#: Training accuracy this far above validation accuracy (a fraction) counts as a gap.
OVERFITTING_GAP = 0.03


def overfitting(history, gap: float = OVERFITTING_GAP) -> str:
    """How the learning curves of a run end, by the glossary's definition.

    Overfitting is validation accuracy that stops rising while training
    accuracy keeps climbing; a gap between the two, with validation accuracy
    still rising, is not it yet.

    Args:
        history: one row per epoch with ``accuracy`` and ``val_accuracy``
            columns (``training.TrainResult.history``).
        gap: how far (a fraction) the last epoch's training accuracy must be
            above its validation accuracy to count as a gap.

    Returns:
        ``"close"`` when the last epoch's gap is at most ``gap``;
        ``"gap"`` when it is larger but the last epoch has the best validation
        accuracy so far (still rising); ``"overfits"`` when it is larger and
        an earlier epoch had a higher validation accuracy.
    """
    gap = _check_fraction("gap", gap)
    missing = {"accuracy", "val_accuracy"} - set(getattr(history, "columns", ()))
    if missing:
        raise ValueError(
            "history needs the columns 'accuracy' and 'val_accuracy' (train with "
            f"validation data); missing {sorted(missing)}.")
    if len(history) == 0:
        raise ValueError("history is empty: it needs at least one epoch.")
    last = history.iloc[-1]
    if last["accuracy"] - last["val_accuracy"] <= gap:
        return "close"
    earlier = history["val_accuracy"].iloc[:-1]
    if len(earlier) == 0 or last["val_accuracy"] >= earlier.max():
        return "gap"
    return "overfits"
