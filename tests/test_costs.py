"""Tests of ``book.lib.costs``: formulas, per-layer rows, tables, rendering.

Expected values are written as their formulas, as ptflops' tests do, so a
reader can check each one by hand.
"""

import doctest
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from keras import layers  # noqa: E402

from book.lib import costs  # noqa: E402
from book.lib import layers as lib_layers  # noqa: E402


# ---------------------------------------------------------------------------
# Reference networks.
# ---------------------------------------------------------------------------

APPLICATIONS = {
    # name: (constructor, params, MACs at the default input size, or None
    # if not pinned)
    "VGG16": (keras.applications.VGG16, 138_357_544, 15_470_264_320),
    "VGG19": (keras.applications.VGG19, None, None),
    # The paper's "569 million mult-adds" (Howard et al., 2017, Table 8).
    "MobileNet": (keras.applications.MobileNet, 4_253_864, 568_740_352),
    # The MACs below are our tables' sums, and equal, to the unit, half the
    # FLOPs that TensorFlow's profiler counts for the Conv2D and MatMul ops
    # of the same frozen graphs at batch 1 (tests/test_costs_profiler.py's
    # profile_model, run once by hand: each takes 6-16 s, too long to repeat
    # here). Published: He et al., 2016, Table 1, "3.8 x 10^9 FLOPs"
    # (multiply-adds) for ResNet-50 at 224x224; Szegedy et al., 2016
    # (Inception-v3), "5 billion multiply-adds" at 299x299; Inception-ResNet-v2
    # is commonly quoted at 13.2 G multiply-adds at 299x299.
    "ResNet50": (keras.applications.ResNet50, 25_636_712, 3_857_973_248),
    "InceptionV3": (keras.applications.InceptionV3, 23_851_784,
                    5_713_216_096),
    "InceptionResNetV2": (keras.applications.InceptionResNetV2, 55_873_736,
                          13_155_794_016),
    # Its hard_sigmoid is written with operators, x + 3.0 and * (1 / 6): the
    # walk must see them. The paper's "56 M" multiply-adds (Howard et al.,
    # 2019, Table 3); the profiler agrees to the unit, as above.
    "MobileNetV3Small": (lambda weights: keras.applications.MobileNetV3Small(
        input_shape=(224, 224, 3), weights=weights), 2_554_968, 56_510_400),
}


@pytest.fixture(scope="module", params=list(APPLICATIONS))
def application(request):
    """(name, model, table) for each reference network, one at a time."""
    keras.backend.clear_session()
    build = APPLICATIONS[request.param][0]
    model = build(weights=None)
    yield request.param, model, costs.layer_costs(model)
    keras.backend.clear_session()


def test_params_match_keras(application):
    name, model, table = application
    assert table["params"].sum() == model.count_params()
    pinned_params, pinned_macs = APPLICATIONS[name][1:]
    if pinned_params is not None:
        assert table["params"].sum() == pinned_params
    if pinned_macs is not None:
        assert table["macs"].sum() == pinned_macs
    # One row per operation of the graph, nothing dropped.
    assert len(table) == len(model.operations) >= len(model.layers)
    assert list(table.columns) == list(costs.COLUMNS)


def test_vgg16_rows_and_blocks():
    keras.backend.clear_session()
    table = costs.layer_costs(keras.applications.VGG16(weights=None))
    rows = table.set_index("name")
    conv = rows.loc["block3_conv2"]
    assert conv["output_shape"] == (56, 56, 256)
    assert conv["params"] == 3 * 3 * 256 * 256 + 256
    assert conv["macs"] == 56 * 56 * 3 * 3 * 256 * 256
    assert conv["bias_adds"] == conv["activation_ops"] == 56 * 56 * 256
    assert rows.loc["block1_pool", "pool_ops"] == 112 * 112 * 64 * 2 * 2
    assert rows.loc["fc1", "macs"] == 7 * 7 * 512 * 4096
    assert rows.loc["predictions", "activation_ops"] == 5 * 1000

    blocks = costs.block_totals(table)
    assert blocks["block"].tolist() == [
        "input", "block1", "block2", "block3", "block4", "block5", "flatten",
        "fc1", "fc2", "predictions"]
    block1 = blocks.set_index("block").loc["block1"]
    assert block1["layers"] == 3
    assert block1["output_shape"] == (112, 112, 64)
    assert block1["params"] == (3 * 3 * 3 * 64 + 64) + (3 * 3 * 64 * 64 + 64)
    assert (costs.totals(blocks) == costs.totals(table)).all()

    # A pattern that covers only the conv blocks keeps the other rows whole.
    by_regex = costs.block_totals(table, by=r"(block\d)_")
    assert by_regex["block"].tolist()[:2] == ["input_layer", "block1"]
    assert by_regex["block"].tolist()[-1] == "predictions"


