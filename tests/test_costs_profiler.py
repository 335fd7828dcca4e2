"""Checks ``book.lib.costs`` against TensorFlow's own FLOP profiler.

The model is traced at batch 1, frozen to constants and handed to
``tf.compat.v1.profiler``, which counts FLOPs per graph node with the rules of
``tensorflow/python/profiler/internal/flops_registry.py``. We add them up per
op type and reconcile every type with our columns:

* ``Conv2D``, ``DepthwiseConv2dNative`` and ``MatMul`` are exactly
  ``2 * macs`` (Conv1D/Conv2D and the pointwise half of a separable
  convolution; depthwise layers and the depthwise half; Dense, also on a
  rank-3 input, which Keras reshapes into one MatMul).
* ``BiasAdd`` is exactly ``bias_adds``, plus the adds of merge layers on
  vectors: Keras' TF backend adds a ``(1, C)`` operand with ``bias_add``,
  which at batch 1 is every ``Add``/``Average`` of two ``(C,)`` tensors.
* ``MaxPool``, ``AvgPool`` and ``Mean`` (global average pooling) are exactly
  ``pool_ops``, less global *max* pooling: its ``Max`` op has no FLOP rule in
  TensorFlow, so the profiler counts it as 0.
* ``Softmax`` is exactly the ``activation_ops`` of the softmax layers (5 per
  element in both). ReLU, ReLU6, LeakyReLU and sigmoid have no FLOP rule in
  TensorFlow (0); we count 1 per element, so these are ours alone.
* The element-wise ops (``Mul``, ``AddV2``, ``Sub``, ``Rsqrt``, ``Neg``,
  ``RealDiv``, and ``SquaredDifference`` of layer norm) equal
  ``norm_ops + elementwise_ops`` plus what the graph does that an inference
  engine folds away:

  - ``BatchNormalization``: ``tf.nn.batch_normalization`` computes
    ``x * inv + (beta - mean * inv)`` with ``inv = rsqrt(var + eps) * gamma``
    in the graph; the per-element ``Mul`` and ``AddV2`` are our 2 per
    element, and the per-channel work, ``(5 + scale) * C`` (``AddV2`` 1,
    ``Rsqrt`` 2, ``Mul`` by gamma 1 if ``scale``, ``Mul`` 1, ``Sub`` or
    ``Neg`` 1), is the folding that we do not count.
  - ``LayerNormalization``: TensorFlow counts 9 per element (two ``Mean``,
    ``SquaredDifference`` as 2, ``Mul`` 3 as ``rsqrt(var) * gamma`` and
    ``mean * inv`` are broadcast to the full shape, ``AddV2`` 2) plus 4 per
    normalized row (``AddV2`` 1, ``Rsqrt`` 2, ``Neg`` 1); we count 7 per
    element (see the module docstring). The two ``Mean`` ops (2 per element)
    fall in the same op type as global average pooling, so the profiler's
    ``Mean`` is ``pool_ops + 2 * elements`` and its element-wise ops are
    ``norm_ops + 4 * rows``.

Grouped convolutions run inside an XLA function call that the profiler does
not enter, so they are checked on a bare ``tf.nn.conv2d`` graph instead.
"""

import collections
import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402
from tensorflow.python.framework import convert_to_constants  # noqa: E402

from book.lib import costs  # noqa: E402

WEIGHT_OPS = {"Conv2D": ("Conv1D", "Conv2D"),
              "DepthwiseConv2dNative": ("DepthwiseConv1D", "DepthwiseConv2D"),
              "MatMul": ("Dense",)}
POOL_OPS = ("MaxPool", "AvgPool", "Mean")
ELEMENTWISE_OPS = ("AddV2", "Add", "Mul", "Sub", "RealDiv", "Rsqrt", "Neg",
                   "Maximum", "Minimum", "SquaredDifference")


