"""Figures that the chapters share, with labels in the reader's language.

The labels are the ``plot.*`` entries of ``report.WORDS``, the book's one
table of translated words.

Every function takes ``lang`` (``"es"`` or ``"en"``) and returns the matplotlib
``Figure`` it drew, so that a chapter can show it, save it or ``glue`` it. The
functions draw through ``matplotlib.pyplot`` (which works with the Agg backend
of the tests and the site build) and close nothing: the caller owns the figure.

Counting is kept apart from drawing: :func:`confusion_counts` and
:func:`per_class_report` return numbers that a test can check, and
:func:`confusion_matrix` only draws what the first returns.
"""

from __future__ import annotations

import math
import numbers

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import ticker

from book.lib import report
from book.lib.report import format_number, format_percent


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
    labels = report.words("plot", lang)
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
    words = report.words("plot", lang)
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
        ax.set_title(title, fontsize=9, color=color)
    fig.tight_layout()
    return fig


# --- Classification results -------------------------------------------------

def _class_indices(values, name: str, num_classes: int) -> np.ndarray:
    """``values`` as a 1-D integer array of class indices in ``0..num_classes-1``."""
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] > 1:
        raise ValueError(
            f"{name} must hold one class index per example, shape (n,); "
            f"received shape {array.shape}, which looks like probabilities or "
            f"one-hot rows. Pass {name}.argmax(axis=1) instead.")
    array = array.reshape(-1) if array.ndim == 2 else array
    if array.ndim != 1:
        raise ValueError(
            f"{name} must have shape (n,); received shape {array.shape}.")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise TypeError(
            f"{name} must hold integer class indices; received dtype "
            f"{array.dtype}. Convert it with {name}.astype(int) if the values "
            "are whole numbers.")
    if array.size and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(
            f"{name} must hold class indices from 0 to {num_classes - 1} "
            f"(one per class name); received values from {array.min()} to "
            f"{array.max()}.")
    return array.astype(np.int64)


def _pair(y_true, y_pred, num_classes: int):
    """Validated ``(y_true, y_pred)`` index arrays of the same length."""
    y_true = _class_indices(y_true, "y_true", num_classes)
    y_pred = _class_indices(y_pred, "y_pred", num_classes)
    if len(y_true) != len(y_pred):
        raise ValueError(
            "y_true and y_pred must have one entry per example; received "
            f"len(y_true)={len(y_true)} and len(y_pred)={len(y_pred)}.")
    return y_true, y_pred


def confusion_counts(y_true, y_pred, num_classes: int) -> np.ndarray:
    """The confusion matrix as counts, computed with NumPy.

    Entry ``[i, j]`` counts the examples of true class ``i`` that the model
    predicted as class ``j``: the diagonal holds the hits, each row sums to the
    number of examples of its class and each column to the number of
    predictions of its class. The chapter on training a first CNN reads it.

    Args:
        y_true: ``n`` true class indices.
        y_pred: ``n`` predicted class indices (e.g.
            ``model.predict(x).argmax(axis=1)``).
        num_classes: how many classes there are (the matrix is square).

    Returns:
        An ``int64`` array of shape ``(num_classes, num_classes)``.

    Raises:
        ValueError: if the lengths differ or an index is out of range.
        TypeError: if the labels are not integers.
    """
    if (not isinstance(num_classes, numbers.Integral)
            or isinstance(num_classes, bool) or num_classes < 1):
        raise ValueError(
            "num_classes must be a positive integer; "
            f"received num_classes={num_classes!r}.")
    y_true, y_pred = _pair(y_true, y_pred, num_classes)
    # Each (true, predicted) pair gets a unique cell number true * n + pred.
    cells = np.bincount(y_true * num_classes + y_pred,
                        minlength=num_classes * num_classes)
    return cells.reshape(num_classes, num_classes)