# ---------------------------------------------------------------------------
# Pure formulas.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("args, expected", [
    ((224, 3, 1, "same"), 224),
    ((224, 3, 1, "valid"), 224 - 3 + 1),
    ((7, 3, 2, "same"), 4),
    ((224, 7, 2, 3), (224 + 2 * 3 - 7) // 2 + 1),  # ResNet's stem: 112.
    ((227, 11, 4, "valid"), (227 - 11) // 4 + 1),  # AlexNet: 55.
    ((224, 11, 4, 2), (224 + 2 * 2 - 11) // 4 + 1),  # AlexNet paper: 55.
    ((20, 3, 1, "valid", 2), 20 - (2 * (3 - 1) + 1) + 1),  # Dilation 2: 16.
    ((100, 5, 1, "causal"), 100),
])
def test_conv_output_size(args, expected):
    assert costs.conv_output_size(*args) == expected


@pytest.mark.parametrize("size", [7, 8, 33])
@pytest.mark.parametrize("kernel, stride, padding, dilation", [
    (1, 1, "valid", 1), (3, 1, "same", 1), (3, 2, "same", 1),
    (3, 2, "valid", 1), (5, 3, "valid", 1), (3, 1, "valid", 2),
    (3, 1, "same", 3), (7, 2, "same", 1)])
def test_conv_output_size_matches_keras(size, kernel, stride, padding,
                                        dilation):
    layer = layers.Conv2D(1, kernel, strides=stride, padding=padding,
                          dilation_rate=dilation)
    keras_size = layer.compute_output_shape((None, size, size, 1))[1]
    assert costs.conv_output_size(size, kernel, stride, padding,
                                  dilation) == keras_size


@pytest.mark.parametrize("args, expected", [
    ((224, 2), 112),
    ((112, 3, 2, "same"), 56),
    ((35, 3, 2, "valid"), (35 - 3) // 2 + 1),  # Inception's grid: 17.
    ((17, 5, 3), (17 - 5) // 3 + 1),  # Inception's auxiliary head: 5.
])
def test_pool_output_size(args, expected):
    assert costs.pool_output_size(*args) == expected


@pytest.mark.parametrize("function, args, expected", [
    (costs.conv2d_params, (3, 3, 3, 64), 3 * 3 * 3 * 64 + 64),
    (costs.conv2d_params, (1, 7, 128, 192), 1 * 7 * 128 * 192 + 192),
    (costs.conv2d_params, (3, 3, 32, 64, 4, False), 3 * 3 * (32 // 4) * 64),
    (costs.conv2d_macs, (56, 56, 3, 3, 64, 64), 56 * 56 * 3 * 3 * 64 * 64),
    (costs.conv2d_macs, (14, 14, 3, 3, 32, 64, 4),
     14 * 14 * 3 * 3 * (32 // 4) * 64),
    (costs.depthwise_conv2d_params, (3, 3, 32), 3 * 3 * 32 + 32),
    (costs.depthwise_conv2d_params, (3, 3, 32, 2, False), 3 * 3 * 32 * 2),
    (costs.depthwise_conv2d_macs, (112, 112, 3, 3, 32),
     112 * 112 * 3 * 3 * 32),
    (costs.depthwise_conv2d_macs, (7, 7, 5, 5, 16, 3), 7 * 7 * 5 * 5 * 16 * 3),
    (costs.separable_conv2d_params, (3, 3, 32, 64),
     3 * 3 * 32 + 32 * 64 + 64),
    (costs.separable_conv2d_params, (3, 3, 32, 64, 2, False),
     3 * 3 * 32 * 2 + 32 * 2 * 64),
    (costs.separable_conv2d_macs, (28, 28, 3, 3, 32, 64),
     28 * 28 * 3 * 3 * 32 + 28 * 28 * 32 * 64),
    (costs.dense_params, (25088, 4096), 25088 * 4096 + 4096),
    (costs.dense_params, (512, 10, False), 512 * 10),
    (costs.dense_macs, (25088, 4096), 25088 * 4096),
    (costs.dense_macs, (512, 10, 7 * 7), 7 * 7 * 512 * 10),
])
def test_formulas(function, args, expected):
    assert function(*args) == expected


def test_mobilenet_separable_saving_matches_paper():
    # Howard et al., 2017, eq. (5): the reduction is 1/N + 1/D_K^2.
    standard = costs.conv2d_macs(14, 14, 3, 3, 512, 512)
    separable = costs.separable_conv2d_macs(14, 14, 3, 3, 512, 512)
    assert separable / standard == pytest.approx(1 / 512 + 1 / 3 ** 2)


@pytest.mark.parametrize("function, args, message", [
    (costs.conv_output_size, (0, 3), "size must be a positive integer; "
     "received size=0"),
    (costs.conv_output_size, (32, 3.0), "kernel must be a positive integer; "
     r"received kernel=3\.0"),
    (costs.conv_output_size, (32, True), "received kernel=True"),
    (costs.conv_output_size, (32, 3, 1, "full"), "padding must be 'valid', "
     "'same', 'causal' or a non-negative integer.*received padding='full'"),
    (costs.conv_output_size, (32, 3, 1, -1), "received padding=-1"),
    (costs.conv_output_size, (5, 7), r"does not fit.*size=5, kernel=7.*"
     "padding='same'"),
    (costs.pool_output_size, (32, 0), "pool_size must be a positive"),
    (costs.conv2d_params, (3, 3, 10, 16, 4), "groups must divide both c_in "
     "and c_out; received groups=4, c_in=10, c_out=16"),
    (costs.conv2d_macs, (7, 7, 3, 3, 8, 8, 0), "groups must be a positive"),
    (costs.conv2d_macs, (0, 7, 3, 3, 8, 8), "out_h must be a positive"),
    (costs.depthwise_conv2d_params, (3, 3, 8, 0),
     "depth_multiplier must be a positive integer; received "
     "depth_multiplier=0"),
    (costs.separable_conv2d_macs, (7, 7, 3, 3, 8, -2), "c_out must be"),
    (costs.dense_params, (-1, 10), "c_in must be a positive integer"),
    (costs.dense_macs, (10, 10, 0), "positions must be a positive integer"),
])
def test_formula_errors(function, args, message):
    with pytest.raises(ValueError, match=message):
        function(*args)


# ---------------------------------------------------------------------------
# One row per layer type.
# ---------------------------------------------------------------------------

LAYER_CASES = [
    # (id, layer, input shape, expected output shape, nonzero counts)
    ("conv_same", layers.Conv2D(64, 3, padding="same"), (56, 56, 64),
     (56, 56, 64), {"params": 3 * 3 * 64 * 64 + 64,
                    "macs": 56 * 56 * 3 * 3 * 64 * 64,
                    "bias_adds": 56 * 56 * 64}),
    ("conv_stride_relu", layers.Conv2D(32, 3, strides=2, activation="relu"),
     (57, 57, 3), (28, 28, 32), {"params": 3 * 3 * 3 * 32 + 32,
                                 "macs": 28 * 28 * 3 * 3 * 3 * 32,
                                 "bias_adds": 28 * 28 * 32,
                                 "activation_ops": 28 * 28 * 32}),
    ("conv_groups", layers.Conv2D(64, 3, padding="same", groups=4,
                                  use_bias=False), (14, 14, 32), (14, 14, 64),
     {"params": 3 * 3 * (32 // 4) * 64,
      "macs": 14 * 14 * 3 * 3 * (32 // 4) * 64}),
    ("conv_dilation", layers.Conv2D(16, 3, dilation_rate=2), (20, 20, 8),
     (16, 16, 16), {"params": 3 * 3 * 8 * 16 + 16,
                    "macs": 16 * 16 * 3 * 3 * 8 * 16,
                    "bias_adds": 16 * 16 * 16}),
    ("conv_1x7", layers.Conv2D(192, (1, 7), padding="same", use_bias=False),
     (17, 17, 128), (17, 17, 192), {"params": 1 * 7 * 128 * 192,
                                    "macs": 17 * 17 * 1 * 7 * 128 * 192}),
    ("conv_tanh", layers.Conv2D(4, 1, activation="tanh"), (5, 5, 2),
     (5, 5, 4), {"params": 2 * 4 + 4, "macs": 5 * 5 * 2 * 4,
                 "bias_adds": 5 * 5 * 4, "activation_ops": 5 * 5 * 4}),
    ("conv1d", layers.Conv1D(16, 5, activation="relu"), (100, 8), (96, 16),
     {"params": 5 * 8 * 16 + 16, "macs": 96 * 5 * 8 * 16,
      "bias_adds": 96 * 16, "activation_ops": 96 * 16}),
    ("depthwise", layers.DepthwiseConv2D(3, strides=2, padding="same"),
     (112, 112, 32), (56, 56, 32), {"params": 3 * 3 * 32 + 32,
                                    "macs": 56 * 56 * 3 * 3 * 32,
                                    "bias_adds": 56 * 56 * 32}),
    ("depthwise_multiplier", layers.DepthwiseConv2D(
        5, depth_multiplier=2, use_bias=False), (9, 9, 8), (5, 5, 16),
     {"params": 5 * 5 * 8 * 2, "macs": 5 * 5 * 5 * 5 * 8 * 2}),
    ("depthwise1d", layers.DepthwiseConv1D(3, padding="same"), (50, 6),
     (50, 6), {"params": 3 * 6 + 6, "macs": 50 * 3 * 6,
               "bias_adds": 50 * 6}),
    ("separable", layers.SeparableConv2D(64, 3, padding="same"),
     (28, 28, 32), (28, 28, 64),
     {"params": 3 * 3 * 32 + 32 * 64 + 64,
      "macs": 28 * 28 * 3 * 3 * 32 + 28 * 28 * 32 * 64,
      "bias_adds": 28 * 28 * 64}),
    ("separable_multiplier", layers.SeparableConv2D(
        8, 3, strides=2, depth_multiplier=2, use_bias=False,
        activation="relu"), (11, 11, 4), (5, 5, 8),
     {"params": 3 * 3 * 4 * 2 + 4 * 2 * 8,
      "macs": 5 * 5 * 3 * 3 * 4 * 2 + 5 * 5 * 4 * 2 * 8,
      "activation_ops": 5 * 5 * 8}),
    ("separable1d", layers.SeparableConv1D(12, 3), (20, 6), (18, 12),
     {"params": 3 * 6 + 6 * 12 + 12, "macs": 18 * 3 * 6 + 18 * 6 * 12,
      "bias_adds": 18 * 12}),
    ("dense", layers.Dense(4096, activation="relu"), (25088,), (4096,),
     {"params": 25088 * 4096 + 4096, "macs": 25088 * 4096,
      "bias_adds": 4096, "activation_ops": 4096}),
    ("dense_3d", layers.Dense(10), (7, 7, 512), (7, 7, 10),
     {"params": 512 * 10 + 10, "macs": 7 * 7 * 512 * 10,
      "bias_adds": 7 * 7 * 10}),
    ("dense_softmax", layers.Dense(10, activation="softmax", use_bias=False),
     (64,), (10,), {"params": 64 * 10, "macs": 64 * 10,
                    "activation_ops": 5 * 10}),
    ("batch_norm", layers.BatchNormalization(), (56, 56, 64), (56, 56, 64),
     {"params": 4 * 64, "norm_ops": 2 * 56 * 56 * 64}),
    ("batch_norm_no_scale", layers.BatchNormalization(scale=False),
     (7, 7, 32), (7, 7, 32), {"params": 3 * 32, "norm_ops": 2 * 7 * 7 * 32}),
    ("batch_norm_axis1", layers.BatchNormalization(axis=1), (8, 5, 5),
     (8, 5, 5), {"params": 4 * 8, "norm_ops": 2 * 8 * 5 * 5}),
    ("layer_norm", layers.LayerNormalization(), (10, 16), (10, 16),
     {"params": 2 * 16, "norm_ops": 7 * 10 * 16}),
    ("layer_norm_no_center", layers.LayerNormalization(center=False),
     (10, 16), (10, 16), {"params": 16, "norm_ops": 6 * 10 * 16}),
    ("rms_norm", layers.RMSNormalization(), (10, 16), (10, 16),
     {"params": 16, "norm_ops": 4 * 10 * 16}),
    ("max_pool", layers.MaxPooling2D(2), (224, 224, 64), (112, 112, 64),
     {"pool_ops": 112 * 112 * 64 * 2 * 2}),
    ("max_pool_same", layers.MaxPooling2D(3, strides=2, padding="same"),
     (112, 112, 64), (56, 56, 64), {"pool_ops": 56 * 56 * 64 * 3 * 3}),
    ("avg_pool", layers.AveragePooling2D(5, strides=3), (17, 17, 768),
     (5, 5, 768), {"pool_ops": 5 * 5 * 768 * 5 * 5}),
    ("max_pool1d", layers.MaxPooling1D(2), (100, 8), (50, 8),
     {"pool_ops": 50 * 8 * 2}),
    ("avg_pool1d", layers.AveragePooling1D(3, strides=1), (10, 4), (8, 4),
     {"pool_ops": 8 * 4 * 3}),
    ("global_avg", layers.GlobalAveragePooling2D(), (7, 7, 2048), (2048,),
     {"pool_ops": 7 * 7 * 2048}),
    ("global_max", layers.GlobalMaxPooling2D(keepdims=True), (7, 7, 64),
     (1, 1, 64), {"pool_ops": 7 * 7 * 64}),
    ("global_avg1d", layers.GlobalAveragePooling1D(), (30, 8), (8,),
     {"pool_ops": 30 * 8}),
    ("global_max1d", layers.GlobalMaxPooling1D(), (30, 8), (8,),
     {"pool_ops": 30 * 8}),
    ("activation_relu", layers.Activation("relu"), (14, 14, 512),
     (14, 14, 512), {"activation_ops": 14 * 14 * 512}),
    ("activation_softmax", layers.Activation("softmax"), (1000,), (1000,),
     {"activation_ops": 5 * 1000}),
    ("activation_linear", layers.Activation("linear"), (8,), (8,), {}),
    ("relu6", layers.ReLU(6.0), (4, 4, 8), (4, 4, 8),
     {"activation_ops": 4 * 4 * 8}),
    ("leaky_relu", layers.LeakyReLU(), (4, 4, 8), (4, 4, 8),
     {"activation_ops": 4 * 4 * 8}),
    ("elu", layers.ELU(), (6,), (6,), {"activation_ops": 6}),
    ("prelu", layers.PReLU(shared_axes=[1, 2]), (4, 4, 8), (4, 4, 8),
     {"params": 8, "activation_ops": 4 * 4 * 8}),
    ("softmax", layers.Softmax(), (10,), (10,), {"activation_ops": 5 * 10}),
    ("rescaling", layers.Rescaling(1 / 255), (28, 28, 1), (28, 28, 1),
     {"elementwise_ops": 2 * 28 * 28 * 1}),
    ("flatten", layers.Flatten(), (7, 7, 512), (7 * 7 * 512,), {}),
    ("reshape", layers.Reshape((1, 1, 1024)), (1024,), (1, 1, 1024), {}),
    ("dropout", layers.Dropout(0.5), (10,), (10,), {}),
    ("spatial_dropout", layers.SpatialDropout2D(0.2), (8, 8, 4), (8, 8, 4),
     {}),
    ("zero_padding", layers.ZeroPadding2D(((0, 1), (0, 1))), (224, 224, 3),
     (225, 225, 3), {}),
    ("cropping", layers.Cropping2D(2), (10, 10, 3), (6, 6, 3), {}),
    ("identity", layers.Identity(), (3,), (3,), {}),
    ("random_flip", layers.RandomFlip("horizontal"), (32, 32, 3),
     (32, 32, 3), {}),
    ("random_rotation", layers.RandomRotation(0.1), (32, 32, 3),
     (32, 32, 3), {}),
    ("random_zoom", layers.RandomZoom(0.1), (32, 32, 3), (32, 32, 3), {}),
    ("random_translation", layers.RandomTranslation(0.1, 0.1), (32, 32, 3),
     (32, 32, 3), {}),
    ("random_contrast", layers.RandomContrast(0.2), (32, 32, 3),
     (32, 32, 3), {}),
    ("normalization_adapted", layers.Normalization(), (8, 8, 3), (8, 8, 3),
     # Mean and variance per channel, and the scalar count.
     {"params": 2 * 3 + 1, "norm_ops": 2 * 8 * 8 * 3}),
    ("normalization_given", layers.Normalization(mean=[0.5, 0.4, 0.3],
                                                 variance=[1.0, 2.0, 3.0]),
     (8, 8, 3), (8, 8, 3), {"norm_ops": 2 * 8 * 8 * 3}),
    ("normalization_axis_none", layers.Normalization(axis=None), (4, 5),
     (4, 5), {"params": 2 * 1 + 1, "norm_ops": 2 * 4 * 5}),
    ("resizing_bilinear", layers.Resizing(16, 16), (32, 32, 3), (16, 16, 3),
     {"pool_ops": (2 * 2 * 2 - 1) * 16 * 16 * 3}),
    ("resizing_bicubic", layers.Resizing(64, 48, interpolation="bicubic"),
     (32, 32, 3), (64, 48, 3), {"pool_ops": (2 * 4 * 4 - 1) * 64 * 48 * 3}),
    ("resizing_lanczos3", layers.Resizing(8, 8, interpolation="lanczos3"),
     (16, 16, 1), (8, 8, 1), {"pool_ops": (2 * 6 * 6 - 1) * 8 * 8 * 1}),
    ("resizing_nearest", layers.Resizing(64, 64, interpolation="nearest"),
     (32, 32, 3), (64, 64, 3), {}),
    ("center_crop", layers.CenterCrop(24, 24), (32, 32, 3), (24, 24, 3), {}),
    ("center_crop_upscales", layers.CenterCrop(40, 24), (32, 32, 3),
     (40, 24, 3), {"pool_ops": (2 * 2 * 2 - 1) * 40 * 24 * 3}),
    ("random_crop", layers.RandomCrop(24, 24), (32, 32, 3), (24, 24, 3), {}),
    ("auto_contrast", layers.AutoContrast(), (32, 32, 3), (32, 32, 3),
     {"pool_ops": 2 * 32 * 32 * 3, "elementwise_ops": 4 * 32 * 32 * 3}),
    ("auto_contrast_unit_range", layers.AutoContrast(value_range=(0, 1)),
     (32, 32, 3), (32, 32, 3),
     {"pool_ops": 2 * 32 * 32 * 3, "elementwise_ops": (4 + 4) * 32 * 32 * 3}),
    ("local_response_norm", lib_layers.LocalResponseNormalization(),
     (55, 55, 96), (55, 55, 96), {"norm_ops": (5 + 4) * 55 * 55 * 96}),
    ("local_response_norm_3", lib_layers.LocalResponseNormalization(size=3),
     (27, 27, 256), (27, 27, 256), {"norm_ops": (3 + 4) * 27 * 27 * 256}),
    # LeNet-5's output: a subtraction and a multiply-accumulate per centre
    # weight; the 840 centres are fixed but are weights all the same.
    ("euclidean_rbf", lib_layers.EuclideanRBF(10), (84,), (10,),
     {"params": 84 * 10, "macs": 84 * 10, "elementwise_ops": 84 * 10}),
]


@pytest.mark.parametrize(
    "layer, input_shape, output_shape, expected",
    [case[1:] for case in LAYER_CASES], ids=[case[0] for case in LAYER_CASES])
def test_layer_row(layer, input_shape, output_shape, expected):
    model = keras.Sequential([keras.Input(input_shape), layer])
    table = costs.layer_costs(model)
    assert len(table) == 1  # A Sequential model lists no InputLayer.
    row = table.iloc[0]
    assert row["name"] == layer.name
    assert row["type"] == type(layer).__name__
    assert row["output_shape"] == output_shape
    assert {column: row[column] for column in costs.COUNT_COLUMNS} == {
        column: expected.get(column, 0) for column in costs.COUNT_COLUMNS}
    assert row["params"] == model.count_params()


@pytest.mark.parametrize("merge, num_inputs, ops_per_element", [
    (layers.Add, 2, 1), (layers.Add, 3, 2), (layers.Subtract, 2, 1),
    (layers.Multiply, 2, 1), (layers.Maximum, 3, 2), (layers.Minimum, 2, 1),
    (layers.Average, 2, 2), (layers.Average, 3, 3),
    (layers.Concatenate, 2, 0)])
def test_merge_layers(merge, num_inputs, ops_per_element):
    inputs = [keras.Input((14, 14, 8)) for _ in range(num_inputs)]
    outputs = merge(name="merge")(inputs)
    row = costs.layer_costs(keras.Model(inputs, outputs)).set_index(
        "name").loc["merge"]
    elements = 14 * 14 * (8 * num_inputs if merge is layers.Concatenate
                          else 8)
    assert row["output_shape"] == (14, 14, elements // (14 * 14))
    assert row["elementwise_ops"] == ops_per_element * elements
    assert row[["params", "macs", "bias_adds", "norm_ops", "pool_ops",
                "activation_ops"]].sum() == 0


def test_broadcast_multiply_counts_output_elements():
    # A squeeze-and-excitation scale: (7, 7, 64) times (1, 1, 64).
    features, weights = keras.Input((7, 7, 64)), keras.Input((1, 1, 64))
    outputs = layers.Multiply(name="scale")([features, weights])
    table = costs.layer_costs(keras.Model([features, weights], outputs))
    assert table.set_index("name").loc["scale", "elementwise_ops"] == (
        7 * 7 * 64)


# ---------------------------------------------------------------------------
# Walking models: nesting, sharing, errors.
# ---------------------------------------------------------------------------


def test_nested_models_keep_their_prefix():
    block1 = keras.Sequential([
        layers.Conv2D(8, 3, padding="same", name="conv1"),
        layers.BatchNormalization(name="bn1"),
        layers.ReLU(name="relu1"),
    ], name="block1")
    features = keras.Input((16, 16, 8), name="features")
    block2 = keras.Model(
        features, layers.MaxPooling2D(2, name="pool")(features), name="block2")
    image = keras.Input((16, 16, 3), name="image")
    outputs = layers.Dense(4, name="head")(block2(block1(image)))
    model = keras.Model(image, outputs)
    table = costs.layer_costs(model)
    assert table["name"].tolist() == [
        "image", "block1/conv1", "block1/bn1", "block1/relu1",
        "block2/features", "block2/pool", "head"]
    rows = table.set_index("name")
    assert rows.loc["block1/conv1", "macs"] == 16 * 16 * 3 * 3 * 3 * 8
    assert rows.loc["block2/pool", "output_shape"] == (8, 8, 8)
    assert rows.loc["head", "macs"] == 8 * 8 * 8 * 4
    assert table["params"].sum() == model.count_params()
    blocks = costs.block_totals(table)
    assert blocks["block"].tolist() == ["image", "block1", "block2", "head"]
    assert blocks.set_index("block").loc["block1", "layers"] == 3


def test_shared_layer_counts_each_call_and_its_weights_once():
    conv = layers.Conv2D(4, 3, padding="same", name="shared")
    left, right = keras.Input((8, 8, 4)), keras.Input((8, 8, 4))
    outputs = layers.Add(name="sum")([conv(left), conv(right)])
    model = keras.Model([left, right], outputs)
    rows = costs.layer_costs(model).set_index("name")
    assert rows.loc["shared", "params"] == 3 * 3 * 4 * 4 + 4
    assert rows.loc["shared[2]", "params"] == 0
    assert rows.loc["shared", "macs"] == rows.loc["shared[2]", "macs"] == (
        8 * 8 * 3 * 3 * 4 * 4)
    assert rows["params"].sum() == model.count_params()


class Scale(layers.Layer):
    """A layer unknown to the registry, with one weight per channel."""

    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(input_shape[-1],))

    def call(self, inputs):
        return inputs * self.gamma


def _scale_model() -> keras.Model:
    inputs = keras.Input((4, 4, 8))
    return keras.Model(inputs, Scale(name="scale")(inputs))


def test_unknown_layer_is_an_error():
    with pytest.raises(NotImplementedError,
                       match=r"Layer 'scale' of class Scale has no cost "
                             r"handler.*register_handler\(Scale, fn\)"):
        costs.layer_costs(_scale_model())


def test_unknown_layer_without_weights_is_an_error_too():
    inputs = keras.Input((3,))
    outputs = layers.Lambda(lambda x: x * 2, name="double")(inputs)
    with pytest.raises(NotImplementedError, match="'double' of class Lambda"):
        costs.layer_costs(keras.Model(inputs, outputs))


def test_registered_handler_is_used(monkeypatch):
    def scale_costs(layer, inputs, outputs):
        return {"params": inputs[0][-1],
                "elementwise_ops": 4 * 4 * 8}

    monkeypatch.setitem(costs.HANDLERS, Scale, scale_costs)
    row = costs.layer_costs(_scale_model()).iloc[-1]
    assert (row["params"], row["elementwise_ops"]) == (8, 4 * 4 * 8)


def test_register_handler_validates(monkeypatch):
    monkeypatch.setattr(costs, "HANDLERS", dict(costs.HANDLERS))
    costs.register_handler(Scale, lambda *_: {"params": 8})
    assert Scale in costs.HANDLERS
    with pytest.raises(TypeError, match="subclass of keras.layers.Layer"):
        costs.register_handler("Scale", lambda *_: {})
    with pytest.raises(TypeError, match="handler must be a function"):
        costs.register_handler(Scale, None)


def test_handler_with_wrong_params_is_an_error(monkeypatch):
    monkeypatch.setitem(costs.HANDLERS, Scale, lambda *_: {"params": 7})
    with pytest.raises(ValueError, match="holds 8 weights but its handler "
                                         "counts 7"):
        costs.layer_costs(_scale_model())
    monkeypatch.setitem(costs.HANDLERS, Scale, lambda *_: {"parms": 8})
    with pytest.raises(ValueError, match=r"unknown columns \['parms'\]"):
        costs.layer_costs(_scale_model())


def test_zero_cost_layer_with_weights_is_an_error(monkeypatch):
    monkeypatch.setattr(costs, "ZERO_COST_LAYERS",
                        costs.ZERO_COST_LAYERS + (Scale,))
    with pytest.raises(ValueError, match="holds 8 weights"):
        costs.layer_costs(_scale_model())


def test_unbuilt_model_is_an_error():
    with pytest.raises(ValueError, match=r"not built.*keras\.Input.*"
                                         r"model\.build"):
        costs.layer_costs(keras.Sequential([layers.Dense(3)]))


def test_built_sequential_without_input_works():
    model = keras.Sequential([layers.Dense(3, name="dense")])
    model.build((None, 4))
    assert costs.layer_costs(model)["macs"].tolist() == [4 * 3]


def test_unknown_sizes_are_an_error():
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, layers.Conv2D(4, 3, name="conv")(inputs))
    with pytest.raises(ValueError, match=r"unknown size \(None, None, None, "
                                         r"3\).*keras\.Input\(shape="):
        costs.layer_costs(model)


def test_subclassed_model_is_an_error():
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__(name="tiny")
            self.dense = layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Tiny()
    model(keras.ops.zeros((1, 3)))
    with pytest.raises(TypeError, match="functional or Sequential model; "
                                        "received 'tiny' of class Tiny"):
        costs.layer_costs(model)


def test_not_a_model_is_an_error():
    with pytest.raises(TypeError, match="received Dense"):
        costs.layer_costs(layers.Dense(3))


def test_deprecated_rms_scaling_is_an_error():
    inputs = keras.Input((4,))
    with pytest.warns(UserWarning):
        layer = layers.LayerNormalization(rms_scaling=True, name="norm")
    model = keras.Model(inputs, layer(inputs))
    with pytest.raises(NotImplementedError, match="RMSNormalization"):
        costs.layer_costs(model)


def test_unknown_activation_is_an_error():
    def cube(x):
        return x ** 3

    inputs = keras.Input((4,))
    model = keras.Model(inputs, layers.Dense(2, activation=cube,
                                             name="dense")(inputs))
    with pytest.raises(NotImplementedError,
                       match=r"activation 'cube'.*ACTIVATION_OPS_PER_ELEMENT"):
        costs.layer_costs(model)


# ---------------------------------------------------------------------------
# The whole graph: operations written without layers.
# ---------------------------------------------------------------------------


def test_plain_add_in_functional_model():
    keras.backend.clear_session()  # So that Keras names the op "add".
    x, y = keras.Input((14, 14, 8), name="x"), keras.Input((14, 14, 8),
                                                            name="y")
    model = keras.Model([x, y], x + y)
    table = costs.layer_costs(model)
    assert table["name"].tolist() == ["x", "y", "add"]
    row = table.set_index("name").loc["add"]
    assert row["type"] == "Add"
    assert row["output_shape"] == (14, 14, 8)
    assert row["elementwise_ops"] == 14 * 14 * 8
    assert costs.totals(table)["elementwise_ops"] == 14 * 14 * 8


def test_squeeze_and_excitation_with_ops():
    # As EfficientNet's block, with keras.ops instead of layers.
    keras.backend.clear_session()
    features = keras.Input((7, 7, 64), name="features")
    s = layers.GlobalAveragePooling2D(keepdims=True, name="se_squeeze")(
        features)
    s = layers.Conv2D(16, 1, activation="relu", name="se_reduce")(s)
    s = layers.Conv2D(64, 1, name="se_expand")(s)
    outputs = features * keras.ops.sigmoid(s)
    table = costs.layer_costs(keras.Model(features, outputs))
    rows = table.set_index("name")
    assert rows.loc["sigmoid", "type"] == "Sigmoid"
    assert rows.loc["sigmoid", "activation_ops"] == 1 * 1 * 64
    # The (1, 1, 64) scale broadcasts: one multiply per output element.
    assert rows.loc["multiply", "type"] == "Multiply"
    assert rows.loc["multiply", "elementwise_ops"] == 7 * 7 * 64
    assert costs.totals(table)["activation_ops"] == 1 * 1 * 16 + 1 * 1 * 64


def test_hard_sigmoid_with_constants():
    # MobileNetV3's hard_sigmoid: ReLU(6.0)(x + 3.0) * (1.0 / 6.0).
    keras.backend.clear_session()
    inputs = keras.Input((4, 4, 8))
    x = layers.ReLU(6.0, name="relu6")(inputs + 3.0) * (1.0 / 6.0)
    outputs = keras.ops.relu(-x)
    rows = costs.layer_costs(keras.Model(inputs, outputs)).set_index("name")
    assert rows.loc["add", "elementwise_ops"] == 4 * 4 * 8
    assert rows.loc["multiply", "elementwise_ops"] == 4 * 4 * 8
    assert rows.loc["negative", "elementwise_ops"] == 4 * 4 * 8
    assert rows.loc["relu", "activation_ops"] == 4 * 4 * 8
    assert rows.loc["relu6", "activation_ops"] == 4 * 4 * 8


def test_reshape_ops_are_free():
    inputs = keras.Input((4, 4, 8))
    x = keras.ops.reshape(inputs, (-1, 16, 8))
    outputs = keras.ops.concatenate([keras.ops.transpose(x, (0, 2, 1)),
                                     keras.ops.transpose(x, (0, 2, 1))])
    table = costs.layer_costs(keras.Model(inputs, outputs))
    assert len(table) == 1 + 1 + 2 + 1
    assert costs.totals(table).sum() == 0


def test_unknown_operation_is_an_error():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.ops.sin(inputs))
    with pytest.raises(NotImplementedError,
                       match=r"Operation 'sin(_\d+)?' of class Sin has no "
                             r"cost handler.*register_handler\(Sin, fn\) "
                             r"\(Sin is keras\.src\.ops\.numpy\.Sin"):
        costs.layer_costs(model)


def test_operation_inside_nested_model():
    inner_inputs = keras.Input((5,))
    inner = keras.Model(inner_inputs, inner_inputs * 2.0, name="inner")
    inputs = keras.Input((5,), name="outer_input")
    table = costs.layer_costs(keras.Model(inputs, inner(inputs)))
    row = table.iloc[-1]
    assert row["name"].startswith("inner/multiply")
    assert row["elementwise_ops"] == 5


def test_shared_layer_in_two_nested_models():
    conv = layers.Conv2D(4, 3, padding="same", name="shared")
    a_inputs = keras.Input((8, 8, 4), name="a_input")
    a = keras.Model(a_inputs, layers.ReLU(name="relu")(conv(a_inputs)),
                    name="a")
    b_inputs = keras.Input((8, 8, 4), name="b_input")
    b = keras.Model(b_inputs, conv(b_inputs), name="b")
    image = keras.Input((8, 8, 4), name="image")
    model = keras.Model(image, layers.Add(name="sum")([a(image), b(image)]))
    table = costs.layer_costs(model)
    rows = table.set_index("name")
    assert rows.loc["a/shared", "params"] == 3 * 3 * 4 * 4 + 4
    assert rows.loc["b/shared", "params"] == 0  # Counted in a/shared.
    assert rows.loc["a/shared", "macs"] == rows.loc["b/shared", "macs"] == (
        8 * 8 * 3 * 3 * 4 * 4)
    assert table["params"].sum() == model.count_params() == (
        3 * 3 * 4 * 4 + 4)


def test_params_total_must_match_count_params(monkeypatch):
    # A handler (and a weight count) that both claim one weight too many
    # pass the per-layer check; the model's total still catches them.
    dense = costs.HANDLERS[layers.Dense]
    weights = costs._weights

    def one_more(layer, inputs, outputs):
        counts = dict(dense(layer, inputs, outputs))
        counts["params"] += 1
        return counts

    monkeypatch.setitem(costs.HANDLERS, layers.Dense, one_more)
    monkeypatch.setattr(costs, "_weights", lambda layer: weights(layer) + (
        isinstance(layer, layers.Dense)))
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dense(2, name="dense")(inputs),
                        name="tiny")
    with pytest.raises(ValueError,
                       match=r"model 'tiny' adds up to 9 parameters, but "
                             r"model\.count_params\(\) is 8"):
        costs.layer_costs(model)


# ---------------------------------------------------------------------------
# Preprocessing and augmentation layers.
# ---------------------------------------------------------------------------

#: Constructor arguments of each augmentation layer, strong enough that the
#: layer changes images in training.
AUGMENTATION_ARGS = {
    "RandomFlip": (), "RandomRotation": (0.2,), "RandomZoom": (0.2,),
    "RandomTranslation": (0.2, 0.2), "RandomContrast": (0.5,),
    "RandomBrightness": (0.5,), "RandomCrop": (24, 24), "RandAugment": (),
    "AugMix": (), "MixUp": (), "CutMix": (), "RandomGrayscale": (),
    "RandomHue": (0.5,), "RandomSaturation": (0.5,),
    "RandomSharpness": (0.5,), "RandomShear": (0.3, 0.3),
    "RandomColorJitter": (), "RandomColorDegeneration": (0.5,),
    "RandomPosterization": ((1, 8),), "Solarization": (0.5, 0.5),
    "RandomInvert": (), "RandomErasing": (), "RandomGaussianBlur": (),
    "RandomPerspective": (), "RandomElasticTransform": (),
    "Equalization": (),
}


def test_every_augmentation_layer_has_a_case():
    names = {cls.__name__ for cls in costs.AUGMENTATION_LAYERS}
    assert names == set(AUGMENTATION_ARGS)
    assert set(costs.AUGMENTATION_LAYERS) <= set(costs.ZERO_COST_LAYERS)


@pytest.mark.parametrize("name", sorted(AUGMENTATION_ARGS))
def test_augmentation_layer_is_free_and_identity_at_inference(name):
    layer = getattr(layers, name)(*AUGMENTATION_ARGS[name])
    images = np.random.default_rng(0).uniform(
        0, 255, (2, 32, 32, 3)).astype("float32")
    # Why they cost nothing: Keras returns the input untouched at inference.
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)),
                                  images)
    if name == "Equalization":
        # Keras 3.15 cannot put it in a graph: its symbolic output is its
        # input tensor. When a Keras fixes that, count it as the others.
        with pytest.raises(ValueError, match="part of a cycle"):
            keras.Sequential([keras.Input((32, 32, 3)), layer])
        return
    model = keras.Sequential([keras.Input((32, 32, 3)), layer])
    assert costs.totals(costs.layer_costs(model)).sum() == 0


@pytest.mark.parametrize("layer, message", [
    (layers.Resizing(16, 16, interpolation="area"),
     r"interpolation='area', antialias=False.*Counted: antialias=False"),
    (layers.Resizing(16, 16, antialias=True),
     "interpolation='bilinear', antialias=True"),
])
def test_resizing_with_a_growing_window_is_an_error(layer, message):
    model = keras.Sequential([keras.Input((32, 32, 3)), layer])
    with pytest.raises(NotImplementedError, match=message):
        costs.layer_costs(model)


def test_contrast_limited_equalization_is_not_free():
    # Active at inference (it changes images), and not modelled: an error.
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.ContrastLimitedAdaptiveHistogramEqualization(name="clahe")])
    with pytest.raises(NotImplementedError, match="'clahe' of class "
                                                  "ContrastLimited"):
        costs.layer_costs(model)


# ---------------------------------------------------------------------------
# The private Keras APIs, one test each: a newer Keras fails here first.
# ---------------------------------------------------------------------------

_X = (1, 4)  # The shape of the tensor that the traces below are called on.

OPERATION_CALLS = {
    **{name: (lambda f: lambda x: f(x, x))(getattr(keras.ops, name))
       for name in ("add", "subtract", "multiply", "divide", "true_divide",
                    "maximum", "minimum")},
    "reshape": lambda x: keras.ops.reshape(x, (4, 1)),
    "expand_dims": lambda x: keras.ops.expand_dims(x, 0),
    "squeeze": lambda x: keras.ops.squeeze(x, 0),
    "concatenate": lambda x: keras.ops.concatenate([x, x]),
    "cast": lambda x: keras.ops.cast(x, "float16"),
}


@pytest.mark.parametrize("name", sorted(costs.OPERATION_CLASS_NAMES))
def test_keras_private_operation_classes(name):
    classes = costs._keras_private_operation_classes()
    assert name in classes, f"Keras has no {costs.OPERATION_CLASS_NAMES[name]}"
    # The class is the one that keras.ops.<name> records in a graph.
    x = keras.KerasTensor(_X)
    call = OPERATION_CALLS.get(name, getattr(keras.ops, name))
    [operation] = keras.Function(x, call(x)).operations
    assert type(operation) is classes[name]
    keras.backend.clear_session()  # Give back the names the trace took.


def test_keras_private_custom_scale_layer():
    scale_class = costs._keras_private_custom_scale_layer()
    assert scale_class.__name__ == "CustomScaleLayer"
    assert issubclass(scale_class, layers.Layer)
    # InceptionResNetV2's x + scale * r: 2 per element.
    x, r = keras.Input((8, 8, 4)), keras.Input((8, 8, 4))
    model = keras.Model([x, r], scale_class(0.17, name="scale")([x, r]))
    assert costs.layer_costs(model).set_index("name").loc[
        "scale", "elementwise_ops"] == 2 * 8 * 8 * 4


def test_keras_private_graph_nodes():
    dense = layers.Dense(3, name="dense")
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    model = keras.Model([a, b], dense(a) + dense(b))
    nodes = costs._keras_private_graph_nodes(model)
    # Two inputs, two calls of the shared layer and the add.
    assert len(nodes) == 2 + 2 + 1
    assert {id(node.operation) for node in nodes} == {
        id(op) for op in model.operations}
    assert all(hasattr(node, "input_tensors") and hasattr(
        node, "output_tensors") for node in nodes)


def test_keras_private_inbound_nodes():
    dense = layers.Dense(3, name="dense")
    first, second = keras.Input((3,)), keras.Input((3,))
    model_1 = keras.Model(first, dense(first))
    model_2 = keras.Model(second, dense(second))
    nodes = costs._keras_private_inbound_nodes(dense)
    assert len(nodes) == 2  # Every call, in both models.
    assert nodes[0].input_tensors[0] is first
    assert [inputs[0] for inputs, _ in costs._calls(model_1, dense)] == [
        first]
    assert [inputs[0] for inputs, _ in costs._calls(model_2, dense)] == [
        second]


# ---------------------------------------------------------------------------
# Totals and comparisons (rendering: tests/test_report.py).
# ---------------------------------------------------------------------------


def _small_table():
    inputs = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(4, 3, name="block1_conv")(inputs)
    x = layers.MaxPooling2D(2, name="block1_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(2, name="head")(x)
    return costs.layer_costs(keras.Model(inputs, outputs))


def test_totals_flops_and_total_row():
    table = _small_table()
    conv_macs = 6 * 6 * 3 * 3 * 3 * 4
    dense_macs = 3 * 3 * 4 * 2
    total = costs.totals(table)
    assert total["macs"] == conv_macs + dense_macs
    assert costs.flops(total) == 2 * (conv_macs + dense_macs)
    assert costs.flops(table).tolist() == [0, 2 * conv_macs, 0, 0,
                                           2 * dense_macs]
    with_total = costs.with_total(table)
    assert with_total.iloc[-1]["name"] == "total"
    assert with_total.iloc[-1]["macs"] == conv_macs + dense_macs
    assert len(with_total) == len(table) + 1


def test_block_totals_by():
    table = _small_table()
    by_mapping = costs.block_totals(table, by={"block1_conv": "features",
                                               "block1_pool": "features"})
    assert by_mapping["block"].tolist() == ["image", "features",
                                            "flatten", "head"]
    by_callable = costs.block_totals(
        table, by=lambda name: "head" if name == "head" else "body")
    assert by_callable["block"].tolist() == ["body", "head"]
    assert by_callable["layers"].tolist() == [4, 1]
    with pytest.raises(TypeError, match="by must be None, a regular "
                                        "expression.*received by=3"):
        costs.block_totals(table, by=3)
    with pytest.raises(TypeError, match="received 1 for the layer"):
        costs.block_totals(table, by=lambda name: 1)


def test_compare_inception_bottleneck():
    # Inception (3a), 5x5 branch on 28x28x192: direct, or 1x1 to 16 first.
    direct = costs.conv2d_macs(28, 28, 5, 5, 192, 32)
    reduced = (costs.conv2d_macs(28, 28, 1, 1, 192, 16)
               + costs.conv2d_macs(28, 28, 5, 5, 16, 32))
    result = costs.compare(pd.Series({"macs": direct}),
                           pd.Series({"macs": reduced}))
    assert list(result.columns) == ["without", "with", "saving",
                                    "relative_saving", "ratio"]
    macs = result.loc["macs"]
    assert macs["saving"] == 28 * 28 * 5 * 5 * 192 * 32 - (
        28 * 28 * 192 * 16 + 28 * 28 * 5 * 5 * 16 * 32)
    assert macs["relative_saving"] == pytest.approx(1 - reduced / direct)
    assert macs["ratio"] == pytest.approx(direct / reduced)
    assert result.loc["flops", "without"] == 2 * direct


def test_compare_tables():
    table = _small_table()
    result = costs.compare(table, table, labels=("a", "b"))
    assert result.index.tolist() == list(costs.COUNT_COLUMNS) + ["flops"]
    assert (result["saving"] == 0).all()
    assert result.loc["norm_ops", "relative_saving"] != result.loc[
        "norm_ops", "relative_saving"]  # 0 / 0 is NaN, not a saving.
    with pytest.raises(ValueError, match="labels must be two different "
                                         "names.*received labels=\\('a', "
                                         "'a'\\)"):
        costs.compare(table, table, labels=("a", "a"))
    with pytest.raises(TypeError, match="received list"):
        costs.compare([1], table)


def test_docstring_examples():
    # Includes layer_costs' example: VGG16's 138,357,544 params and
    # 15,470,264,320 MACs.
    keras.backend.clear_session()
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(costs):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.attempted > 0
    assert results.failed == 0
