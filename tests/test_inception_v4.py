"""Tests of the Inception-v4 and Inception-ResNet blocks (``book.lib.blocks``)
and of the small Inception-ResNet (``book.lib.models``) of ``inception_v4``.

Shapes are the sizes written in Szegedy et al. (2017)'s figures; parameter
counts are written as formulas (``conv_bn_relu`` has no bias and a BN without
scale: 3 numbers per channel).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from book.lib import blocks, costs, models  # noqa: E402

BN = 3  # beta, moving mean and moving variance per channel (scale=False).


def block_model(block, input_shape, *args, **kwargs) -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="input")
    return keras.Model(inputs, block(inputs, *args, **kwargs))


def conv(k_h, k_w, c_in, c_out):
    """Parameters of one conv_bn_relu."""
    return k_h * k_w * c_in * c_out + BN * c_out


def test_conv_bn_relu_names_params_and_no_bias():
    model = block_model(blocks.conv_bn_relu, (17, 17, 8), 16, (1, 7), name="u")
    assert [layer.name for layer in model.layers[1:]] == ["u_conv", "u_bn", "u_relu"]
    assert model.count_params() == conv(1, 7, 8, 16)
    assert model.output.shape[1:] == (17, 17, 16)


@pytest.mark.parametrize("block, input_shape, output_shape, args", [
    (blocks.inception_v4_stem, (299, 299, 3), (35, 35, 384), ()),
    (blocks.inception_a, (35, 35, 384), (35, 35, 384), ()),
    (blocks.reduction_a, (35, 35, 384), (17, 17, 1024),
     blocks.REDUCTION_A_FILTERS["inception_v4"]),
    (blocks.reduction_a, (35, 35, 384), (17, 17, 1152),
     blocks.REDUCTION_A_FILTERS["inception_resnet_v2"]),
    (blocks.inception_b, (17, 17, 1024), (17, 17, 1024), ()),
    (blocks.reduction_b, (17, 17, 1024), (8, 8, 1536), ()),
    (blocks.inception_c, (8, 8, 1536), (8, 8, 1536), ()),
    (blocks.inception_resnet_reduction_b, (17, 17, 1088), (8, 8, 2080), ()),
])
def test_blocks_give_the_papers_sizes(block, input_shape, output_shape, args):
    kwargs = {} if block is blocks.inception_v4_stem else {"name": "b"}
    model = block_model(block, input_shape, *args, **kwargs)
    assert model.output.shape[1:] == output_shape


def test_inception_a_params_by_formula():
    model = block_model(blocks.inception_a, (35, 35, 384), name="a")
    expected = (conv(1, 1, 384, 96) + conv(1, 1, 384, 96)
                + conv(1, 1, 384, 64) + conv(3, 3, 64, 96)
                + conv(1, 1, 384, 64) + conv(3, 3, 64, 96) + conv(3, 3, 96, 96))
    assert model.count_params() == expected


def test_inception_resnet_block_params_macs_and_scale():
    model = block_model(blocks.inception_resnet_block, (35, 35, 320),
                        blocks.INCEPTION_RESNET_A, 0.17, name="block35_1")
    expected = (conv(1, 1, 320, 32) + conv(1, 1, 320, 32) + conv(3, 3, 32, 32)
                + conv(1, 1, 320, 32) + conv(3, 3, 32, 48) + conv(3, 3, 48, 64)
                + (128 * 320 + 320))  # The linear projection, with bias.
    assert model.count_params() == expected
    assert model.get_layer("block35_1_scale").scale == pytest.approx(0.17)
    assert model.get_layer("block35_1_conv").activation is keras.activations.linear
    table = costs.layer_costs(model).set_index("name")
    assert table.loc["block35_1_conv", "macs"] == 35 * 35 * 128 * 320
    # Zero projection weights: the block is the identity followed by ReLU.
    conv_layer = model.get_layer("block35_1_conv")
    conv_layer.set_weights([np.zeros_like(w) for w in conv_layer.get_weights()])
    x = np.random.default_rng(0).random((1, 35, 35, 320), dtype=np.float32)
    np.testing.assert_allclose(model(x), x, rtol=1e-6)


def test_inception_resnet_block_without_scale_has_no_scale_layer():
    model = block_model(blocks.inception_resnet_block, (8, 8, 64),
                        blocks.INCEPTION_RESNET_C, None, name="c", activation=None)
    names = [layer.name for layer in model.layers]
    assert "c_scale" not in names and "c_ac" not in names and names[-1] == "c_add"


def test_factorized_7x7_costs_two_sevenths():
    full = block_model(blocks.conv_bn_relu, (17, 17, 192), 192, 7, name="f")
    inputs = keras.Input((17, 17, 192))
    y = blocks.conv_bn_relu(inputs, 192, (1, 7), name="p1")
    y = blocks.conv_bn_relu(y, 192, (7, 1), name="p2")
    pair = keras.Model(inputs, y)
    macs_full = costs.layer_costs(full)["macs"].sum()
    macs_pair = costs.layer_costs(pair)["macs"].sum()
    assert macs_full == 17 * 17 * 49 * 192 * 192
    assert macs_pair * 49 == macs_full * 14


@pytest.mark.parametrize("call, match", [
    (lambda x: blocks.conv_bn_relu(x, 8, 3, padding="full", name="u"),
     "received padding='full'"),
    (lambda x: blocks.conv_bn_relu(x, 0, 3, name="u"), "received filters=0"),
    (lambda x: blocks.inception_resnet_block(x, (), 0.1, name="r"),
     "received branches"),
    (lambda x: blocks.inception_resnet_block(x, blocks.INCEPTION_RESNET_A, -1,
                                             name="r"), "received scale=-1"),
    (lambda x: blocks.reduction_a(x, 0, 1, 1, 1, name="r"), "received k=0"),
    (lambda x: blocks.inception_v4_stem(x), "at least 75x75"),
    (lambda x: blocks.inception_resnet_reduction_b(x, ((8,),), name="r"),
     "received branch 0"),
])
def test_bad_arguments_are_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call(keras.Input((28, 28, 8)))


def test_fashion_inception_resnet_shapes_params_and_macs():
    model = models.fashion_inception_resnet()
    table = costs.layer_costs(model).set_index("name")
    assert table.loc["stem_relu", "output_shape"] == (14, 14, 32)
    assert table.loc["block35_2_ac", "output_shape"] == (14, 14, 32)
    assert table.loc["mixed_6a_concat", "output_shape"] == (7, 7, 32 + 24 + 24)
    assert table.loc["block17_2_ac", "output_shape"] == (7, 7, 80)
    assert table.loc["mixed_7a_concat", "output_shape"] == (4, 4, 80 + 48 + 36 + 40)
    assert table.loc["block8_1_ac", "output_shape"] == (4, 4, 204)
    assert len(table[table["type"] == "Add"]) == 5
    assert model.count_params() == 134_562
    assert table["macs"].sum() == 6_195_000
    unscaled = models.fashion_inception_resnet_unscaled()
    assert unscaled.count_params() == model.count_params()
    assert "block35_1_scale" not in [layer.name for layer in unscaled.layers]


def test_fashion_inception_resnet_same_initial_weights_with_and_without_scale():
    scaled = models.fashion_inception_resnet()
    unscaled = models.fashion_inception_resnet_unscaled()
    for a, b in zip(scaled.get_weights(), unscaled.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_fashion_inception_resnet_bad_scale():
    with pytest.raises(ValueError, match="received residual_scale=0"):
        models.fashion_inception_resnet(0)
