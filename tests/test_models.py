"""Tests of ``book.lib.models``: the shared Fashion-MNIST models and recipes.

Parameter and MAC counts are written as their formulas, so a reader can check
each one by hand.
"""

import inspect
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from book.lib import costs, data, models, training  # noqa: E402

BUILDERS = {"fashion_mlp": models.fashion_mlp, "fashion_cnn": models.fashion_cnn,
            "fashion_vgg": models.fashion_vgg,
            "fashion_inception": models.fashion_inception,
            "fashion_resnet": models.fashion_resnet,
            "fashion_inception_resnet": models.fashion_inception_resnet,
            "fashion_inception_resnet_unscaled":
                models.fashion_inception_resnet_unscaled,
            "fashion_lenet": models.fashion_lenet,
            "fashion_alexnet": models.fashion_alexnet,
            "fashion_cnn_augmented": models.fashion_cnn_augmented,
            "fashion_cnn_tunable": models.fashion_cnn_tunable,
            "fashion_all_conv": models.fashion_all_conv,
            "fashion_se_resnet": models.fashion_se_resnet}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builders_take_no_required_argument_and_classify_fashion_mnist(name):
    build = BUILDERS[name]
    required = [p for p in inspect.signature(build).parameters.values()
                if p.default is inspect.Parameter.empty]
    assert required == []
    model = build()
    assert tuple(model.input_shape[1:]) == data.IMAGE_SHAPE
    assert model.output_shape == (None, data.NUM_CLASSES)
    assert model.layers[-1].activation is keras.activations.softmax
    probabilities = model.predict(np.zeros((2, *data.IMAGE_SHAPE), "float32"),
                                  verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builders_start_from_the_same_weights(name):
    """The same initial weights on every call, so that the training cache
    finds a run that another chapter already did."""
    first, second = BUILDERS[name](), BUILDERS[name]()
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert first.to_json() == second.to_json()


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_builder_has_a_recipe_that_train_accepts(name):
    recipe = models.RECIPES[name]
    assert {"epochs", "batch_size", "learning_rate"} <= set(recipe)
    accepted = inspect.signature(training.train).parameters
    assert set(recipe) <= set(accepted), "RECIPES hold keyword arguments of train"


def test_fashion_mlp_is_the_perceptron_of_deep_networks():
    model = models.fashion_mlp()
    assert [layer.name for layer in model.layers] == [
        "flatten", "hidden1", "dropout", "hidden2", "output"]
    assert model.get_layer("dropout").rate == 0.2
    assert model.count_params() == (
        (28 * 28 * 256 + 256) + (256 * 128 + 128) + (128 * 10 + 10))


def test_fashion_cnn_layers_params_and_macs():
    model = models.fashion_cnn()
    table = costs.layer_costs(model).set_index("name")
    assert list(table.index) == [
        "image", "block1_conv1", "block1_pool", "block2_conv1", "block2_pool",
        "block3_conv1", "block3_pool", "flatten", "hidden", "dropout", "output"]
    assert table.loc["block3_pool", "output_shape"] == (3, 3, 128)
    expected_params = (
        (3 * 3 * 1 * 32 + 32) + (3 * 3 * 32 * 64 + 64) + (3 * 3 * 64 * 128 + 128)
        + (3 * 3 * 128 * 128 + 128) + (128 * 10 + 10))
    expected_macs = (
        28 * 28 * 3 * 3 * 1 * 32 + 14 * 14 * 3 * 3 * 32 * 64
        + 7 * 7 * 3 * 3 * 64 * 128 + 3 * 3 * 128 * 128 + 128 * 10)
    assert model.count_params() == table["params"].sum() == expected_params
    assert table["macs"].sum() == expected_macs
    # "About 7.5 M MACs": the budget the chapter plans its training with.
    assert 7_000_000 < expected_macs < 8_000_000


def test_seed_none_keeps_the_random_state():
    a = models.fashion_cnn(seed=None).get_weights()[0]
    b = models.fashion_cnn(seed=None).get_weights()[0]
    assert not np.array_equal(a, b)


def test_fashion_vgg_layers_params_and_macs():
    model = models.fashion_vgg()
    table = costs.layer_costs(model).set_index("name")
    assert list(table.index) == [
        "image",
        "block1_conv1", "block1_conv2", "block1_pool",
        "block2_conv1", "block2_conv2", "block2_pool",
        "block3_conv1", "block3_conv2", "block3_pool",
        "flatten", "fc1", "dropout", "predictions"]
    assert table.loc["block3_pool", "output_shape"] == (3, 3, 64)
    expected_params = (
        (3 * 3 * 1 * 16 + 16) + (3 * 3 * 16 * 16 + 16)
        + (3 * 3 * 16 * 32 + 32) + (3 * 3 * 32 * 32 + 32)
        + (3 * 3 * 32 * 64 + 64) + (3 * 3 * 64 * 64 + 64)
        + (3 * 3 * 64 * 128 + 128) + (128 * 10 + 10))
    expected_macs = (
        28 * 28 * 3 * 3 * 1 * 16 + 28 * 28 * 3 * 3 * 16 * 16
        + 14 * 14 * 3 * 3 * 16 * 32 + 14 * 14 * 3 * 3 * 32 * 32
        + 7 * 7 * 3 * 3 * 32 * 64 + 7 * 7 * 3 * 3 * 64 * 64
        + 3 * 3 * 64 * 128 + 128 * 10)
    assert model.count_params() == table["params"].sum() == expected_params == 146_938
    assert table["macs"].sum() == expected_macs == 7_413_248
    # The chapter compares it with fashion_cnn at about the same arithmetic.
    cnn_macs = costs.layer_costs(models.fashion_cnn())["macs"].sum()
    assert abs(expected_macs - cnn_macs) / cnn_macs < 0.05


def test_blocks_live_in_blocks_not_here():
    """One home per block: models builds from book.lib.blocks (tests/test_blocks.py)."""
    for block in ("conv_block", "vgg_block", "inception_module"):
        assert not hasattr(models, block), f"models.{block}: blocks live in book.lib.blocks"


def test_fashion_resnet_is_resnet20_with_option_a_shortcuts():
    model = models.fashion_resnet()
    table = costs.layer_costs(model).set_index("name")
    weighted = [layer for layer in model.layers if hasattr(layer, "kernel")]
    assert len(weighted) == 6 * 3 + 2  # ResNet-20: 6n + 2 layers with weights.
    assert table.loc["conv2_block3_out", "output_shape"] == (14, 14, 16)
    assert table.loc["conv3_block3_out", "output_shape"] == (7, 7, 32)
    assert table.loc["conv4_block3_out", "output_shape"] == (4, 4, 64)
    # Option A: the shortcuts have no weights; the two that grow are padded.
    assert "conv3_block1_0_conv" not in table.index
    assert table.loc["conv3_block1_0_merge", "output_shape"] == (7, 7, 32)
    bn = 4  # gamma, beta, moving mean and variance per channel.
    expected_params = (
        (3 * 3 * 1 * 16 + bn * 16)
        + 3 * 2 * (3 * 3 * 16 * 16 + bn * 16)
        + (3 * 3 * 16 * 32) + 5 * (3 * 3 * 32 * 32) + 6 * bn * 32
        + (3 * 3 * 32 * 64) + 5 * (3 * 3 * 64 * 64) + 6 * bn * 64
        + (64 * 10 + 10))
    expected_macs = (
        14 * 14 * 3 * 3 * 1 * 16
        + 14 * 14 * 6 * (3 * 3 * 16 * 16)
        + 7 * 7 * (3 * 3 * 16 * 32 + 5 * 3 * 3 * 32 * 32)
        + 4 * 4 * (3 * 3 * 32 * 64 + 5 * 3 * 3 * 64 * 64)
        + 64 * 10)
    assert model.count_params() == expected_params == 270_810
    assert table["macs"].sum() == expected_macs == 8_466_112
    # Nine adds, one per block, in their own column.
    adds = table[table["type"] == "Add"]
    assert len(adds) == 9 and (adds["elementwise_ops"] > 0).all()


def test_fashion_inception_layers_params_and_macs():
    model = models.fashion_inception()
    table = costs.layer_costs(model).set_index("name")
    branches = ["1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool",
                "pool_proj", "output"]
    # Keras lists a module's branches in graph order, not in call order.
    assert sorted(table.index) == sorted([
        "image", "stem_conv", "stem_pool",
        *(f"inception_1_{b}" for b in branches), "pool_1",
        *(f"inception_2_{b}" for b in branches),
        "avg_pool", "dropout", "predictions"])
    assert table.loc["inception_1_output", "output_shape"] == (14, 14, 32 + 48 + 16 + 16)
    assert table.loc["inception_2_output", "output_shape"] == (7, 7, 64 + 96 + 32 + 32)
    expected_params = (
        (3 * 3 * 1 * 32 + 32)
        + (32 * 32 + 32) + (32 * 32 + 32) + (3 * 3 * 32 * 48 + 48)
        + (32 * 8 + 8) + (5 * 5 * 8 * 16 + 16) + (32 * 16 + 16)
        + (112 * 64 + 64) + (112 * 48 + 48) + (3 * 3 * 48 * 96 + 96)
        + (112 * 16 + 16) + (5 * 5 * 16 * 32 + 32) + (112 * 32 + 32)
        + (224 * 10 + 10))
    expected_macs = (
        28 * 28 * 3 * 3 * 1 * 32
        + 14 * 14 * (32 * 32 + 32 * 32 + 3 * 3 * 32 * 48
                     + 32 * 8 + 5 * 5 * 8 * 16 + 32 * 16)
        + 7 * 7 * (112 * 64 + 112 * 48 + 3 * 3 * 48 * 96
                   + 112 * 16 + 5 * 5 * 16 * 32 + 112 * 32)
        + 224 * 10)
    assert model.count_params() == table["params"].sum() == expected_params == 95_042
    assert table["macs"].sum() == expected_macs == 7_654_080
    # The chapter compares it with fashion_cnn at about the same arithmetic.
    cnn_macs = costs.layer_costs(models.fashion_cnn())["macs"].sum()
    assert abs(expected_macs - cnn_macs) / cnn_macs < 0.05


def test_fashion_lenet_layers_params_and_macs():
    model = models.fashion_lenet()
    table = costs.layer_costs(model).set_index("name")
    assert list(table.index) == [
        "image", "pad", "block1_conv", "block1_pool", "block2_conv",
        "block2_pool", "c5", "flatten", "f6", "output"]
    assert table.loc["pad", "output_shape"] == (32, 32, 1)
    assert table.loc["block2_pool", "output_shape"] == (5, 5, 16)
    assert table.loc["c5", "output_shape"] == (1, 1, 120)
    # C1, C3 (fully connected), C5, F6 and the output, with their biases.
    expected_params = ((5 * 5 * 1 + 1) * 6 + (5 * 5 * 6 + 1) * 16
                       + (5 * 5 * 16 + 1) * 120 + (120 + 1) * 84 + (84 + 1) * 10)
    expected_macs = (28 * 28 * 5 * 5 * 1 * 6 + 10 * 10 * 5 * 5 * 6 * 16
                     + 5 * 5 * 16 * 120 + 120 * 84 + 84 * 10)
    assert model.count_params() == table["params"].sum() == expected_params
    assert expected_params == 61_706
    assert table["macs"].sum() == expected_macs == 416_520


def test_fashion_alexnet_layers_params_and_macs():
    model = models.fashion_alexnet()
    table = costs.layer_costs(model).set_index("name")
    # No LRN (the chapter measures its cost in time) and no two-GPU split.
    assert not [name for name in table.index if name.endswith("_lrn")]
    assert all(layer.groups == 1 for layer in model.layers
               if isinstance(layer, keras.layers.Conv2D))
    assert [name for name in table.index if name.endswith("_pool")] == [
        "block1_pool", "block2_pool", "block5_pool"]
    assert table.loc["block1_pool", "output_shape"] == (13, 13, 16)
    assert table.loc["block2_pool", "output_shape"] == (6, 6, 48)
    assert table.loc["block5_pool", "output_shape"] == (2, 2, 48)
    assert model.get_layer("block2_pool").pool_size == (3, 3)
    assert model.get_layer("block2_pool").strides == (2, 2)  # Overlapping.
    expected_params = (
        (5 * 5 * 1 + 1) * 16 + (5 * 5 * 16 + 1) * 48 + (3 * 3 * 48 + 1) * 64
        + (3 * 3 * 64 + 1) * 64 + (3 * 3 * 64 + 1) * 48
        + (2 * 2 * 48 + 1) * 256 + (256 + 1) * 256 + (256 + 1) * 10)
    expected_macs = (
        28 * 28 * 5 * 5 * 1 * 16 + 13 * 13 * 5 * 5 * 16 * 48
        + 6 * 6 * 3 * 3 * 48 * 64 + 6 * 6 * 3 * 3 * 64 * 64
        + 6 * 6 * 3 * 3 * 64 * 48 + 192 * 256 + 256 * 256 + 256 * 10)
    assert model.count_params() == table["params"].sum() == expected_params
    assert table["macs"].sum() == expected_macs
    # The chapter compares it with fashion_cnn at about the same arithmetic.
    cnn_macs = costs.layer_costs(models.fashion_cnn())["macs"].sum()
    assert abs(expected_macs - cnn_macs) / cnn_macs < 0.1


def test_fashion_cnn_augmented_is_fashion_cnn_behind_free_augmentation():
    model, plain = models.fashion_cnn_augmented(), models.fashion_cnn()
    table = costs.layer_costs(model).set_index("name")
    augment = ["augment_translation", "augment_rotation", "augment_zoom"]
    assert list(table.index) == ["image", *augment, *[
        layer.name for layer in plain.layers[1:]]]
    # The random layers hold no weights and cost nothing at inference.
    assert (table.loc[augment, ["params", "macs"]] == 0).all().all()
    assert model.count_params() == plain.count_params() == 241_546
    assert table["macs"].sum() == 7_599_872
    # The same starting weights as fashion_cnn: the chapter compares the two.
    for a, b in zip(model.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)
    images = np.random.default_rng(0).random((4, *data.IMAGE_SHAPE), "float32")
    np.testing.assert_allclose(model.predict(images, verbose=0),
                               plain.predict(images, verbose=0), rtol=1e-6)


@pytest.mark.parametrize("base_filters", [8, 16, 32])
def test_fashion_cnn_tunable_params_and_macs(base_filters):
    b = base_filters
    model = models.fashion_cnn_tunable(base_filters=b, dropout=0.2)
    table = costs.layer_costs(model)
    expected_params = ((3 * 3 * 1 + 1) * b + (3 * 3 * b + 1) * 2 * b
                       + (3 * 3 * 2 * b + 1) * 4 * b + (3 * 3 * 4 * b + 1) * 128
                       + (128 + 1) * 10)
    expected_macs = (28 * 28 * 3 * 3 * 1 * b + 14 * 14 * 3 * 3 * b * 2 * b
                     + 7 * 7 * 3 * 3 * 2 * b * 4 * b + 3 * 3 * 4 * b * 128 + 128 * 10)
    assert model.count_params() == table["params"].sum() == expected_params
    assert table["macs"].sum() == expected_macs
    assert model.get_layer("dropout").rate == 0.2


def test_fashion_cnn_tunable_defaults_are_fashion_cnn():
    tunable, cnn = models.fashion_cnn_tunable(), models.fashion_cnn()
    assert tunable.count_params() == cnn.count_params() == 241_546
    assert costs.layer_costs(tunable)["macs"].sum() == 7_599_872
    assert [layer.name for layer in tunable.layers] == [
        layer.name for layer in cnn.layers]
    for a, b in zip(tunable.get_weights(), cnn.get_weights()):
        np.testing.assert_array_equal(a, b)  # Same seed, same initial weights.


@pytest.mark.parametrize("kwargs, match", [
    (dict(base_filters=0), "base_filters must be a positive integer"),
    (dict(base_filters=8.0), "received base_filters=8.0"),
    (dict(dropout=1.0), "dropout must be a rate in"),
    (dict(dropout=-0.1), "received dropout=-0.1"),
])
def test_fashion_cnn_tunable_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        models.fashion_cnn_tunable(**kwargs)


def test_fashion_all_conv_layers_params_and_macs():
    """No pooling and no dense layer: strided convolutions, class maps, GAP."""
    model = models.fashion_all_conv()
    table = costs.layer_costs(model).set_index("name")
    assert list(table.index) == [
        "image", "conv1", "conv2", "conv3", "conv4", "conv5", "conv6",
        "class_maps", "avg_pool", "predictions"]
    assert not any(isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.Dense))
                   for layer in model.layers)
    shapes = {name: table.loc[name, "output_shape"] for name in table.index}
    assert shapes["conv2"] == (14, 14, 24) and shapes["conv4"] == (7, 7, 48)
    assert shapes["class_maps"] == (5, 5, 10) and shapes["avg_pool"] == (10,)
    expected_params = (
        (3 * 3 * 1 * 24 + 24) + (3 * 3 * 24 * 24 + 24)
        + (3 * 3 * 24 * 48 + 48) + (3 * 3 * 48 * 48 + 48)
        + (3 * 3 * 48 * 96 + 96) + (96 * 96 + 96) + (96 * 10 + 10))
    expected_macs = (
        28 * 28 * 3 * 3 * 1 * 24 + 14 * 14 * 3 * 3 * 24 * 24
        + 14 * 14 * 3 * 3 * 24 * 48 + 7 * 7 * 3 * 3 * 48 * 48
        + 5 * 5 * 3 * 3 * 48 * 96 + 5 * 5 * 96 * 96 + 5 * 5 * 96 * 10)
    assert model.count_params() == table["params"].sum() == expected_params == 88_498
    assert table["macs"].sum() == expected_macs == 5_524_800
    assert table.loc["avg_pool", "params"] == 0


