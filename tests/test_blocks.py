"""Tests of ``book.lib.blocks``: the network blocks that the chapters teach.

Shapes and parameter counts are written as their formulas (a BatchNormalization
layer holds 4 numbers per channel: gamma, beta, moving mean and variance), and
the ResNet and MobileNet blocks are pinned against ``keras.applications``.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from book.lib import blocks, costs  # noqa: E402

BN = 4  # Parameters of BatchNormalization per channel.


def block_model(block, input_shape, *args, **kwargs) -> keras.Model:
    """A model holding one block, on a named input, so that costs can count it."""
    inputs = keras.Input(shape=input_shape, name="input")
    return keras.Model(inputs, block(inputs, *args, **kwargs))


def names(model: keras.Model) -> list[str]:
    return [layer.name for layer in model.layers if layer.name != "input"]


def params_by_layer(model: keras.Model, prefix: str) -> dict[str, int]:
    return {layer.name: layer.count_params() for layer in model.layers
            if layer.name.startswith(prefix)}


@pytest.fixture(scope="module")
def resnet50():
    keras.backend.clear_session()
    return keras.applications.ResNet50(weights=None)


@pytest.fixture(scope="module")
def resnet50v2():
    return keras.applications.ResNet50V2(weights=None)


@pytest.fixture(scope="module")
def mobilenet():
    keras.backend.clear_session()
    return keras.applications.MobileNet(weights=None)


# ---------------------------------------------------------------------------
# VGG and Inception.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("num_convs", [1, 2, 3])
def test_vgg_block_shapes_names_and_params(num_convs):
    model = block_model(blocks.vgg_block, (28, 28, 16), 32, num_convs,
                        name="block1")
    assert model.output_shape == (None, 14, 14, 32)
    assert names(model) == [f"block1_conv{i}" for i in range(1, num_convs + 1)
                            ] + ["block1_pool"]
    assert model.count_params() == (
        (3 * 3 * 16 * 32 + 32) + (num_convs - 1) * (3 * 3 * 32 * 32 + 32))


def test_vgg_block_is_vgg16s_block2():
    """VGG16's block 2: 112x112x64 in, two 3x3 convolutions of 128, 56x56x128 out."""
    model = block_model(blocks.vgg_block, (112, 112, 64), 128, 2, name="block2")
    assert model.output_shape == (None, 56, 56, 128)
    table = costs.layer_costs(model).set_index("name")
    assert table["params"].sum() == (3 * 3 * 64 * 128 + 128) + (3 * 3 * 128 * 128 + 128)
    assert table.loc["block2_conv2", "macs"] == 112 * 112 * 3 * 3 * 128 * 128


def test_inception_module_3a_of_googlenet():
    """Module 3a of GoogLeNet's table 1: 28x28x192 in, 28x28x256 out."""
    model = block_model(blocks.inception_module, (28, 28, 192),
                        64, 96, 128, 16, 32, 32, name="inception_3a")
    assert model.output_shape == (None, 28, 28, 64 + 128 + 32 + 32)
    assert sorted(names(model)) == sorted(
        f"inception_3a_{b}" for b in ("1x1", "3x3_reduce", "3x3", "5x5_reduce",
                                      "5x5", "pool", "pool_proj", "output"))
    table = costs.layer_costs(model).set_index("name")
    assert table.loc["inception_3a_5x5_reduce", "macs"] == 28 * 28 * 1 * 1 * 192 * 16
    assert table.loc["inception_3a_5x5", "macs"] == 28 * 28 * 5 * 5 * 16 * 32
    assert table["params"].sum() == (
        (192 * 64 + 64) + (192 * 96 + 96) + (3 * 3 * 96 * 128 + 128)
        + (192 * 16 + 16) + (5 * 5 * 16 * 32 + 32) + (192 * 32 + 32))


# ---------------------------------------------------------------------------
# Residual blocks.
# ---------------------------------------------------------------------------