def per_class_report(y_true, y_pred, class_names, lang: str = "en"):
    """Precision, recall, F1 and support of each class, as numbers.

    For class ``c`` with ``tp`` hits, ``fp`` other examples predicted as ``c``
    and ``fn`` examples of ``c`` predicted as something else:
    ``precision = tp / (tp + fp)``, ``recall = tp / (tp + fn)``,
    ``F1 = 2 * precision * recall / (precision + recall)`` and ``support`` is
    the number of examples of ``c``. A ratio whose denominator is zero (a class
    never predicted, or absent) is reported as 0.0, as scikit-learn does by
    default.

    Args:
        y_true: ``n`` true class indices.
        y_pred: ``n`` predicted class indices.
        class_names: the names of the classes, indexed by label (e.g.
            ``data.class_names(lang)``).
        lang: language of the column headers and the index name.

    Returns:
        A DataFrame with one row per class (indexed by its name) and the
        columns precision, recall, F1 and support in ``lang`` (Spanish:
        precisión, exhaustividad, F1, ejemplos). Format it for the page
        separately.
    """
    words = report.words("plot", lang)
    names = list(class_names)
    counts = confusion_counts(y_true, y_pred, len(names))
    hits = np.diag(counts).astype(float)
    predicted = counts.sum(axis=0)  # tp + fp, per column.
    support = counts.sum(axis=1)  # tp + fn, per row.
    precision = np.divide(hits, predicted, out=np.zeros_like(hits),
                          where=predicted > 0)
    recall = np.divide(hits, support, out=np.zeros_like(hits),
                       where=support > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(hits),
                   where=both > 0)
    table = pd.DataFrame({
        words["precision"]: precision,
        words["recall"]: recall,
        words["f1"]: f1,
        words["support"]: support.astype(np.int64),
    }, index=pd.Index(names, name=words["class"]))
    return table


def confusion_matrix(y_true, y_pred, class_names, lang: str = "en",
                     normalize: bool = False):
    """A heat map of the confusion matrix, each cell annotated.

    Rows are the true classes and columns the predicted ones, as in
    :func:`confusion_counts`. With ``normalize=True`` each row is divided by
    its total, so the diagonal reads as the recall of each class.

    Args:
        y_true: ``n`` true class indices.
        y_pred: ``n`` predicted class indices.
        class_names: the names of the classes, indexed by label (e.g.
            ``data.class_names(lang)``).
        lang: language of the axis labels and of the numbers.
        normalize: show fractions of each true class instead of counts.

    Returns:
        The matplotlib Figure.
    """
    words = report.words("plot", lang)
    names = list(class_names)
    counts = confusion_counts(y_true, y_pred, len(names))
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        shown = np.divide(counts, totals, out=np.zeros(counts.shape),
                          where=totals > 0)
    else:
        shown = counts
    size = max(4.0, 0.6 * len(names) + 2.0)
    fig, ax = plt.subplots(figsize=(size, size * 0.9))
    image = ax.imshow(shown, cmap="Blues", vmin=0,
                      vmax=1 if normalize else max(1, shown.max()))
    # Dark text on light cells and light text on dark ones.
    threshold = (1 if normalize else max(1, shown.max())) / 2
    for i in range(len(names)):
        for j in range(len(names)):
            text = (format_number(shown[i, j], lang, 2) if normalize
                    else format_number(int(shown[i, j]), lang))
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if shown[i, j] > threshold else "black")
    ticks = np.arange(len(names))
    ax.set_xticks(ticks, names, rotation=45, ha="right")
    ax.set_yticks(ticks, names)
    ax.set_xlabel(words["pred_class"])
    ax.set_ylabel(words["true_class"])
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig


