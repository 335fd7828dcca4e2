"""Tests of what the chapter ``mobilenet`` relies on in ``book.lib``.

``models.fashion_mobilenet`` (its layers, parameters and MACs written as
formulas), its recipe, and ``costs`` on every layer type of
``keras.applications.MobileNet`` at each width multiplier, pinned against the
paper's tables 6 (Howard et al., 2017). The handlers themselves
(``DepthwiseConv2D``, ``SeparableConv2D``, ``ReLU``...) and the error for an
unknown layer are tested in ``tests/test_costs.py``.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from book.lib import costs, data, models  # noqa: E402


def test_fashion_mobilenet_layers_params_and_macs():
    model = models.fashion_mobilenet()
    table = costs.layer_costs(model).set_index("name")
    assert model.name == "fashion_mobilenet"
    assert tuple(model.input_shape[1:]) == data.IMAGE_SHAPE
    assert model.output_shape == (None, data.NUM_CLASSES)
    shapes = {name: table.loc[name, "output_shape"] for name in table.index}
    assert shapes["conv1"] == (14, 14, 32)
    assert shapes["conv_1_pw"] == (14, 14, 64)
    assert shapes["conv_2_dw"] == (7, 7, 64) and shapes["conv_3_pw"] == (7, 7, 128)
    assert shapes["conv_4_dw"] == (4, 4, 128) and shapes["conv_5_pw"] == (4, 4, 256)
    assert (table["type"] == "DepthwiseConv2D").sum() == len(
        models.FASHION_MOBILENET_BLOCKS)
    # Weights: the stem, then per block a 3x3 depthwise and a 1x1 pointwise
    # kernel, no biases; 4 numbers of BN per channel after each of the 11
    # convolutions; the dense layer with its bias.
    blocks = ((32, 64), (64, 128), (128, 128), (128, 256), (256, 256))
    weights = 3 * 3 * 1 * 32 + sum(3 * 3 * m + m * n for m, n in blocks)
    bn = 4 * (32 + sum(m + n for m, n in blocks))
    dense = 256 * 10 + 10
    assert model.count_params() == weights + bn + dense == 139_146
    macs = (14 * 14 * 3 * 3 * 1 * 32
            + 14 * 14 * (3 * 3 * 32 + 32 * 64)
            + 7 * 7 * (3 * 3 * 64 + 64 * 128)
            + 7 * 7 * (3 * 3 * 128 + 128 * 128)
            + 4 * 4 * (3 * 3 * 128 + 128 * 256)
            + 4 * 4 * (3 * 3 * 256 + 256 * 256)
            + 256 * 10)
    assert table["macs"].sum() == macs == 3_433_920


def test_fashion_mobilenet_width_multiplier():
    half = models.fashion_mobilenet(alpha=0.5)
    assert half.name == "fashion_mobilenet_0.5"
    assert half.get_layer("conv1").filters == 16
    assert half.get_layer("conv_5_pw").filters == 128
    assert half.count_params() == 38_346
    assert costs.layer_costs(half)["macs"].sum() == 922_336


@pytest.mark.parametrize("alpha", [0, -1, 1.5, "1", True, None])
def test_fashion_mobilenet_rejects_bad_alpha(alpha):
    with pytest.raises(ValueError, match=r"alpha \(the width multiplier\) must be "
                                         r"a number in \(0, 1\].*; received alpha="):
        models.fashion_mobilenet(alpha=alpha)


def test_fashion_mobilenet_is_seeded_and_has_a_recipe():
    a, b = models.fashion_mobilenet(), models.fashion_mobilenet()
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    recipe = models.RECIPES["fashion_mobilenet"]
    # The chapter compares it with fashion_cnn and fashion_resnet at equal epochs.
    assert recipe["epochs"] == models.RECIPES["fashion_cnn"]["epochs"]
    assert recipe["epochs"] == models.RECIPES["fashion_resnet"]["epochs"]


# The paper's table 6 at 224x224: million mult-adds (no decimals) and million
# parameters (one decimal, kernels only: no BN, no biases).
PAPER_TABLE6 = {1.0: (569, 4.2), 0.75: (325, 2.6), 0.5: (149, 1.3), 0.25: (41, 0.5)}


@pytest.mark.parametrize("alpha", sorted(PAPER_TABLE6, reverse=True))
def test_keras_mobilenet_costs_every_layer_and_matches_table_6(alpha):
    keras.backend.clear_session()
    model = keras.applications.MobileNet(weights=None, alpha=alpha,
                                         input_shape=(224, 224, 3))
    table = costs.layer_costs(model)
    # Every layer type Keras' MobileNet uses has a row; nothing raised.
    kinds = set(table["type"])
    assert {"Conv2D", "DepthwiseConv2D", "BatchNormalization", "ReLU",
            "ZeroPadding2D", "GlobalAveragePooling2D", "Dropout", "Reshape",
            "Activation"} <= kinds
    assert table["params"].sum() == model.count_params()
    paper_macs, paper_params = PAPER_TABLE6[alpha]
    assert round(table["macs"].sum() / 1e6) == paper_macs
    kernels = sum(int(np.prod(w.shape)) for w in model.weights
                  if w.path.endswith(("kernel", "depthwise_kernel")))
    assert round(kernels / 1e6, 1) == paper_params
    depthwise = table[table["type"] == "DepthwiseConv2D"]
    assert len(depthwise) == 13 and (depthwise["params"] > 0).all()
    assert (table.loc[table["type"] == "ZeroPadding2D", ["params", "macs"]] == 0).all(
        axis=None)