def test_residual_block_with_identity_shortcut():
    model = block_model(blocks.residual_block, (56, 56, 64), 64, name="conv2_block1")
    assert model.output_shape == (None, 56, 56, 64)
    assert names(model) == [
        "conv2_block1_1_conv", "conv2_block1_1_bn", "conv2_block1_1_relu",
        "conv2_block1_2_conv", "conv2_block1_2_bn", "conv2_block1_add",
        "conv2_block1_out"]
    assert model.count_params() == 2 * ((3 * 3 * 64 * 64 + 64) + BN * 64)


def test_residual_block_with_projection_shortcut():
    model = block_model(blocks.residual_block, (56, 56, 64), 128, 2,
                        name="conv3_block1")
    assert model.output_shape == (None, 28, 28, 128)
    assert {"conv3_block1_0_conv", "conv3_block1_0_bn"} <= set(names(model))
    assert model.get_layer("conv3_block1_0_conv").strides == (2, 2)
    assert model.count_params() == (
        (3 * 3 * 64 * 128 + 128) + BN * 128        # 1: 3x3, stride 2
        + (3 * 3 * 128 * 128 + 128) + BN * 128     # 2: 3x3
        + (1 * 1 * 64 * 128 + 128) + BN * 128)     # 0: the 1x1 projection


def test_residual_block_without_biases():
    model = block_model(blocks.residual_block, (56, 56, 64), 64, use_bias=False,
                        name="conv2_block1")
    assert model.count_params() == 2 * (3 * 3 * 64 * 64 + BN * 64)


def test_residual_block_forced_projection_keeps_the_shape():
    model = block_model(blocks.residual_block, (56, 56, 64), 64, 1, True,
                        name="conv2_block1")
    assert "conv2_block1_0_conv" in names(model)
    assert model.output_shape == (None, 56, 56, 64)


def test_bottleneck_block_is_resnet50s_conv2_block1(resnet50):
    """56x56x64 in, 1x1 64, 3x3 64, 1x1 256, with a projection: 56x56x256 out."""
    model = block_model(blocks.bottleneck_block, (56, 56, 64), 64, name="conv2_block1")
    assert model.output_shape == (None, 56, 56, 4 * 64)
    expected = params_by_layer(resnet50, "conv2_block1_")
    assert params_by_layer(model, "conv2_block1_") == expected
    assert names(model) == [n for n in (layer.name for layer in resnet50.layers)
                            if n.startswith("conv2_block1_")]
    assert model.count_params() == sum(expected.values()) == (
        (1 * 1 * 64 * 256 + 256) + BN * 256        # 0: the 1x1 projection
        + (1 * 1 * 64 * 64 + 64) + BN * 64         # 1: 1x1 reduce
        + (3 * 3 * 64 * 64 + 64) + BN * 64         # 2: 3x3
        + (1 * 1 * 64 * 256 + 256) + BN * 256)     # 3: 1x1 expand


@pytest.mark.parametrize("name, input_shape, filters, stride, output_shape", [
    ("conv2_block2", (56, 56, 256), 64, 1, (56, 56, 256)),     # identity
    ("conv3_block1", (56, 56, 256), 128, 2, (28, 28, 512)),    # strided projection
    ("conv4_block2", (14, 14, 1024), 256, 1, (14, 14, 1024)),
])
def test_bottleneck_block_matches_resnet50(resnet50, name, input_shape, filters,
                                           stride, output_shape):
    model = block_model(blocks.bottleneck_block, input_shape, filters, stride,
                        name=name)
    assert model.output_shape == (None, *output_shape)
    assert tuple(resnet50.get_layer(f"{name}_out").output.shape[1:]) == output_shape
    assert params_by_layer(model, f"{name}_") == params_by_layer(resnet50, f"{name}_")