def mistakes_grid(images, y_true, y_pred, class_names, lang: str = "en",
                  count: int = 16, columns: int = 4):
    """The first ``count`` misclassified images, titled true vs predicted.

    The examples are taken in their order in ``images``, so the figure is the
    same on every run with the same predictions.

    Args:
        images: array ``(n, h, w)`` or ``(n, h, w, 1)``.
        y_true: ``n`` true class indices.
        y_pred: ``n`` predicted class indices.
        class_names: the names of the classes, indexed by label.
        lang: language of the titles.
        count: at most how many mistakes to show.
        columns: images per row. Each title has two lines (true and predicted
            class); with 4 columns the figure is about 6.4 inches wide, so a
            page shows it near its own size and the 9-point titles stay about
            12 pixels high (8 columns shrank them to about 6).

    Returns:
        The matplotlib Figure; when there is no mistake, a small figure that
        says so.
    """
    words = report.words("plot", lang)
    if (not isinstance(count, numbers.Integral) or isinstance(count, bool)
            or count < 1):
        raise ValueError(
            f"count must be a positive integer; received count={count!r}.")
    y_true, y_pred = _pair(y_true, y_pred, len(class_names))
    images = np.asarray(images)
    if len(images) != len(y_true):
        raise ValueError(
            f"images and labels must have the same length; received "
            f"{len(images)} images and {len(y_true)} labels.")
    wrong = np.flatnonzero(y_true != y_pred)
    if wrong.size == 0:
        fig, ax = plt.subplots(figsize=(5, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, words["no_mistakes"], ha="center", va="center")
        return fig
    chosen = wrong[:count]
    fig = image_grid(images[chosen], y_true[chosen], class_names,
                     predictions=y_pred[chosen], lang=lang,
                     columns=min(columns, len(chosen)))
    fig.suptitle(words["mistakes_title"].format(
        shown=format_number(len(chosen), lang),
        total=format_number(len(wrong), lang),
        count=format_number(len(y_true), lang)))
    fig.tight_layout()
    return fig


# --- Inside a network -------------------------------------------------------

def feature_maps(model, layer_name: str, image, lang: str = "en",
                 max_maps: int = 16, columns: int = 8):
    """The channels that one layer produces for one image.

    Builds the sub-model ``keras.Model(model.inputs,
    model.get_layer(layer_name).output)``, runs it on ``image`` and shows the
    first ``max_maps`` channels, each on its own colour scale. The chapter on
    convolutions introduces feature maps; later chapters reuse this figure.

    Args:
        model: a built functional or Sequential Keras model.
        layer_name: the name of a layer whose output is ``(batch, h, w, c)``.
        image: one input, shaped like the model's input without the batch
            axis (e.g. ``(28, 28, 1)``), or with a batch axis of 1.
        lang: language of the titles.
        max_maps: at most how many channels to show.
        columns: maps per row.

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: if the model has no layer ``layer_name`` (the message
            lists the names it has), if the layer's output is not a stack of
            2-D maps, or if ``image`` does not fit the input.
    """
    words = report.words("plot", lang)
    import keras

    if (not isinstance(max_maps, numbers.Integral) or isinstance(max_maps, bool)
            or max_maps < 1):
        raise ValueError(
            f"max_maps must be a positive integer; received max_maps={max_maps!r}.")
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(
            f"The model {model.name!r} has no layer named {layer_name!r}. "
            f"Its layers are: {', '.join(names)}. "
            "Pass one of these names (model.summary() shows them too).")
    # An unbuilt Sequential model raises AttributeError on ``.inputs``.
    inputs = getattr(model, "inputs", None)
    if not inputs:
        raise ValueError(
            f"The model {model.name!r} has no defined inputs yet, so its "
            "layers cannot be read. Start it with keras.Input(...) (or call "
            "it once on data) before asking for feature maps.")
    output = model.get_layer(layer_name).output
    if len(output.shape) != 4:
        raise ValueError(
            f"The layer {layer_name!r} outputs shape {tuple(output.shape)}; "
            "feature maps need (batch, height, width, channels). Choose a "
            "convolution or pooling layer.")
    expected = tuple(inputs[0].shape[1:])
    array = np.asarray(image, dtype="float32")
    if array.shape == (1, *expected):
        batch = array
    elif array.shape == expected:
        batch = array[None]
    else:
        raise ValueError(
            f"image must have shape {expected} (or {(1, *expected)}), like "
            f"the model's input; received shape {array.shape}.")
    probe = keras.Model(model.inputs, output)
    # Calling the sub-model directly prints no progress bar, unlike predict.
    maps = keras.ops.convert_to_numpy(probe([batch], training=False))[0]
    total = maps.shape[-1]
    shown = min(max_maps, total)
    columns = min(columns, shown)
    rows = math.ceil(shown / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.8 * rows),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < shown:
            ax.imshow(maps[..., i], cmap="viridis")
            ax.set_title(f"{words['channel']} {i}", fontsize=8)
    fig.suptitle(words["maps_title"].format(
        layer=layer_name, shown=format_number(shown, lang),
        total=format_number(total, lang)))
    fig.tight_layout()
    return fig


# --- Costs ------------------------------------------------------------------

def _axis_label(key: str, words: dict) -> str:
    """The translated label of ``key``, or ``key`` itself when it is a label."""
    return words.get(key, key)


def _number_ticks(axis, lang: str) -> None:
    """Tick labels written with the language's separators, in full."""
    def fmt(value, _position):
        decimals = 0 if float(value).is_integer() else 2
        return format_number(value, lang, decimals)

    axis.set_major_formatter(ticker.FuncFormatter(fmt))


def savings_bar(values, lang: str = "en", ylabel_key: str = "macs",
                title: str | None = None, decimals: int = 0):
    """Bars comparing a cost with and without a technique, saving annotated.

    The first entry is the reference (e.g. a standard convolution); every other
    bar is annotated with its value and its saving with respect to the
    reference, as a percentage and as a ratio: ``saving = 1 - value /
    reference`` and ``ratio = reference / value`` ("8.4× fewer"). The chapters
    on 1x1 and depthwise separable convolutions use it.

    Args:
        values: an ordered ``{label: number}`` dict, reference first, e.g.
            ``{"3x3 conv": 115_605_504, "depthwise + 1x1": 13_646_848}``.
        lang: language of the labels and the numbers.
        ylabel_key: a ``plot.*`` word of ``report.WORDS`` (``"macs"``, ``"params"``,
            ``"seconds"``...) or the y label itself.
        title: optional title, already in ``lang``.
        decimals: digits after the decimal mark in the annotations.

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: if there are fewer than two entries, a value is negative
            or not a number, or the reference is zero.
    """
    words = report.words("plot", lang)
    if not isinstance(values, dict) or len(values) < 2:
        raise ValueError(
            "values must be a dict {label: number} with the reference first "
            f"and at least one alternative; received {values!r}.")
    labels = [str(label) for label in values]
    numbers_ = list(values.values())
    for label, value in zip(labels, numbers_):
        if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                or not math.isfinite(value) or value < 0):
            raise ValueError(
                "every value must be a finite, non-negative number; received "
                f"{label!r}: {value!r}.")
    reference = float(numbers_[0])
    if reference == 0:
        raise ValueError(
            f"the reference (first entry, {labels[0]!r}) is 0, so no saving "
            "can be computed; put the costlier variant first.")
    fig, ax = plt.subplots(figsize=(max(4.0, 1.6 * len(labels) + 1), 3.8))
    colors = ["tab:gray"] + ["tab:blue"] * (len(labels) - 1)
    bars = ax.bar(labels, numbers_, color=colors)
    for i, (bar, value) in enumerate(zip(bars, numbers_)):
        text = format_number(value, lang, decimals)
        if i > 0:
            saving = 1 - value / reference
            text += f"\n{words['saving']}: {format_percent(saving, lang)}"
            if value > 0:
                ratio = reference / value
                if ratio >= 1:
                    text += (f"\n({format_number(ratio, lang, 1)}× "
                             f"{words['fewer']})")
                else:
                    text += (f"\n({format_number(1 / ratio, lang, 1)}× "
                             f"{words['more']})")
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    xytext=(0, 3), textcoords="offset points", ha="center",
                    va="bottom", fontsize=8)
    ax.set_ylabel(_axis_label(ylabel_key, words))
    _number_ticks(ax.yaxis, lang)
    # Room above the tallest bar for its annotation.
    ax.set_ylim(0, max(numbers_) * 1.35)
    if title is not None:
        ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def architecture_scatter(df, x: str = "macs", y: str = "params",
                         label: str = "name", lang: str = "en",
                         log: bool | None = None, title: str | None = None):
    """Architectures as points: cost against cost, or cost against accuracy.

    Used where the book compares networks (VGG, Inception, ResNet,
    MobileNet...): each row of ``df`` is one network.

    Args:
        df: a DataFrame with columns ``x``, ``y`` and ``label``.
        x: column for the horizontal axis (``"macs"``, ``"params"``...).
        y: column for the vertical axis (``"params"``, ``"accuracy"``...).
        label: column with the name written next to each point.
        lang: language of the axis labels and of the numbers.
        log: logarithmic axes. None (default) uses a log scale on each axis
            whose values are all positive and span at least a factor of 10
            (costs usually do, accuracies do not).
        title: optional title, already in ``lang``.

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: if a column is missing (the message lists the columns).
    """
    words = report.words("plot", lang)
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"df must be a pandas DataFrame; received {type(df).__name__}.")
    missing = [c for c in (x, y, label) if c not in df.columns]
    if missing:
        raise ValueError(
            f"df has no column(s) {missing}; its columns are "
            f"{list(df.columns)}. Pass x=, y= and label= with names it has.")
    fig, ax = plt.subplots(figsize=(6, 4.5))
    xs = df[x].to_numpy(dtype=float)
    ys = df[y].to_numpy(dtype=float)
    ax.scatter(xs, ys, color="tab:blue", zorder=3)
    for name, xv, yv in zip(df[label], xs, ys):
        ax.annotate(str(name), (xv, yv), xytext=(4, 4),
                    textcoords="offset points", fontsize=8)
    for values, axis, set_scale, key in ((xs, ax.xaxis, ax.set_xscale, x),
                                         (ys, ax.yaxis, ax.set_yscale, y)):
        positive = values[np.isfinite(values)]
        use_log = log
        if use_log is None:
            use_log = bool(positive.size and positive.min() > 0
                           and positive.max() / positive.min() >= 10)
        if use_log:
            set_scale("log")
        elif key == "accuracy" and positive.size and positive.max() <= 1:
            axis.set_major_formatter(ticker.FuncFormatter(
                lambda v, _p: format_percent(v, lang, 0)))
        else:
            _number_ticks(axis, lang)
    # Room for the names written to the right of the outermost points.
    ax.margins(x=0.15, y=0.1)
    ax.set_xlabel(_axis_label(x, words))
    ax.set_ylabel(_axis_label(y, words))
    if title is not None:
        ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


