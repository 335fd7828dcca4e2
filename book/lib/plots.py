"""Figures that the chapters share, with labels in the reader's language.

Every function takes ``lang`` (``"es"`` or ``"en"``) and returns the matplotlib
``Figure`` it drew, so that a chapter can show it, save it or ``glue`` it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from book.lib.config import check_language

LABELS = {
    "en": {"epoch": "Epoch", "loss": "Loss", "accuracy": "Accuracy",
           "train": "training", "val": "validation",
           "true": "true", "pred": "predicted"},
    "es": {"epoch": "Época", "loss": "Pérdida", "accuracy": "Exactitud",
           "train": "entrenamiento", "val": "validación",
           "true": "real", "pred": "predicha"},
}


def _history_dict(history) -> dict:
    """The metric lists of a Keras ``History``, a dict or a DataFrame."""
    if hasattr(history, "history"):
        return dict(history.history)
    if hasattr(history, "to_dict") and hasattr(history, "columns"):
        return {c: list(history[c]) for c in history.columns}
    if isinstance(history, dict):
        return history
    raise TypeError(
        "history must be a keras History (what model.fit returns), a dict of "
        "metric lists or a DataFrame; received "
        f"{type(history).__name__}.")


def training_curves(history, lang: str = "en", metrics=("loss", "accuracy")):
    """Learning curves: one panel per metric, training and validation.

    Args:
        history: what ``model.fit`` returned (or its ``.history`` dict, or a
            DataFrame with one column per metric).
        lang: language of the labels.
        metrics: the metrics to plot, one panel each; ``val_<metric>`` is
            drawn too when present.

    Returns:
        The matplotlib Figure.
    """
    labels = LABELS[check_language(lang)]
    values = _history_dict(history)
    missing = [m for m in metrics if m not in values]
    if missing:
        raise ValueError(
            f"history has no {missing} values; it has {sorted(values)}. "
            "Pass metrics=... with names that model.fit recorded.")
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5),
                             squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        epochs = np.arange(1, len(values[metric]) + 1)
        ax.plot(epochs, values[metric], "o-", label=labels["train"])
        if f"val_{metric}" in values:
            ax.plot(epochs, values[f"val_{metric}"], "s--", label=labels["val"])
        ax.set_xlabel(labels["epoch"])
        ax.set_ylabel(labels.get(metric, metric))
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def image_grid(images, labels, class_names, predictions=None, lang: str = "en",
               columns: int = 8):
    """A grid of grey-scale images titled with their labels.

    Args:
        images: array ``(n, h, w)`` or ``(n, h, w, 1)``.
        labels: ``n`` true class indices.
        class_names: the names of the classes, indexed by label.
        predictions: optional ``n`` predicted class indices; a wrong
            prediction is titled in red with both names.
        lang: language of the titles.
        columns: images per row.

    Returns:
        The matplotlib Figure.
    """
    words = LABELS[check_language(lang)]
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(
            "images must have shape (n, height, width) or (n, height, width, 1); "
            f"received shape {images.shape}.")
    if len(labels) != len(images):
        raise ValueError(
            f"labels must have one entry per image; received {len(labels)} "
            f"labels for {len(images)} images.")
    rows = int(np.ceil(len(images) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.9 * rows),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        ax.imshow(images[i], cmap="gray_r")
        title = class_names[labels[i]]
        color = "black"
        if predictions is not None and predictions[i] != labels[i]:
            title = (f"{words['true']}: {class_names[labels[i]]}\n"
                     f"{words['pred']}: {class_names[predictions[i]]}")
            color = "tab:red"
        ax.set_title(title, fontsize=8, color=color)
    fig.tight_layout()
    return fig