@pytest.mark.parametrize("option, shortcut_params", [
    ("A", 0),  # Zero-padded identity: no weights.
    ("B", 64 * 128 + 128 + BN * 128),  # A 1x1 projection with BN.
    ("C", 64 * 128 + 128 + BN * 128),
])
def test_residual_block_shortcut_options_where_the_shape_changes(
        option, shortcut_params):
    model = block_model(blocks.residual_block, (56, 56, 64), 128, 2,
                        shortcut_option=option, name="conv3_block1")
    main_path = (3 * 3 * 64 * 128 + 128) + (3 * 3 * 128 * 128 + 128) + 2 * BN * 128
    assert model.output_shape == (None, 28, 28, 128)
    assert model.count_params() == main_path + shortcut_params


def test_residual_block_option_a_pads_zeros_after_a_subsampled_identity():
    model = block_model(blocks.residual_block, (4, 4, 2), 4, 2,
                        shortcut_option="A", name="b")
    shortcut = keras.Model(model.input, model.get_layer("b_0_merge").output)
    x = np.arange(32, dtype="float32").reshape(1, 4, 4, 2)
    expected = np.concatenate([x[:, ::2, ::2, :], np.zeros((1, 2, 2, 2))], axis=-1)
    np.testing.assert_array_equal(shortcut.predict(x, verbose=0), expected)


def test_residual_block_options_b_and_c_differ_only_where_the_shape_stays():
    option_b = block_model(blocks.residual_block, (56, 56, 64), 64,
                           shortcut_option="B", name="conv2_block2")
    option_c = block_model(blocks.residual_block, (56, 56, 64), 64,
                           shortcut_option="C", name="conv2_block2")
    assert option_c.count_params() - option_b.count_params() == (
        64 * 64 + 64 + BN * 64)


def test_plain_block_is_the_residual_block_without_the_shortcut():
    plain = block_model(blocks.plain_block, (56, 56, 64), 64, name="conv2_block1")
    residual = block_model(blocks.residual_block, (56, 56, 64), 64,
                           name="conv2_block1")
    assert set(names(residual)) - set(names(plain)) == {"conv2_block1_add"}
    assert plain.count_params() == residual.count_params()


@pytest.mark.parametrize("name, input_shape, filters, stride, conv_shortcut", [
    ("conv2_block1", (56, 56, 64), 64, 1, True),
    ("conv2_block3", (56, 56, 256), 64, 2, False),
    ("conv3_block2", (28, 28, 512), 128, 1, False),
])
def test_preact_bottleneck_block_matches_resnet50v2(
        resnet50v2, name, input_shape, filters, stride, conv_shortcut):
    model = block_model(blocks.preact_bottleneck_block, input_shape, filters,
                        stride, conv_shortcut, name=name)
    ours = params_by_layer(model, name)
    # Keras leaves the subsampling pooling of the shortcut unnamed (no weights).
    ours.pop(f"{name}_0_pool", None)
    theirs = params_by_layer(resnet50v2, f"{name}_")
    assert ours == theirs
    expected_out = resnet50v2.get_layer(f"{name}_out").output.shape
    assert model.output_shape == expected_out


def test_bottleneck_block_identity_params():
    model = block_model(blocks.bottleneck_block, (56, 56, 256), 64, name="conv2_block2")
    assert "conv2_block2_0_conv" not in names(model)
    assert model.count_params() == (
        (256 * 64 + 64) + BN * 64 + (3 * 3 * 64 * 64 + 64) + BN * 64
        + (64 * 256 + 256) + BN * 256)