# --- Architecture diagrams -------------------------------------------------

def _check_columns(df, needed, what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame (a cost table from "
                        f"book.lib.costs); received {type(df).__name__}.")
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(
            f"{what} has no column(s) {missing}; its columns are "
            f"{list(df.columns)}. Pass a table from costs.layer_costs or "
            "costs.block_totals.")
    if df.empty:
        raise ValueError(f"{what} is empty: there is nothing to draw.")


def _channels(shape) -> int:
    """The last axis of an output shape (the channels), 1 for a scalar."""
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else ()
    return int(shape[-1]) if shape else 1


def network_diagram(blocks, lang: str = "en", label: str = "block",
                    title: str | None = None):
    """A network as a column of boxes, one per row, with output shape and MACs.

    The VGG and Inception chapters draw their networks with it from the same
    cost table that counts them: ``costs.block_totals(costs.layer_costs(model))``
    for a whole network, ``costs.layer_costs(model)`` for one block. So the
    picture follows the data that builds the network: change a configuration
    and the boxes, their shapes and their MACs change with it.

    Each box is one row, top to bottom in the order of the table; its width
    grows with the row's output channels (on a log scale), and it shows the
    row's name and output shape. A bar beside it is proportional to the row's
    MACs and is annotated with them (``1.85 G``).

    Args:
        blocks: a DataFrame with columns ``label``, ``output_shape`` (tuples)
            and ``macs``, one row per block or layer.
        lang: language of the labels and of the numbers.
        label: the column that names each row (``"block"`` or ``"name"``).
        title: optional title, already in ``lang``.

    Returns:
        The matplotlib Figure.

    Raises:
        TypeError: if ``blocks`` is not a DataFrame.
        ValueError: if a column is missing or the table is empty.
    """
    words = report.words("plot", lang)
    _check_columns(blocks, (label, "output_shape", "macs"), "blocks")
    names = [str(name) for name in blocks[label]]
    shapes = list(blocks["output_shape"])
    macs = blocks["macs"].to_numpy(dtype=float)
    channels = np.array([_channels(shape) for shape in shapes], dtype=float)
    widest = math.log2(max(channels.max(), 2.0))
    widths = 0.35 + 0.6 * np.log2(np.maximum(channels, 1.0)) / widest
    rows = len(names)
    fig, (ax_boxes, ax_macs) = plt.subplots(
        1, 2, figsize=(9, 0.42 * rows + 1.1), sharey=True,
        gridspec_kw={"width_ratios": (1.5, 1)})
    ys = np.arange(rows)
    ax_boxes.plot([0.5, 0.5], [0, rows - 1], color="0.6", lw=1, zorder=1)
    for y, name, shape, width in zip(ys, names, shapes, widths):
        ax_boxes.add_patch(plt.Rectangle(
            (0.5 - width / 2, y - 0.36), width, 0.72, facecolor="#dbe9f6",
            edgecolor="tab:blue", zorder=2))
        ax_boxes.text(0.5, y, f"{name}   {report.format_shape(tuple(shape))}"
                      if isinstance(shape, (tuple, list)) else name,
                      ha="center", va="center", fontsize=8, zorder=3)
    ax_boxes.set_xlim(0, 1)
    ax_boxes.set_ylim(rows - 0.5, -0.5)
    ax_boxes.axis("off")
    ax_macs.barh(ys, macs, height=0.6, color="tab:orange")
    for y, value in zip(ys, macs):
        ax_macs.annotate(report.human(int(value), lang) if value else "0",
                         (value, y), xytext=(3, 0), textcoords="offset points",
                         va="center", fontsize=7)
    ax_macs.set_xlim(0, max(macs.max(), 1.0) * 1.3)
    ax_macs.set_xlabel(words["macs"])
    ax_macs.xaxis.set_major_formatter(ticker.FuncFormatter(
        lambda v, _p: report.human(v, lang, 1) if v else "0"))
    ax_macs.tick_params(left=False)
    ax_macs.grid(axis="x", alpha=0.3)
    for side in ("top", "right", "left"):
        ax_macs.spines[side].set_visible(False)
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


#: Where each layer of an Inception module sits in figure 2b of Szegedy et
#: al. (2015): (column, level), by the suffix of its name; and what it is.
_INCEPTION_LAYOUT = {
    "1x1": (0, 1, "1×1"), "3x3_reduce": (1, 0, "1×1"), "3x3": (1, 1, "3×3"),
    "5x5_reduce": (2, 0, "1×1"), "5x5": (2, 1, "5×5"),
    "pool": (3, 0, "3×3"), "pool_proj": (3, 1, "1×1"),
}


def inception_module_diagram(module_costs, name: str, lang: str = "en",
                             title: str | None = None):
    """An Inception module drawn as figure 2b of the paper, from its cost table.

    The four branches stand side by side between the module's input and its
    concatenation; each box shows the layer's kernel, its output shape and
    its MACs, read from ``module_costs`` (``costs.layer_costs`` of a model
    built with ``blocks.inception_module(..., name=name)``, whose layers are
    named ``{name}_1x1``, ``{name}_3x3_reduce``...). Change the filters that
    build the module and the picture changes with them.

    Args:
        module_costs: a cost table with columns ``name``, ``type``,
            ``output_shape`` and ``macs``; a row of type ``InputLayer``, if
            present, gives the input box.
        name: the module's name prefix (``"inception_3a"``).
        lang: language of the labels and of the numbers.
        title: optional title, already in ``lang``.

    Returns:
        The matplotlib Figure.

    Raises:
        TypeError: if ``module_costs`` is not a DataFrame.
        ValueError: if a column is missing, or a layer of the module is not
            in the table.
    """
    words = report.words("plot", lang)
    _check_columns(module_costs, ("name", "type", "output_shape", "macs"),
                   "module_costs")
    rows = module_costs.set_index("name")
    needed = [f"{name}_{suffix}" for suffix in _INCEPTION_LAYOUT] + [
        f"{name}_output"]
    missing = [layer for layer in needed if layer not in rows.index]
    if missing:
        raise ValueError(
            f"module_costs has no layer(s) {missing} of module {name!r}; build "
            f"it with blocks.inception_module(..., name={name!r}).")
    fig, ax = plt.subplots(figsize=(9, 4.6))

    def box(x, y, text, color):
        ax.text(x, y, text, ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round,pad=0.4", facecolor=color,
                          edgecolor="0.3"))

    def arrow(start, end):
        ax.annotate("", xy=end, xytext=start,
                    arrowprops=dict(arrowstyle="->", color="0.4", lw=1))

    levels = {0: 1.0, 1: 2.2}
    inputs = module_costs[module_costs["type"] == "InputLayer"]
    input_text = words["input"]
    if len(inputs):
        input_text += "\n" + report.format_shape(tuple(inputs["output_shape"].iloc[0]))
    box(1.5, -0.2, input_text, "#eeeeee")
    for suffix, (column, level, kernel) in _INCEPTION_LAYOUT.items():
        row = rows.loc[f"{name}_{suffix}"]
        is_pool = "Pooling" in str(row["type"])
        kind = words["max_pool"] if is_pool else words["conv"]
        text = (f"{suffix}\n{kernel} {kind}\n"
                f"{report.format_shape(tuple(row['output_shape']))}\n"
                f"{report.human(int(row['macs']), lang)} {words['macs']}"
                if row["macs"] else
                f"{suffix}\n{kernel} {kind}\n"
                f"{report.format_shape(tuple(row['output_shape']))}")
        y = levels[level]
        box(column, y, text, "#fde2c8" if is_pool else "#dbe9f6")
        if level == 1 and suffix != "1x1":
            arrow((column, levels[0] + 0.35), (column, y - 0.42))
        else:
            arrow((1.5, 0.05), (column, y - 0.42))
        if level == 1:
            arrow((column, y + 0.42), (1.5, 3.25))
    output = rows.loc[f"{name}_output"]
    module_macs = int(module_costs.loc[
        module_costs["name"].str.startswith(f"{name}_"), "macs"].sum())
    box(1.5, 3.5, f"{words['concat']}  "
        f"{report.format_shape(tuple(output['output_shape']))}\n"
        f"{name}: {report.human(module_macs, lang)} {words['macs']}", "#e3f1dc")
    ax.set_xlim(-0.6, 3.6)
    ax.set_ylim(-0.7, 3.9)
    ax.axis("off")
    if title is not None:
        ax.set_title(title)
    fig.tight_layout()
    return fig
