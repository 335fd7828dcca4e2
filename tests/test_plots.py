"""Tests for book.lib.plots: counts checked by hand, labels in both languages."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from book.lib import data, plots  # noqa: E402

# Three classes; by hand:
#   true 0: predicted 0, 0, 1     -> row 0 = [2, 1, 0]
#   true 1: predicted 1, 2        -> row 1 = [0, 1, 1]
#   true 2: predicted 2, 2, 0, 2  -> row 2 = [1, 0, 3]
Y_TRUE = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
Y_PRED = np.array([0, 0, 1, 1, 2, 2, 2, 0, 2])
NAMES = ("cat", "dog", "bird")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_confusion_counts_by_hand():
    expected = np.array([[2, 1, 0],
                         [0, 1, 1],
                         [1, 0, 3]])
    counts = plots.confusion_counts(Y_TRUE, Y_PRED, 3)
    np.testing.assert_array_equal(counts, expected)
    assert counts.sum() == len(Y_TRUE)


def test_confusion_counts_empty_class_is_a_zero_row():
    counts = plots.confusion_counts([0, 0], [0, 2], 4)
    assert counts.shape == (4, 4)
    assert counts[1].sum() == 0 and counts[3].sum() == 0


@pytest.mark.parametrize("lang, headers", [
    ("es", ["precisión", "exhaustividad", "F1", "ejemplos"]),
    ("en", ["precision", "recall", "F1", "support"]),
])
def test_per_class_report_by_hand(lang, headers):
    table = plots.per_class_report(Y_TRUE, Y_PRED, NAMES, lang)
    assert list(table.columns) == headers
    assert list(table.index) == list(NAMES)
    precision, recall, f1, support = (table[h].to_numpy() for h in headers)
    # precision = hits / column sum; recall = hits / row sum.
    np.testing.assert_allclose(precision, [2 / (2 + 1), 1 / (1 + 1), 3 / (1 + 3)])
    np.testing.assert_allclose(recall, [2 / 3, 1 / 2, 3 / 4])
    expected_f1 = [2 * p * r / (p + r) for p, r in
                   [(2 / 3, 2 / 3), (1 / 2, 1 / 2), (3 / 4, 3 / 4)]]
    np.testing.assert_allclose(f1, expected_f1)
    np.testing.assert_array_equal(support, [3, 2, 4])


def test_per_class_report_precision_and_recall_differ():
    # Class 0 is predicted 4 times, 2 of them right, and has 2 examples:
    # precision 2 / 4, recall 2 / 2. A swap of the two formulas fails here.
    table = plots.per_class_report([0, 0, 1, 1], [0, 0, 0, 0], ("a", "b"), "en")
    assert table.loc["a", "precision"] == pytest.approx(2 / 4)
    assert table.loc["a", "recall"] == pytest.approx(2 / 2)
    # Class 1 is never predicted: its precision is 0/0, reported as 0.
    assert table.loc["b", "precision"] == 0.0
    assert table.loc["b", "F1"] == 0.0


@pytest.mark.parametrize("y_pred, error, match", [
    ([0, 1], ValueError, "len\\(y_pred\\)=2"),
    ([0, 1, 5], ValueError, "from 0 to 2"),
    ([0.0, 1.0, 2.0], TypeError, "integer class indices"),
    (np.eye(3), ValueError, "argmax\\(axis=1\\)"),
])
def test_confusion_counts_errors(y_pred, error, match):
    with pytest.raises(error, match=match):
        plots.confusion_counts([0, 1, 2], y_pred, 3)


@pytest.mark.parametrize("lang, xlabel, ylabel", [
    ("es", "Clase predicha", "Clase real"),
    ("en", "Predicted class", "True class"),
])
def test_confusion_matrix_labels_follow_language(lang, xlabel, ylabel):
    fig = plots.confusion_matrix(Y_TRUE, Y_PRED, NAMES, lang)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == (xlabel, ylabel)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(NAMES)
    # One annotation per cell, the counts of the matrix, row by row.
    assert [t.get_text() for t in ax.texts] == ["2", "1", "0", "0", "1", "1",
                                               "1", "0", "3"]


def test_confusion_matrix_normalized_uses_the_decimal_comma_in_spanish():
    fig = plots.confusion_matrix(Y_TRUE, Y_PRED, NAMES, "es", normalize=True)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts[:3] == ["0,67", "0,33", "0,00"]  # 2/3, 1/3, 0/3


def test_confusion_matrix_fashion_mnist_names():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 50)
    fig = plots.confusion_matrix(y, y, data.class_names("es"), "es")
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == list(data.class_names("es"))


def test_bad_language_is_refused():
    with pytest.raises(ValueError, match="received lang='fr'"):
        plots.confusion_matrix(Y_TRUE, Y_PRED, NAMES, "fr")


def test_training_curves_in_spanish():
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7],
               "accuracy": [0.5, 0.8], "val_accuracy": [0.4, 0.7]}
    fig = plots.training_curves(history, "es")
    assert [ax.get_xlabel() for ax in fig.axes] == ["Época", "Época"]
    assert [ax.get_ylabel() for ax in fig.axes] == ["Pérdida", "Exactitud"]


def test_mistakes_grid_shows_only_mistakes():
    images = np.random.default_rng(0).random((9, 8, 8, 1))
    fig = plots.mistakes_grid(images, Y_TRUE, Y_PRED, NAMES, "es", count=2)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    # The first two mistakes: example 2 (cat as dog), example 4 (dog as bird).
    assert titles == ["real: cat\npredicha: dog", "real: dog\npredicha: bird"]
    assert fig._suptitle.get_text() == "2 de 3 errores (9 imágenes)"


def test_mistakes_grid_without_mistakes():
    images = np.zeros((3, 8, 8))
    fig = plots.mistakes_grid(images, [0, 1, 2], [0, 1, 2], NAMES, "en")
    assert "No mistakes" in fig.axes[0].texts[0].get_text()


@pytest.mark.parametrize("count", [0, -1, 2.5])
def test_mistakes_grid_count_must_be_positive(count):
    with pytest.raises(ValueError, match="count must be a positive integer"):
        plots.mistakes_grid(np.zeros((9, 8, 8)), Y_TRUE, Y_PRED, NAMES, "en",
                            count=count)


@pytest.mark.parametrize("lang, texts", [
    ("en", ["1,000,000", "250,000\nSaving: 75.0%\n(4.0× fewer)"]),
    # Spanish groups thousands with a narrow no-break space (U+202F) and puts
    # a no-break space (U+00A0) before the percent sign.
    ("es", ["1\u202f000\u202f000",
            "250\u202f000\nAhorro: 75,0\u00a0%\n(4,0× menos)"]),
])
def test_savings_bar_annotations(lang, texts):
    fig = plots.savings_bar({"3x3": 1_000_000, "1x1": 250_000}, lang)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == texts
    assert ax.get_ylabel() == "MACs"


def test_savings_bar_labels_and_increase():
    fig = plots.savings_bar({"a": 100, "b": 150}, "es", ylabel_key="params",
                            title="Coste")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Parámetros"
    assert ax.get_title() == "Coste"
    # 1 - 150 / 100 = -0.5: a cost, shown as a negative saving.
    assert ax.texts[1].get_text() == "150\nAhorro: -50,0\u00a0%\n(1,5× más)"
    fig = plots.savings_bar({"a": 2, "b": 1}, "en", ylabel_key="Milliseconds")
    assert fig.axes[0].get_ylabel() == "Milliseconds"


@pytest.mark.parametrize("values, match", [
    ({"only": 1}, "at least one alternative"),
    ({"a": 0, "b": 1}, "reference .* is 0"),
    ({"a": 1, "b": -1}, "non-negative"),
])
def test_savings_bar_errors(values, match):
    with pytest.raises(ValueError, match=match):
        plots.savings_bar(values, "en")


COSTS = pd.DataFrame({
    "name": ["VGG16", "ResNet50", "MobileNet"],
    # Parameters and MACs of the 224x224 networks, rounded.
    "params": [138_357_544, 25_636_712, 4_253_864],
    "macs": [15_470_000_000, 4_110_000_000, 569_000_000],
    "accuracy": [0.713, 0.749, 0.706],
})


@pytest.mark.parametrize("lang, ylabel", [("es", "Parámetros"),
                                          ("en", "Parameters")])
def test_architecture_scatter_log_costs(lang, ylabel):
    fig = plots.architecture_scatter(COSTS, x="macs", y="params", lang=lang)
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("MACs", ylabel)
    assert [t.get_text() for t in ax.texts] == list(COSTS["name"])


def test_architecture_scatter_accuracy_is_linear_and_percent():
    fig = plots.architecture_scatter(COSTS, x="macs", y="accuracy", lang="es")
    ax = fig.axes[0]
    assert ax.get_yscale() == "linear"
    assert ax.get_ylabel() == "Exactitud"
    assert ax.yaxis.get_major_formatter()(0.7, 0) == "70\u00a0%"


def test_architecture_scatter_missing_column():
    with pytest.raises(ValueError, match="no column.*'flops'.*columns are"):
        plots.architecture_scatter(COSTS, x="flops", lang="en")


def test_feature_maps():
    import keras

    inputs = keras.Input((8, 8, 1), name="pixels")
    x = keras.layers.Conv2D(5, 3, padding="same", name="block1_conv1")(inputs)
    x = keras.layers.Flatten(name="flatten")(x)
    model = keras.Model(inputs, keras.layers.Dense(2, name="logits")(x))
    image = np.random.default_rng(0).random((8, 8, 1))
    fig = plots.feature_maps(model, "block1_conv1", image, "es", max_maps=4)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["canal 0", "canal 1", "canal 2", "canal 3"]
    assert fig._suptitle.get_text() == "block1_conv1: 4 de 5 canales"
    # The first map is the first channel of the layer's output.
    probe = keras.Model(model.inputs, model.get_layer("block1_conv1").output)
    expected = keras.ops.convert_to_numpy(probe([image[None]]))[0, ..., 0]
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), expected,
                               rtol=1e-6)
    with pytest.raises(ValueError, match="no layer named 'conv9'.*block1_conv1"):
        plots.feature_maps(model, "conv9", image, "en")
    with pytest.raises(ValueError, match="height, width, channels"):
        plots.feature_maps(model, "flatten", image, "en")
    with pytest.raises(ValueError, match="image must have shape \\(8, 8, 1\\)"):
        plots.feature_maps(model, "block1_conv1", image[..., 0], "en")


# --- Architecture diagrams ---------------------------------------------------

def _texts(fig):
    return [text.get_text() for ax in fig.axes for text in ax.texts]


BLOCKS = pd.DataFrame({
    "block": ["input", "block1", "block2", "flatten", "predictions"],
    "output_shape": [(32, 32, 3), (16, 16, 64), (8, 8, 128), (8192,), (10,)],
    "macs": [0, 32 * 32 * 3 * 3 * 3 * 64, 16 * 16 * 3 * 3 * 64 * 128, 0, 8192 * 10],
})


@pytest.mark.parametrize("lang, macs_text, label", [
    ("en", "1.77 M", "MACs"), ("es", "1,77\u00a0M", "MACs")])
def test_network_diagram_shows_each_block_shape_and_macs(lang, macs_text, label):
    fig = plots.network_diagram(BLOCKS, lang=lang)
    texts = _texts(fig)
    assert "block1   16 × 16 × 64" in texts
    assert "predictions   10" in texts
    assert 16 * 16 * 3 * 3 * 64 * 128 == 18_874_368
    assert any(t.replace("\u00a0", " ") == macs_text.replace("\u00a0", " ")
               for t in texts)  # 32·32·27·64 = 1,769,472 MACs of block1.
    assert fig.axes[1].get_xlabel() == label
    # One box per block, one bar per block.
    assert len(fig.axes[0].patches) == len(BLOCKS)
    assert len(fig.axes[1].patches) == len(BLOCKS)


def test_network_diagram_changes_with_the_data():
    before = _texts(plots.network_diagram(BLOCKS))
    wider = BLOCKS.copy()
    wider["output_shape"] = [(8, 8, 256) if block == "block2" else shape
                             for block, shape in zip(wider["block"],
                                                     wider["output_shape"])]
    wider.loc[2, "macs"] = 2 * BLOCKS.loc[2, "macs"]
    after = _texts(plots.network_diagram(wider))
    assert "block2   8 × 8 × 256" in after and "block2   8 × 8 × 128" in before
    assert set(after) != set(before)
    assert "37.75 M" in [t.replace("\u00a0", " ") for t in after]


@pytest.mark.parametrize("frame, match", [
    (BLOCKS.drop(columns="macs"), r"no column\(s\) \['macs'\]"),
    (BLOCKS.iloc[:0], "empty"),
])
def test_network_diagram_errors(frame, match):
    with pytest.raises(ValueError, match=match):
        plots.network_diagram(frame)


def _module_costs(filters, name="inception_3a"):
    from book.lib import blocks, costs  # noqa: PLC0415  (imports Keras)
    import keras  # noqa: PLC0415

    inputs = keras.Input(shape=(28, 28, 192), name="input")
    model = keras.Model(inputs, blocks.inception_module(inputs, *filters, name=name))
    return costs.layer_costs(model)


def test_inception_module_diagram_shows_figure_2b_from_the_table():
    table = _module_costs((64, 96, 128, 16, 32, 32))
    fig = plots.inception_module_diagram(table, "inception_3a", lang="es")
    texts = [t.replace("\u00a0", " ") for t in _texts(fig)]
    # The 3x3 branch: 28·28·128 outputs of 3·3·96 weights each.
    assert 28 * 28 * 128 * 3 * 3 * 96 == 86_704_128
    assert "3x3\n3×3 conv.\n28 × 28 × 128\n86,70 M MACs" in texts
    assert "pool\n3×3 max pooling\n28 × 28 × 192" in texts
    assert "entrada\n28 × 28 × 192" in texts
    assert any(t.startswith("concatenación  28 × 28 × 256") for t in texts)


def test_inception_module_diagram_changes_with_the_filters():
    wider = _module_costs((64, 96, 160, 16, 32, 32))
    texts = [t.replace("\u00a0", " ") for t in _texts(
        plots.inception_module_diagram(wider, "inception_3a"))]
    assert "3x3\n3×3 conv.\n28 × 28 × 160\n108.38 M MACs" in texts
    assert any(t.startswith("concatenation  28 × 28 × 288") for t in texts)


def test_inception_module_diagram_names_a_missing_layer():
    table = _module_costs((64, 96, 128, 16, 32, 32))
    with pytest.raises(ValueError, match="inception_4a_1x1"):
        plots.inception_module_diagram(table, "inception_4a")