def test_bottleneck_stride_on_the_3x3_costs_the_same_params_and_more_macs():
    args = ((56, 56, 256), 128, 2)
    on_1x1 = block_model(blocks.bottleneck_block, *args, name="conv3_block1")
    on_3x3 = block_model(blocks.bottleneck_block, *args, stride_on="3x3",
                         name="conv3_block1")
    assert on_3x3.output_shape == on_1x1.output_shape == (None, 28, 28, 512)
    assert on_3x3.count_params() == on_1x1.count_params()
    assert on_1x1.get_layer("conv3_block1_1_conv").strides == (2, 2)
    assert on_3x3.get_layer("conv3_block1_1_conv").strides == (1, 1)
    assert on_3x3.get_layer("conv3_block1_2_conv").strides == (2, 2)
    macs_1x1 = costs.layer_costs(on_1x1).set_index("name")["macs"]
    macs_3x3 = costs.layer_costs(on_3x3).set_index("name")["macs"]
    # Only the first 1x1 changes: it runs at 56x56 instead of 28x28.
    assert macs_1x1["conv3_block1_1_conv"] == 28 * 28 * 256 * 128
    assert macs_3x3["conv3_block1_1_conv"] == 56 * 56 * 256 * 128
    assert macs_3x3.sum() - macs_1x1.sum() == (56 * 56 - 28 * 28) * 256 * 128


# ---------------------------------------------------------------------------
# Depthwise separable convolution and squeeze-and-excitation.
# ---------------------------------------------------------------------------


def test_separable_block_is_mobilenets_first_block(mobilenet):
    """MobileNet's conv_dw_1/conv_pw_1: 112x112x32 in, 112x112x64 out."""
    model = block_model(blocks.separable_block, (112, 112, 32), 64, name="conv_1")
    assert model.output_shape == (None, 112, 112, 64)
    assert names(model) == ["conv_1_dw", "conv_1_dw_bn", "conv_1_dw_relu",
                            "conv_1_pw", "conv_1_pw_bn", "conv_1_pw_relu"]
    keras_params = sum(mobilenet.get_layer(n).count_params() for n in (
        "conv_dw_1", "conv_dw_1_bn", "conv_pw_1", "conv_pw_1_bn"))
    assert model.count_params() == keras_params == (
        3 * 3 * 32 + BN * 32      # depthwise 3x3, no bias
        + 32 * 64 + BN * 64)      # pointwise 1x1, no bias
    table = costs.layer_costs(model).set_index("name")
    assert table.loc["conv_1_dw", "macs"] == 112 * 112 * 3 * 3 * 32
    assert table.loc["conv_1_pw", "macs"] == 112 * 112 * 32 * 64


def test_separable_block_with_stride_is_mobilenets_second_block(mobilenet):
    model = block_model(blocks.separable_block, (112, 112, 64), 128, 2, name="conv_2")
    assert model.output_shape == (None, 56, 56, 128)
    assert model.output_shape[1:] == tuple(mobilenet.get_layer("conv_pw_2_relu").output.shape[1:])
    assert model.count_params() == sum(mobilenet.get_layer(n).count_params() for n in (
        "conv_dw_2", "conv_dw_2_bn", "conv_pw_2", "conv_pw_2_bn")) == (
        3 * 3 * 64 + BN * 64 + 64 * 128 + BN * 128)


