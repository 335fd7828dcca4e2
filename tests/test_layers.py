"""Tests of ``book.lib.layers``: local response normalization."""

import doctest
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from book.lib import layers as lib_layers  # noqa: E402

LRN = lib_layers.LocalResponseNormalization


def paper_lrn(a, n=5, k=2.0, alpha=1e-4, beta=0.75):
    """Krizhevsky et al. 2012, section 3.3, written loop by loop in NumPy."""
    channels = a.shape[-1]
    b = np.empty_like(a)
    for i in range(channels):
        low, high = max(0, i - n // 2), min(channels - 1, i + n // 2)
        energy = (a[..., low:high + 1] ** 2).sum(axis=-1)
        b[..., i] = a[..., i] / (k + alpha * energy) ** beta
    return b


def _activations(shape=(2, 6, 6, 16), scale=10.0, seed=0):
    # Large values, so that alpha's term is not lost next to k.
    return (scale * np.random.default_rng(seed).standard_normal(shape)
            ).astype("float32")


def test_defaults_are_the_papers():
    layer = LRN()
    assert (layer.size, layer.k, layer.alpha, layer.beta) == (5, 2.0, 1e-4,
                                                              0.75)


@pytest.mark.parametrize("size, k, alpha, beta", [
    (5, 2.0, 1e-4, 0.75),  # AlexNet.
    (5, 2.0, 1e-2, 0.75),  # A larger alpha, so the sum weighs.
    (3, 1.0, 0.1, 0.5),
    (1, 2.0, 0.05, 1.0),
    (7, 0.5, 1e-3, 0.75),
])
def test_matches_paper_and_tensorflow(size, k, alpha, beta):
    x = _activations()
    ours = np.asarray(LRN(size, k, alpha, beta)(x))
    np.testing.assert_allclose(ours, paper_lrn(x, size, k, alpha, beta),
                               rtol=1e-5)
    # TensorFlow's alpha multiplies the sum, as the paper's: the same number.
    theirs = tf.nn.local_response_normalization(
        x, depth_radius=size // 2, bias=k, alpha=alpha, beta=beta).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_tensorflow_alpha_is_not_divided_by_size():
    # With PyTorch's convention (alpha / n) the result is visibly different;
    # this pins which convention the docstring's mapping claims.
    x = _activations()
    ours = np.asarray(LRN(5, 2.0, 1e-2, 0.75)(x))
    per_mean = tf.nn.local_response_normalization(
        x, depth_radius=2, bias=2.0, alpha=1e-2 / 5, beta=0.75).numpy()
    assert not np.allclose(ours, per_mean, rtol=1e-3)


def test_save_and_load(tmp_path):
    inputs = keras.Input((6, 6, 16))
    outputs = LRN(3, 1.0, 0.1, 0.5, name="norm1")(inputs)
    model = keras.Model(inputs, outputs)
    path = tmp_path / "lrn.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    layer = loaded.get_layer("norm1")
    assert type(layer) is LRN
    assert (layer.size, layer.k, layer.alpha, layer.beta) == (3, 1.0, 0.1,
                                                              0.5)
    x = _activations()
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)
    assert keras.saving.get_registered_name(LRN) == (
        "book>LocalResponseNormalization")


@pytest.mark.parametrize("kwargs, message", [
    ({"size": 4}, "size must be a positive odd integer.*received size=4"),
    ({"size": 0}, "received size=0"),
    ({"size": 5.0}, r"received size=5\.0"),
    ({"k": 0}, "k must be a positive number; received k=0"),
    ({"alpha": -1e-4}, "alpha must be a non-negative number"),
    ({"beta": "0.75"}, "received beta='0.75'"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LRN(**kwargs)


def test_unknown_channels_is_an_error():
    with pytest.raises(ValueError, match="known number of channels"):
        LRN()(keras.Input((6, 6, None)))


def test_docstring_examples():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(lib_layers):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.attempted > 0
    assert results.failed == 0


# ---------------------------------------------------------------------------
# SelectChannels (LeNet-5's partially connected C3, chapter lenet_alexnet).
# ---------------------------------------------------------------------------


def test_select_channels_copies_channels_in_order():
    x = np.arange(2 * 3 * 3 * 6, dtype="float32").reshape(2, 3, 3, 6)
    layer = lib_layers.SelectChannels((4, 0, 0, 5))
    out = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_array_equal(out, x[..., [4, 0, 0, 5]])
    assert layer.compute_output_shape((None, 3, 3, 6)) == (None, 3, 3, 4)


def test_select_channels_is_serializable_and_free():
    from book.lib import costs

    inputs = keras.Input(shape=(5, 5, 6))
    model = keras.Model(inputs, lib_layers.SelectChannels([1, 2], name="pick")(inputs))
    again = keras.Model.from_config(model.get_config())
    assert again.get_layer("pick").indices == (1, 2)
    row = costs.layer_costs(model).set_index("name").loc["pick"]
    assert row["params"] == row["macs"] == 0


@pytest.mark.parametrize("indices, match", [
    ((), "non-empty sequence of non-negative integers"),
    ((0, -1), "received indices=\\(0, -1\\)"),
    ((0, 1.5), "non-negative integers"),
    ("012", "sequence of channel indices"),
])
def test_select_channels_rejects_bad_indices(indices, match):
    with pytest.raises(ValueError, match=match):
        lib_layers.SelectChannels(indices)


def test_select_channels_rejects_a_channel_the_input_lacks():
    with pytest.raises(ValueError, match="picks channel 6, but its input has 6"):
        lib_layers.SelectChannels((0, 6))(keras.Input(shape=(5, 5, 6)))


# ---------------------------------------------------------------------------
# EuclideanRBF (LeNet-5's output layer, chapter lenet_alexnet).


def test_euclidean_rbf_is_squared_distance_to_fixed_centres():
    layer = lib_layers.EuclideanRBF(10)
    inputs = np.random.default_rng(1).normal(size=(3, 84)).astype("float32")
    outputs = keras.ops.convert_to_numpy(layer(inputs))
    centres = keras.ops.convert_to_numpy(layer.centres)
    assert centres.shape == (84, 10) and set(np.unique(centres)) == {-1.0, 1.0}
    by_hand = ((inputs[:, :, None] - centres[None]) ** 2).sum(axis=1)
    np.testing.assert_allclose(outputs, by_hand, rtol=1e-5)
    assert not layer.trainable_weights and len(layer.non_trainable_weights) == 1
    # Each centre is nearest to itself: the smallest output wins.
    distances = keras.ops.convert_to_numpy(layer(centres.T))
    assert (distances.argmin(axis=1) == np.arange(10)).all()


def test_euclidean_rbf_save_and_load(tmp_path):
    inputs = keras.Input(shape=(84,))
    model = keras.Model(inputs, lib_layers.EuclideanRBF(10, seed=3, name="rbf")(inputs))
    path = tmp_path / "rbf.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = np.random.default_rng(0).normal(size=(2, 84)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)
    assert loaded.get_layer("rbf").get_config()["seed"] == 3


@pytest.mark.parametrize("kwargs, match", [
    ({"units": 0}, r"units must be a positive integer.*received units=0"),
    ({"units": 2.5}, r"units must be a positive integer"),
    ({"units": 10, "seed": -1}, r"seed must be a non-negative integer.*seed=-1"),
])
def test_euclidean_rbf_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lib_layers.EuclideanRBF(**kwargs)


def test_euclidean_rbf_needs_flat_inputs():
    with pytest.raises(ValueError, match=r"flat inputs.*Put a Flatten"):
        lib_layers.EuclideanRBF(10)(keras.Input(shape=(5, 5, 16)))