def profile_graph(graph_def) -> collections.Counter:
    """FLOPs per op type, as TensorFlow's profiler counts them."""
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    profile = tf.compat.v1.profiler.profile(graph, cmd="scope",
                                            options=options)
    op_type = {node.name: node.op for node in graph_def.node}
    flops_by_op = collections.Counter()
    pending = [profile]
    while pending:
        node = pending.pop()
        pending += node.children
        if node.float_ops and node.name in op_type:
            flops_by_op[op_type[node.name]] += node.float_ops
    return flops_by_op


def profile_model(model: keras.Model) -> collections.Counter:
    """Freezes ``model`` at batch 1 (inference) and profiles it."""
    spec = tf.TensorSpec((1, *model.input_shape[1:]), tf.float32)
    function = tf.function(lambda x: model(x, training=False))
    frozen = convert_to_constants.convert_variables_to_constants_v2(
        function.get_concrete_function(spec))
    return profile_graph(frozen.graph.as_graph_def())


def _uses_softmax(layer) -> bool:
    if isinstance(layer, layers.Softmax):
        return True
    return getattr(getattr(layer, "activation", None), "__name__",
                   "") == "softmax"


def expected_profile(model: keras.Model, table) -> dict[str, int]:
    """What the profiler should report, per group, from our table."""
    expected = collections.Counter()
    for row in table.itertuples():
        layer = model.get_layer(row.name)
        for op, types in WEIGHT_OPS.items():
            if row.type in types:
                expected[op] += 2 * row.macs
        if row.type in ("SeparableConv1D", "SeparableConv2D"):
            c_in = layer.input.shape[-1]
            pointwise = (math.prod(row.output_shape[:-1]) * c_in
                         * layer.depth_multiplier * layer.filters)
            expected["Conv2D"] += 2 * pointwise
            expected["DepthwiseConv2dNative"] += 2 * (row.macs - pointwise)
        expected["BiasAdd"] += row.bias_adds
        if not row.type.startswith("GlobalMaxPooling"):
            expected["pooling"] += row.pool_ops
        if _uses_softmax(layer):
            expected["Softmax"] += row.activation_ops
        expected["elementwise"] += row.norm_ops + row.elementwise_ops
        if row.type in ("Add", "Average") and len(row.output_shape) == 1:
            # Keras' TF backend adds a (1, C) operand with tf.nn.bias_add, so
            # at batch 1 the adds of vectors show up as BiasAdd ops.
            vector_adds = (len(layer.input) - 1) * row.output_shape[0]
            expected["BiasAdd"] += vector_adds
            expected["elementwise"] -= vector_adds
        if row.type == "BatchNormalization":
            channels = layer.input.shape[layer.axis]
            expected["elementwise"] += (5 + int(layer.scale)) * channels
        if row.type == "LayerNormalization":
            elements = math.prod(row.output_shape)
            rows = elements // layer.input.shape[-1]
            # Its two Mean ops land with the pooling ops (same op type).
            expected["pooling"] += 2 * elements
            expected["elementwise"] += 4 * rows
    return expected


def measured_profile(flops_by_op: collections.Counter) -> dict[str, int]:
    measured = collections.Counter({op: flops_by_op[op] for op in
                                    (*WEIGHT_OPS, "BiasAdd", "Softmax")})
    measured["pooling"] = sum(flops_by_op[op] for op in POOL_OPS)
    measured["elementwise"] = sum(flops_by_op[op] for op in ELEMENTWISE_OPS)
    return measured


def small_cnn() -> keras.Model:
    inputs = keras.Input((32, 32, 3))
    x = layers.Rescaling(1 / 255, name="rescale")(inputs)
    x = layers.Conv2D(8, 3, padding="same", activation="relu",
                      name="conv1")(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(16, 3, dilation_rate=2, activation="relu",
                      name="conv2")(x)
    x = layers.AveragePooling2D(2, padding="same", name="pool2")(x)
    x = layers.Dense(6, name="dense_3d")(x)  # Dense on a rank-3 input.
    x = layers.LayerNormalization(name="layer_norm")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(32, activation="relu", name="fc")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="small_cnn")