@pytest.mark.parametrize("ratio", [16, 4, 64])
def test_se_block_shapes_params_and_costs(ratio):
    model = block_model(blocks.se_block, (14, 14, 64), ratio, name="se3")
    assert model.output_shape == (None, 14, 14, 64)
    assert names(model) == ["se3_squeeze", "se3_reduce", "se3_expand", "se3_excite"]
    assert model.get_layer("se3_reduce").units == 64 // ratio
    assert model.count_params() == (
        (64 * (64 // ratio) + 64 // ratio) + ((64 // ratio) * 64 + 64))
    table = costs.layer_costs(model).set_index("name")
    assert table.loc["se3_squeeze", "pool_ops"] == 14 * 14 * 64
    assert table.loc["se3_reduce", "macs"] == 64 * (64 // ratio)
    assert table.loc["se3_expand", "macs"] == (64 // ratio) * 64
    # Every input element is multiplied by its channel's gate.
    assert table.loc["se3_excite", "elementwise_ops"] == 14 * 14 * 64


@pytest.mark.parametrize("block, input_shape, filters, channels", [
    (blocks.bottleneck_block, (14, 14, 256), 64, 256),
    (blocks.residual_block, (14, 14, 64), 64, 64),
])
def test_se_ratio_puts_an_se_block_on_the_residual_branch_before_the_add(
        block, input_shape, filters, channels):
    plain = block_model(block, input_shape, filters, name="conv4_block2")
    se = block_model(block, input_shape, filters, name="conv4_block2", se_ratio=16)
    last_bn = "conv4_block2_3_bn" if block is blocks.bottleneck_block else "conv4_block2_2_bn"
    se_names = [n for n in names(se) if n not in names(plain)]
    assert se_names == ["conv4_block2_se_squeeze", "conv4_block2_se_reduce",
                        "conv4_block2_se_expand", "conv4_block2_se_excite"]
    excite = se.get_layer("conv4_block2_se_excite")
    assert excite.input[0] is se.get_layer(last_bn).output
    assert se.get_layer("conv4_block2_add").input[1] is excite.output
    # Hu et al. (2018), eq. 5 per block, plus the two dense layers' biases.
    assert se.count_params() - plain.count_params() == (
        2 * channels * channels // 16 + channels // 16 + channels)
    se_costs = costs.layer_costs(se)["macs"].sum()
    assert se_costs - costs.layer_costs(plain)["macs"].sum() == 2 * channels * channels // 16
    assert se.output_shape == plain.output_shape


def test_se_ratio_errors_name_the_ratio():
    inputs = keras.Input(shape=(8, 8, 32))
    with pytest.raises(ValueError, match="ratio must be at most the number of channels"):
        blocks.bottleneck_block(inputs, 8, name="b", se_ratio=64)
    with pytest.raises(ValueError, match="ratio must be a positive integer"):
        blocks.residual_block(inputs, 32, name="b", se_ratio=0)


# ---------------------------------------------------------------------------
# What every block shares.
# ---------------------------------------------------------------------------

EVERY_BLOCK = {
    "vgg_block": (blocks.vgg_block, (8, 8, 4), (8, 2)),
    "inception_module": (blocks.inception_module, (8, 8, 4), (2, 2, 4, 2, 4, 2)),
    "residual_block": (blocks.residual_block, (8, 8, 4), (8, 2)),
    "bottleneck_block": (blocks.bottleneck_block, (8, 8, 4), (2, 2)),
    "plain_block": (blocks.plain_block, (8, 8, 4), (8, 2)),
    "preact_bottleneck_block": (blocks.preact_bottleneck_block, (8, 8, 4),
                                (2, 2, True)),
    "separable_block": (blocks.separable_block, (8, 8, 4), (8, 2)),
    "se_block": (blocks.se_block, (8, 8, 16), (4,)),
}


@pytest.mark.parametrize("block", sorted(EVERY_BLOCK))
def test_every_layer_is_named_from_the_pattern_and_counted(block):
    function, input_shape, args = EVERY_BLOCK[block]
    model = block_model(function, input_shape, *args, name="stage9")
    assert all(n.startswith("stage9_") for n in names(model)), names(model)
    table = costs.layer_costs(model)
    assert table["params"].sum() == model.count_params()


@pytest.mark.parametrize("block", sorted(EVERY_BLOCK))
@pytest.mark.parametrize("name", ["", None, 3])
def test_every_block_needs_a_name(block, name):
    function, input_shape, args = EVERY_BLOCK[block]
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        block_model(function, input_shape, *args, name=name)


@pytest.mark.parametrize("function, input_shape, args, kwargs, message", [
    (blocks.vgg_block, (8, 8, 3), (0, 2), {},
     r"filters must be a positive integer; received filters=0"),
    (blocks.vgg_block, (8, 8, 3), (16, 1.5), {},
     r"num_convs must be a positive integer; received num_convs=1\.5"),
    (blocks.vgg_block, (8, 8, 3), (True, 2), {},
     r"filters must be a positive integer; received filters=True"),
    (blocks.inception_module, (8, 8, 3), (8, 8, 8, 8, -4, 8), {},
     r"filters_5x5 must be a positive integer; received filters_5x5=-4"),
    (blocks.residual_block, (8, 8, 3), (-8,), {},
     r"filters must be a positive integer; received filters=-8"),
    (blocks.residual_block, (8, 8, 3), (8, 0), {},
     r"stride must be a positive integer; received stride=0"),
    (blocks.residual_block, (8, 8, 8), (8, 2, False), {},
     r"identity shortcut needs the block to keep its input's shape; received "
     r"8 input channels for 8 output channels and stride=2"),
    (blocks.residual_block, (8, 8, 3), (8, 1, False), {},
     r"received 3 input channels for 8 output channels"),
    (blocks.residual_block, (8, 8, 3), (8, 1, "yes"), {},
     r"conv_shortcut must be True .* received conv_shortcut='yes'"),
    (blocks.bottleneck_block, (8, 8, 3), (8, "2"), {},
     r"stride must be a positive integer; received stride='2'"),
    (blocks.bottleneck_block, (8, 8, 3), (8, 2), {"stride_on": "first"},
     r"stride_on must be one of \('1x1', '3x3'\).*received stride_on='first'"),
    (blocks.bottleneck_block, (8, 8, 16), (8, 1, False), {},
     r"received 16 input channels for 32 output channels and stride=1"),
    (blocks.residual_block, (8, 8, 8), (8,), {"shortcut_option": "D"},
     r"shortcut_option must be one of \('A', 'B', 'C'\).*received "
     r"shortcut_option='D'"),
    (blocks.residual_block, (8, 8, 8), (8, 1, True), {"shortcut_option": "C"},
     r"either shortcut_option or conv_shortcut, not both; received "
     r"shortcut_option='C' and conv_shortcut=True"),
    (blocks.residual_block, (8, 8, 16), (8,), {"shortcut_option": "A"},
     r"cannot reduce them; received 16 input channels for 8 output channels"),
    (blocks.plain_block, (8, 8, 3), (8, 0), {},
     r"stride must be a positive integer; received stride=0"),
    (blocks.preact_bottleneck_block, (8, 8, 16), (8, 1, False), {},
     r"received 16 input channels for 32 output channels \(4 \* filters\)"),
    (blocks.preact_bottleneck_block, (8, 8, 32), (8, 1, None), {},
     r"conv_shortcut must be True .* received conv_shortcut=None"),
    (blocks.separable_block, (8, 8, 3), (16, -2), {},
     r"stride must be a positive integer; received stride=-2"),
    (blocks.separable_block, (8, 8, 3), (0,), {},
     r"filters must be a positive integer; received filters=0"),
    (blocks.se_block, (8, 8, 64), (128,), {},
     r"ratio must be at most the number of channels \(64\).*received ratio=128"),
    (blocks.se_block, (8, 8, 64), (0,), {},
     r"ratio must be a positive integer; received ratio=0"),
])
def test_bad_arguments_are_errors_that_say_what_was_received(
        function, input_shape, args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        block_model(function, input_shape, *args, name="bad", **kwargs)


def test_se_block_needs_known_channels():
    inputs = keras.Input(shape=(8, 8, None))
    with pytest.raises(ValueError, match="se_block needs the number of input channels"):
        blocks.se_block(inputs, name="se")


# ---------------------------------------------------------------------------
# LeNet-5 and AlexNet (chapter lenet_alexnet).
# ---------------------------------------------------------------------------

#: LeNet-5's Table I (LeCun et al. 1998): the S2 maps of each C3 map.
LENET_C3_TABLE = (
    *[tuple((j + i) % 6 for i in range(3)) for j in range(6)],
    *[tuple((j + i) % 6 for i in range(4)) for j in range(6)],
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5), tuple(range(6)))


def test_conv_pool_block_alexnet_conv1_shapes_names_and_params():
    model = block_model(blocks.conv_pool_block, (227, 227, 3), 96, 11, 4,
                        lrn=True, pool_size=3, pool_strides=2, name="block1")
    assert names(model) == ["block1_conv", "block1_lrn", "block1_pool"]
    assert model.get_layer("block1_conv").output.shape[1:] == (55, 55, 96)
    assert model.output_shape == (None, 27, 27, 96)  # (55 - 3) // 2 + 1.
    assert model.count_params() == 11 * 11 * 3 * 96 + 96 == 34_944


def test_conv_pool_block_groups_halve_weights_and_macs():
    grouped = block_model(blocks.conv_pool_block, (27, 27, 96), 256, 5,
                          padding="same", groups=2, name="block2")
    full = block_model(blocks.conv_pool_block, (27, 27, 96), 256, 5,
                       padding="same", name="block2")
    assert grouped.count_params() == 5 * 5 * 48 * 256 + 256 == 307_456
    assert full.count_params() == 5 * 5 * 96 * 256 + 256
    assert (costs.layer_costs(grouped)["macs"].sum()
            == 27 * 27 * 5 * 5 * 48 * 256
            == costs.layer_costs(full)["macs"].sum() // 2)


@pytest.mark.parametrize("kwargs, match", [
    (dict(filters=0), "filters must be a positive integer; received filters=0"),
    (dict(filters=-6), "received filters=-6"),
    (dict(groups=5), "groups must divide both the input channels and filters"),
    (dict(groups=0), "received groups=0"),
    (dict(padding="full"), "padding must be one of"),
    (dict(kernel_size=40), "too small for its 40x40 kernel"),
    (dict(pool_size=30), "too small for its 30x30 pooling"),
])
def test_conv_pool_block_rejects_bad_arguments(kwargs, match):
    arguments = dict(filters=96, kernel_size=11, strides=4, pool_size=3,
                     pool_strides=2, name="block1", **{})
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        blocks.conv_pool_block(keras.Input(shape=(32, 32, 6)), **arguments)


def test_conv_pool_block_names_the_stem_input_it_needs():
    with pytest.raises(ValueError, match="a side of 8 pixels.*227x227"):
        blocks.conv_pool_block(keras.Input(shape=(8, 8, 3)), 96, 11, 4,
                               name="block1")


def test_connection_table_conv_holds_lenet_c3s_1516_weights():
    model = block_model(blocks.connection_table_conv, (14, 14, 6),
                        LENET_C3_TABLE, 5, name="c3")
    assert model.output_shape == (None, 10, 10, 16)
    assert names(model) == ["c3_select1", "c3_select2", "c3_select3",
                            "c3_conv1", "c3_conv2", "c3_conv3", "c3_concat"]
    connections = sum(len(inputs) for inputs in LENET_C3_TABLE)
    assert connections == 6 * 3 + 9 * 4 + 6 == 60
    assert model.count_params() == 5 * 5 * connections + 16 == 1_516
    table = costs.layer_costs(model)
    assert table["params"].sum() == 1_516
    assert table["macs"].sum() + table["bias_adds"].sum() == 151_600


def test_connection_table_conv_computes_a_masked_full_convolution():
    inputs = keras.Input(shape=(14, 14, 6))
    partial = keras.Model(inputs, blocks.connection_table_conv(
        inputs, LENET_C3_TABLE, 5, name="c3", activation=None))
    # The same weights in a full 5x5 convolution, zero where Table I has no X.
    kernel = np.zeros((5, 5, 6, 16), "float32")
    bias = np.zeros(16, "float32")
    j = 0
    for r in (1, 2, 3):
        conv = partial.get_layer(f"c3_conv{r}")
        weights, biases = conv.get_weights()
        per_map = weights.shape[2]
        for m in range(weights.shape[3]):
            kernel[:, :, list(LENET_C3_TABLE[j]), j] = weights[:, :, :, m]
            assert per_map == len(LENET_C3_TABLE[j])
            bias[j] = biases[m]
            j += 1
    full = keras.Sequential([keras.Input(shape=(14, 14, 6)),
                             keras.layers.Conv2D(16, 5)])
    full.layers[0].set_weights([kernel, bias])
    images = np.random.default_rng(0).normal(size=(2, 14, 14, 6)).astype("float32")
    np.testing.assert_allclose(partial.predict(images, verbose=0),
                               full.predict(images, verbose=0), atol=1e-5)


@pytest.mark.parametrize("table, match", [
    ((), "at least one output map"),
    (((0, 1), ()), r"table\[1\] must list distinct input channels"),
    (((0, 0, 1),), r"table\[0\]"),
    (((0, 9),), "from 0 to 5"),
    (5, "one sequence of input channels per output map"),
])
def test_connection_table_conv_rejects_bad_tables(table, match):
    with pytest.raises(ValueError, match=match):
        blocks.connection_table_conv(keras.Input(shape=(14, 14, 6)), table, 5,
                                     name="c3")


# --- augmentation_block (chapter augmentation) ------------------------------

def test_augmentation_block_layers_factors_and_no_weights():
    model = block_model(blocks.augmentation_block, (28, 28, 1), contrast=0.2,
                        flip="horizontal", rotation_degrees=20, name="augment")
    assert names(model) == ["augment_flip", "augment_translation",
                            "augment_rotation", "augment_zoom", "augment_contrast"]
    # Degrees in, a fraction of a full turn to Keras: 20 / 360.
    rotation = model.get_layer("augment_rotation")
    assert rotation.get_config()["factor"] == (-20 / 360, 20 / 360)
    assert rotation.get_config()["fill_mode"] == "constant"
    assert model.get_layer("augment_flip").get_config()["mode"] == "horizontal"
    assert model.get_layer("augment_contrast").get_config()["value_range"] == (0, 1)
    assert model.count_params() == 0
    # Free at inference: the identity, and no MACs in the cost table.
    images = keras.random.uniform((4, 28, 28, 1), seed=1)
    assert keras.ops.all(model(images, training=False) == images)
    assert costs.layer_costs(model)["macs"].sum() == 0


def test_augmentation_block_changes_images_in_training():
    model = block_model(blocks.augmentation_block, (28, 28, 1), name="augment")
    images = keras.random.uniform((4, 28, 28, 1), seed=1)
    assert not keras.ops.all(model(images, training=True) == images)


def test_augmentation_block_skips_changes_set_to_zero():
    model = block_model(blocks.augmentation_block, (28, 28, 1), translation=0,
                        zoom=0.0, name="aug")
    assert names(model) == ["aug_rotation"]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"flip": "diagonal"}, ValueError, r"flip must be one of .*received flip='diagonal'"),
    ({"fill_mode": "black"}, ValueError,
     r"fill_mode must be one of .*received fill_mode='black'"),
    ({"translation": 1.5}, ValueError,
     r"translation must be a fraction .*received translation=1.5"),
    ({"translation": "0.1"}, TypeError, r"translation must be a number"),
    ({"zoom": -1.5}, ValueError, r"zoom must be a fraction .*received zoom=-1.5"),
    ({"contrast": 1.0}, ValueError, r"contrast must be a fraction .*contrast=1.0"),
    ({"rotation_degrees": 400}, ValueError,
     r"in degrees, from 0 to 180; received rotation_degrees=400"),
    ({"rotation_degrees": -10}, ValueError, r"received rotation_degrees=-10"),
    ({"rotation_degrees": True}, TypeError, r"rotation_degrees must be a number"),
    ({"seed": 1.5}, TypeError, r"seed must be an integer; received seed=1.5"),
    ({"name": ""}, ValueError, r"name must be a non-empty string"),
])
def test_augmentation_block_bad_arguments(kwargs, error, message):
    inputs = keras.Input(shape=(28, 28, 1))
    with pytest.raises(error, match=message):
        blocks.augmentation_block(inputs, **kwargs)