def test_fashion_all_conv_scores_are_the_mean_of_its_class_maps():
    """Zhou et al.'s identity: with a linear 1x1 layer before global average
    pooling, a class's score is the mean of its class activation map."""
    model = models.fashion_all_conv()
    images = np.random.default_rng(0).random((3, *data.IMAGE_SHAPE)).astype("float32")
    maps_model = keras.Model(model.input, [model.get_layer("conv6").output,
                                           model.get_layer("class_maps").output,
                                           model.get_layer("avg_pool").output])
    features, maps, scores = (np.asarray(a) for a in maps_model(images))
    kernel, bias = model.get_layer("class_maps").get_weights()
    cam = np.einsum("bhwk,kc->bhwc", features, kernel[0, 0]) + bias
    np.testing.assert_allclose(maps, cam, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(scores, maps.mean(axis=(1, 2)), rtol=1e-4, atol=1e-6)


def test_fashion_se_resnet_is_fashion_resnet_with_an_se_block_in_each_block():
    """Hu et al.'s SE-ResNet module: SE on the residual branch, before the add."""
    plain, se = models.fashion_resnet(), models.fashion_se_resnet()
    plain_table = costs.layer_costs(plain).set_index("name")
    table = costs.layer_costs(se).set_index("name")
    added = [name for name in table.index if name not in plain_table.index]
    assert len(added) == 9 * 4  # squeeze, reduce, expand, excite per block.
    assert set(plain_table.index) < set(table.index)
    # The gate multiplies the second BN's output; the add takes the product.
    add = se.get_layer("conv3_block2_add")
    assert add.input[1] is se.get_layer("conv3_block2_se_excite").output
    excite = se.get_layer("conv3_block2_se_excite")
    assert excite.input[0] is se.get_layer("conv3_block2_2_bn").output
    ratio = models.FASHION_SE_RATIO
    assert se.get_layer("conv4_block1_se_reduce").units == 64 // ratio
    # Per block, 2 C^2 / r weights and C / r + C biases; three blocks per stage.
    extra_params = sum(3 * (2 * c * c // ratio + c // ratio + c) for c in (16, 32, 64))
    extra_macs = sum(3 * 2 * c * c // ratio for c in (16, 32, 64))
    assert se.count_params() - plain.count_params() == extra_params == 8_484
    assert table["macs"].sum() - plain_table["macs"].sum() == extra_macs == 8_064
    assert se.count_params() == 279_294
    # The squeeze's adds and the scale's multiplies: H * W * C each per block.
    elements = sum(3 * h * h * c for h, c in ((14, 16), (7, 32), (4, 64)))
    squeeze = table[table.index.str.endswith("_se_squeeze")]
    excite_rows = table[table.index.str.endswith("_se_excite")]
    assert squeeze["pool_ops"].sum() == elements
    assert excite_rows["elementwise_ops"].sum() == elements


def test_fashion_se_resnet_keeps_fashion_resnet_unchanged():
    """The SE variant is built by the same code; the plain one is as before."""
    assert models.fashion_resnet().count_params() == 270_810
    assert not any("_se_" in layer.name for layer in models.fashion_resnet().layers)
    assert models.RECIPES["fashion_se_resnet"] == models.RECIPES["fashion_resnet"]


def test_recipes_name_each_model_once():
    # A dict literal keeps the last of two equal keys silently: a recipe written
    # twice could differ from the one a reader finds first.
    import ast

    tree = ast.parse(Path(inspect.getsourcefile(models)).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and node.target.id == "RECIPES"):
            keys = [key.value for key in node.value.keys]
            break
    else:
        raise AssertionError("book/lib/models.py has no annotated RECIPES = {...}")
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    assert not duplicates, f"RECIPES lists {duplicates} more than once"
    assert set(keys) == set(models.RECIPES)