def small_resnet() -> keras.Model:
    """Residual blocks with BN (scale on and off), Add, SE-style Multiply."""
    inputs = keras.Input((24, 24, 3))
    x = layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False,
                      name="stem_conv")(inputs)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)
    shortcut = x
    y = layers.SeparableConv2D(16, 3, padding="same", depth_multiplier=2,
                               use_bias=False, name="res_sep")(x)
    y = layers.BatchNormalization(scale=False, name="res_bn")(y)
    y = layers.Activation("relu", name="res_relu")(y)
    squeeze = layers.GlobalAveragePooling2D(keepdims=True, name="se_pool")(y)
    excite = layers.Conv2D(16, 1, activation="sigmoid", name="se_conv")(
        squeeze)
    y = layers.Multiply(name="se_scale")([y, excite])
    x = layers.Add(name="res_add")([shortcut, y])
    x = layers.DepthwiseConv2D(3, strides=2, depth_multiplier=2,
                               name="down_dw")(x)
    x = layers.BatchNormalization(center=False, name="down_bn")(x)
    a = layers.GlobalAveragePooling2D(name="head_avg")(x)
    b = layers.GlobalMaxPooling2D(name="head_max")(x)
    x = layers.Average(name="head_mean")([a, b])
    x = layers.Subtract(name="head_sub")([x, b])
    outputs = layers.Softmax(name="probs")(layers.Dense(5, name="logits")(x))
    return keras.Model(inputs, outputs, name="small_resnet")


def small_sequence() -> keras.Model:
    """The 1D layers: Conv1D and DepthwiseConv1D run as 2D ops in the graph."""
    inputs = keras.Input((40, 4))
    x = layers.Conv1D(8, 5, activation="relu", name="conv")(inputs)
    x = layers.MaxPooling1D(2, name="pool")(x)
    x = layers.DepthwiseConv1D(3, depth_multiplier=2, name="dw")(x)
    x = layers.SeparableConv1D(6, 3, name="sep")(x)
    x = layers.AveragePooling1D(2, name="avg")(x)
    x = layers.GlobalAveragePooling1D(name="gap")(x)
    outputs = layers.Dense(3, activation="softmax", name="out")(x)
    return keras.Model(inputs, outputs, name="small_sequence")


def mobilenet_96() -> keras.Model:
    return keras.applications.MobileNet(input_shape=(96, 96, 3), alpha=0.25,
                                        weights=None)


@pytest.mark.parametrize("build", [small_cnn, small_resnet, small_sequence,
                                   mobilenet_96])
def test_profiler_agrees_with_table(build):
    keras.backend.clear_session()
    model = build()
    table = costs.layer_costs(model)
    flops_by_op = profile_model(model)
    # Every op the profiler counts must be one that we reconcile.
    known = {*WEIGHT_OPS, "BiasAdd", "Softmax", *POOL_OPS, *ELEMENTWISE_OPS}
    assert set(flops_by_op) <= known, set(flops_by_op) - known
    assert measured_profile(flops_by_op) == expected_profile(model, table)
    # The headline: TensorFlow's FLOPs of the weighted ops are 2 x our MACs.
    assert (sum(flops_by_op[op] for op in WEIGHT_OPS)
            == costs.flops(costs.totals(table)))


@pytest.mark.parametrize(
    "c_in, c_out, groups, dilation",
    [(8, 12, 1, 1), (8, 12, 2, 1), (8, 12, 4, 2), (6, 6, 6, 1)])
def test_grouped_conv_matches_profiler(c_in, c_out, groups, dilation):
    keras.backend.clear_session()
    conv = layers.Conv2D(c_out, 3, groups=groups, dilation_rate=dilation,
                         padding="same", name="conv")
    model = keras.Sequential([keras.Input((10, 10, c_in)), conv])
    row = costs.layer_costs(model).iloc[0]
    # Keras runs grouped convolutions in an XLA call the profiler skips, so
    # profile the same Conv2D op on the layer's own kernel shape.
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, (1, 10, 10, c_in))
        kernel = tf.zeros(conv.kernel.shape)
        tf.nn.conv2d(x, kernel, strides=1, padding="SAME",
                     dilations=dilation)
    flops_by_op = profile_graph(graph.as_graph_def(add_shapes=True))
    assert flops_by_op["Conv2D"] == 2 * row["macs"]
