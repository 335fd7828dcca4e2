"""Per-layer tables of parameters and arithmetic for Keras models.

Every architecture chapter prints a table of what each layer costs (VGG's
3x3 stacks, Inception's 1x1 bottlenecks, MobileNet's depthwise separable
convolutions). This module counts: it returns rows of numbers with English
column names; ``report.format_table`` renders them for the page.

Convention, used everywhere in the book:

* A **MAC** is one multiply-accumulate of a weight: ``macs`` counts them in
  ``Conv1D``/``Conv2D``, ``DepthwiseConv1D``/``DepthwiseConv2D``,
  ``SeparableConv1D``/``SeparableConv2D`` and ``Dense`` layers only.
  **FLOPs = 2 x MACs** for those layers (``flops(table)``); this is what
  TensorFlow's profiler reports for its ``Conv2D``, ``DepthwiseConv2dNative``
  and ``MatMul`` ops, and what ``tests/test_costs_profiler.py`` checks.
* Everything else is counted in its own column, never folded into ``macs``:

  ``bias_adds``
      One add per output element of a layer with ``use_bias=True``.
  ``norm_ops``
      ``BatchNormalization`` at inference: 2 per output element (the
      statistics and ``gamma``/``beta`` fold into one scale and one shift per
      channel; folding them is done once per channel and is not counted).
      ``LayerNormalization``: ``5 + scale + center`` per element (add for the
      mean, subtract it, square and add for the variance, multiply by
      ``1/sigma``; then one multiply for ``gamma`` and one add for ``beta``).
      ``RMSNormalization``: 4 per element (square and add for the mean
      square, multiply by ``1/rms``, multiply by the scale).
      ``Normalization`` (the preprocessing layer): 2 per element,
      ``(x - mean) / sqrt(variance)``, the square root folded per channel.
      ``layers.LocalResponseNormalization`` (``book.lib.layers``, AlexNet's
      LRN over ``n = size`` channels): ``n + 4`` per element (a square,
      ``n - 1`` adds for the window, a multiply by ``alpha``, an add of
      ``k``, a power and a division).
  ``pool_ops``
      Output elements x window area (comparisons for max pooling, adds for
      average pooling); a global pooling layer's window is its whole input, so
      it costs one op per input element. The division of average pooling is
      not counted, as in TensorFlow's profiler. Image resizing is a weighted
      window too: ``Resizing`` counts ``2 t - 1`` per output element for an
      interpolation with ``t`` taps (``t`` multiplies, ``t - 1`` adds;
      ``RESIZE_TAPS``: bilinear 4, bicubic 16, lanczos3 36, lanczos5 100),
      and ``nearest`` 0, a copy; ``area`` and ``antialias=True``, whose
      window grows with the scale factor, are an error. ``CenterCrop`` is a
      copy (0) unless its input is smaller than the target, when Keras
      resizes it bilinearly (7 per output element). ``AutoContrast``, active
      at inference, counts the minimum and maximum of each channel, 2 per
      element, here.
  ``elementwise_ops``
      Merge layers: ``(n_inputs - 1)`` per output element for ``Add``,
      ``Subtract``, ``Multiply``, ``Maximum`` and ``Minimum``; ``n_inputs`` for
      ``Average`` (the adds and one division). ``Rescaling``: 2 per element
      (``x * scale + offset``). ``AutoContrast``: 4 per element (scale,
      shift, and the two sides of the clip), plus 4 when its
      ``value_range`` is not ``(0, 255)``. Arithmetic written with operators
      or ``keras.ops`` (``x + y``, ``z * s``, ``x + 3.0``, ``-x``; add,
      subtract, multiply, divide, negative, square, maximum, minimum): 1 per
      output element, whatever the operands.
  ``activation_ops``
      One op per output element for an element-wise activation (``relu``,
      ``sigmoid``, ``tanh``, ``LeakyReLU``...), whether it is a layer of its
      own, the ``activation=`` argument of a ``Conv``/``Dense`` layer, or a
      ``keras.ops`` call (``keras.ops.sigmoid(s)``); softmax counts 5 per
      element (subtract the max, exponentiate, sum, divide), the rule of
      TensorFlow's profiler. ``linear`` counts 0.

``params`` is the number of scalars in a layer's weights, trainable or not
(as ``model.count_params()``), computed by the same formulas a reader can
apply by hand and checked against the layer's actual weights. A layer's
weights go on the row of its first call, also when two nested models share
it; the table's total must equal ``model.count_params()``, or
``layer_costs`` raises an error.

The whole graph is walked, not only ``model.layers``: every call of every
operation of a functional model (and of the ``Sequential`` and functional
models nested in it), so the arithmetic that residual and
squeeze-and-excitation blocks often write with plain operators (``x + y``,
``z * keras.ops.sigmoid(s)``, MobileNetV3's ``x * (1 / 6)``) has its rows,
named as Keras names the operation (``add``, ``multiply_1``) and typed by
its class (``Add``).

Nothing is dropped silently: layers and operations that truly cost nothing
are listed in ``ZERO_COST_LAYERS`` (among them the random augmentation
layers, ``AUGMENTATION_LAYERS``, the identity at inference, and the reshapes
and concatenations of ``keras.ops``); any other layer or operation class
without a handler in ``HANDLERS`` is an error that names it (add one with
``register_handler``).

Keras' private APIs (a graph's list of calls, the classes of the
``keras.ops`` operations, InceptionResNetV2's scaling layer) are used in one
section only, in functions named ``_keras_private_*``, each with its test.

Taught in the chapters on VGG, Inception and MobileNet, and used by every
architecture chapter after them.

Example:
    VGG16's first convolution by hand (``layer_costs`` shows the whole
    network: 138,357,544 params and 15,470,264,320 MACs):

    >>> from book.lib import costs
    >>> params = costs.conv2d_params(3, 3, 3, 64)  # 3*3*3*64 + 64
    >>> macs = costs.conv2d_macs(224, 224, 3, 3, 3, 64)  # 224*224*3*3*3*64
    >>> params, macs
    (1792, 86704128)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import pandas as pd
from keras import layers

from book.lib import layers as lib_layers
from book.lib import report

Shape = tuple[int, ...]
Handler = Callable[[layers.Layer, list[Shape], list[Shape]], dict[str, int]]

#: The columns of ``layer_costs``, in order.
COLUMNS = ("name", "type", "output_shape", "params", "macs", "bias_adds",
           "norm_ops", "pool_ops", "elementwise_ops", "activation_ops")
#: The columns that hold counts (integers that add up over rows).
COUNT_COLUMNS = COLUMNS[3:]

LANGUAGES = ("es", "en")

# ---------------------------------------------------------------------------
# Pure formulas: no model needed, for "what if" rows and hand checks.
# ---------------------------------------------------------------------------


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"{name} must be a positive integer; received {name}={value!r}.")
    return value


def _check_groups(groups: int, c_in: int, c_out: int) -> None:
    _check_positive_int("groups", groups)
    if c_in % groups or c_out % groups:
        raise ValueError(
            "groups must divide both c_in and c_out; received "
            f"groups={groups}, c_in={c_in}, c_out={c_out}. Choose channel "
            "counts that are multiples of groups.")


def conv_output_size(size: int, kernel: int, stride: int = 1,
                     padding: str | int = "valid", dilation: int = 1) -> int:
    """Length of one spatial side after a convolution.

    Args:
        size: input length along this side.
        kernel: kernel length along this side.
        stride: step between windows.
        padding: ``"valid"`` (no padding), ``"same"`` (or ``"causal"``, for
            ``Conv1D``: the output is ``ceil(size / stride)``, as Keras pads),
            or a non-negative integer: zeros added on *each* side, as the
            papers write it (``floor((size + 2 p - k) / stride) + 1``).
        dilation: spacing between kernel taps; the kernel then spans
            ``dilation * (kernel - 1) + 1`` inputs.

    Returns:
        The output length.

    Raises:
        ValueError: if an argument is not a positive integer, if ``padding``
            is not one of the forms above, or if the window does not fit.
    """
    _check_positive_int("size", size)
    _check_positive_int("kernel", kernel)
    _check_positive_int("stride", stride)
    _check_positive_int("dilation", dilation)
    span = dilation * (kernel - 1) + 1
    if padding in ("same", "causal"):
        return -(-size // stride)
    if padding == "valid":
        pad = 0
    elif (isinstance(padding, int) and not isinstance(padding, bool)
          and padding >= 0):
        pad = padding
    else:
        raise ValueError(
            "padding must be 'valid', 'same', 'causal' or a non-negative "
            f"integer (zeros on each side); received padding={padding!r}.")
    if size + 2 * pad < span:
        raise ValueError(
            f"The window (span {span}) does not fit in the input: received "
            f"size={size}, kernel={kernel}, dilation={dilation}, "
            f"padding={padding!r}. Use a larger input or padding='same'.")
    return (size + 2 * pad - span) // stride + 1


def pool_output_size(size: int, pool_size: int, strides: int | None = None,
                     padding: str | int = "valid") -> int:
    """Length of one spatial side after pooling (Keras semantics).

    Args:
        size: input length along this side.
        pool_size: window length.
        strides: step between windows; ``None`` means ``pool_size``, as in
            ``layers.MaxPooling2D``.
        padding: ``"valid"``, ``"same"`` or an integer, as in
            ``conv_output_size``.

    Returns:
        The output length.
    """
    _check_positive_int("pool_size", pool_size)
    stride = pool_size if strides is None else strides
    return conv_output_size(size, pool_size, stride, padding)


def conv2d_params(k_h: int, k_w: int, c_in: int, c_out: int, groups: int = 1,
                  use_bias: bool = True) -> int:
    """Weights of a 2D convolution: ``k_h k_w (c_in / groups) c_out + c_out``.

    Args:
        k_h: kernel height.
        k_w: kernel width.
        c_in: input channels.
        c_out: output channels (filters).
        groups: channel groups; each filter sees ``c_in / groups`` channels.
        use_bias: whether one bias per output channel is added.

    Returns:
        The number of parameters.

    Raises:
        ValueError: for a non-positive size, or ``groups`` that does not
            divide ``c_in`` and ``c_out``.

    Reference:
        Simonyan and Zisserman, "Very Deep Convolutional Networks for
        Large-Scale Image Recognition", ICLR 2015, section 2.3.
    """
    for name, value in (("k_h", k_h), ("k_w", k_w), ("c_in", c_in),
                        ("c_out", c_out)):
        _check_positive_int(name, value)
    _check_groups(groups, c_in, c_out)
    return k_h * k_w * (c_in // groups) * c_out + (c_out if use_bias else 0)


def conv2d_macs(out_h: int, out_w: int, k_h: int, k_w: int, c_in: int,
                c_out: int, groups: int = 1) -> int:
    """MACs of a 2D convolution: ``out_h out_w k_h k_w (c_in / groups) c_out``.

    Each output element is a dot product of a ``k_h x k_w x (c_in/groups)``
    window with one filter; dilation and stride change the output size, not
    the work per output element.

    Args:
        out_h: output height.
        out_w: output width.
        k_h: kernel height.
        k_w: kernel width.
        c_in: input channels.
        c_out: output channels.
        groups: channel groups.

    Returns:
        The number of multiply-accumulates (bias adds not included).
    """
    for name, value in (("out_h", out_h), ("out_w", out_w), ("k_h", k_h),
                        ("k_w", k_w), ("c_in", c_in), ("c_out", c_out)):
        _check_positive_int(name, value)
    _check_groups(groups, c_in, c_out)
    return out_h * out_w * k_h * k_w * (c_in // groups) * c_out


def depthwise_conv2d_params(k_h: int, k_w: int, c_in: int,
                            depth_multiplier: int = 1,
                            use_bias: bool = True) -> int:
    """Weights of a depthwise convolution: ``k_h k_w c_in m (+ c_in m)``.

    Args:
        k_h: kernel height.
        k_w: kernel width.
        c_in: input channels; each gets its own ``depth_multiplier`` filters.
        depth_multiplier: filters per input channel (``m``).
        use_bias: whether one bias per output channel is added.

    Returns:
        The number of parameters.

    Reference:
        Howard et al., "MobileNets: Efficient Convolutional Neural Networks
        for Mobile Vision Applications", 2017, section 3.1.
    """
    for name, value in (("k_h", k_h), ("k_w", k_w), ("c_in", c_in),
                        ("depth_multiplier", depth_multiplier)):
        _check_positive_int(name, value)
    c_out = c_in * depth_multiplier
    return k_h * k_w * c_out + (c_out if use_bias else 0)


def depthwise_conv2d_macs(out_h: int, out_w: int, k_h: int, k_w: int,
                          c_in: int, depth_multiplier: int = 1) -> int:
    """MACs of a depthwise convolution: ``out_h out_w k_h k_w c_in m``.

    Args:
        out_h: output height.
        out_w: output width.
        k_h: kernel height.
        k_w: kernel width.
        c_in: input channels.
        depth_multiplier: filters per input channel.

    Returns:
        The number of multiply-accumulates.

    Reference:
        Howard et al., 2017, equation (2): ``D_K D_K M D_F D_F``.
    """
    for name, value in (("out_h", out_h), ("out_w", out_w), ("k_h", k_h),
                        ("k_w", k_w), ("c_in", c_in),
                        ("depth_multiplier", depth_multiplier)):
        _check_positive_int(name, value)
    return out_h * out_w * k_h * k_w * c_in * depth_multiplier


def separable_conv2d_params(k_h: int, k_w: int, c_in: int, c_out: int,
                            depth_multiplier: int = 1,
                            use_bias: bool = True) -> int:
    """Weights of a depthwise separable convolution (Keras' layer).

    The depthwise kernel has ``k_h k_w c_in m`` weights, the 1x1 pointwise
    kernel ``c_in m c_out``; Keras' ``SeparableConv2D`` has a single bias, of
    ``c_out`` values, after the pointwise step.

    Args:
        k_h: kernel height.
        k_w: kernel width.
        c_in: input channels.
        c_out: output channels.
        depth_multiplier: depthwise filters per input channel (``m``).
        use_bias: whether the ``c_out`` biases are added.

    Returns:
        The number of parameters.
    """
    _check_positive_int("c_out", c_out)
    depthwise = depthwise_conv2d_params(k_h, k_w, c_in, depth_multiplier,
                                        use_bias=False)
    pointwise = conv2d_params(1, 1, c_in * depth_multiplier, c_out,
                              use_bias=use_bias)
    return depthwise + pointwise


def separable_conv2d_macs(out_h: int, out_w: int, k_h: int, k_w: int,
                          c_in: int, c_out: int,
                          depth_multiplier: int = 1) -> int:
    """MACs of a depthwise separable convolution: depthwise plus pointwise.

    ``out_h out_w k_h k_w c_in m + out_h out_w c_in m c_out``.

    Args:
        out_h: output height (the stride acts in the depthwise step).
        out_w: output width.
        k_h: kernel height.
        k_w: kernel width.
        c_in: input channels.
        c_out: output channels.
        depth_multiplier: depthwise filters per input channel (``m``).

    Returns:
        The number of multiply-accumulates.

    Reference:
        Howard et al., 2017, equation (5).
    """
    depthwise = depthwise_conv2d_macs(out_h, out_w, k_h, k_w, c_in,
                                      depth_multiplier)
    pointwise = conv2d_macs(out_h, out_w, 1, 1, c_in * depth_multiplier,
                            c_out)
    return depthwise + pointwise


def dense_params(c_in: int, c_out: int, use_bias: bool = True) -> int:
    """Weights of a dense layer: ``c_in c_out + c_out``.

    Args:
        c_in: input features (the last axis of the input).
        c_out: units.
        use_bias: whether one bias per unit is added.

    Returns:
        The number of parameters.
    """
    _check_positive_int("c_in", c_in)
    _check_positive_int("c_out", c_out)
    return c_in * c_out + (c_out if use_bias else 0)


def dense_macs(c_in: int, c_out: int, positions: int = 1) -> int:
    """MACs of a dense layer: ``positions c_in c_out``.

    Args:
        c_in: input features.
        c_out: units.
        positions: how many vectors the layer is applied to; for an input of
            shape ``(..., c_in)`` it is the product of the leading axes
            (batch excluded), e.g. ``7 * 7`` for a ``(7, 7, 512)`` input.

    Returns:
        The number of multiply-accumulates.
    """
    _check_positive_int("c_in", c_in)
    _check_positive_int("c_out", c_out)
    _check_positive_int("positions", positions)
    return positions * c_in * c_out


# ---------------------------------------------------------------------------
# Handlers: one small function per layer class, on shapes without the batch;
# each has the signature ``Handler``: (layer, input_shapes, output_shapes).
# ---------------------------------------------------------------------------

#: Activation-function name -> ops per output element (see module docstring).
#: Add an entry to count a custom activation function.
ACTIVATION_OPS_PER_ELEMENT: dict[str, int] = {
    "linear": 0,
    "softmax": 5,
    "log_softmax": 5,
    **{name: 1 for name in (
        "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu",
        "sigmoid", "hard_sigmoid", "log_sigmoid", "sparse_sigmoid", "tanh",
        "hard_tanh", "tanh_shrink", "silu", "swish", "hard_silu",
        "hard_swish", "mish", "softplus", "softsign", "sparse_plus",
        "squareplus", "exponential", "threshold", "hard_shrink",
        "soft_shrink")},
}


def _elements(shape: Shape) -> int:
    return math.prod(shape)


def _activation_ops(activation: Any, shape: Shape, layer: layers.Layer) -> int:
    """Ops for applying ``activation`` to a tensor of ``shape``."""
    if activation is None:
        return 0
    name = getattr(activation, "__name__", repr(activation))
    if name not in ACTIVATION_OPS_PER_ELEMENT:
        raise NotImplementedError(
            f"Layer {layer.name!r} ({type(layer).__name__}) uses the "
            f"activation {name!r}, whose cost is unknown; known: "
            f"{sorted(ACTIVATION_OPS_PER_ELEMENT)}. Add it with "
            f"costs.ACTIVATION_OPS_PER_ELEMENT[{name!r}] = ops_per_element.")
    return ACTIVATION_OPS_PER_ELEMENT[name] * _elements(shape)


def _split_channels(layer: layers.Layer, shape: Shape) -> tuple[Shape, int]:
    """(spatial sizes, channels) of a shape without batch."""
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return shape[1:], shape[0]
    return shape[:-1], shape[-1]


def _hw(spatial: Sequence[int]) -> tuple[int, int]:
    """A 1D or 2D size as (height, width); 1D layers have height 1."""
    return (1, spatial[0]) if len(spatial) == 1 else tuple(spatial)


def _conv(layer, inputs, outputs):
    (spatial_out, c_out), (_, c_in) = (_split_channels(layer, outputs[0]),
                                       _split_channels(layer, inputs[0]))
    out_h, out_w = _hw(spatial_out)
    k_h, k_w = _hw(layer.kernel_size)
    return {
        "params": conv2d_params(k_h, k_w, c_in, c_out, layer.groups,
                                layer.use_bias),
        "macs": conv2d_macs(out_h, out_w, k_h, k_w, c_in, c_out, layer.groups),
        "bias_adds": _elements(outputs[0]) if layer.use_bias else 0,
        "activation_ops": _activation_ops(layer.activation, outputs[0], layer),
    }


def _depthwise(layer, inputs, outputs):
    spatial_out, _ = _split_channels(layer, outputs[0])
    _, c_in = _split_channels(layer, inputs[0])
    out_h, out_w = _hw(spatial_out)
    k_h, k_w = _hw(layer.kernel_size)
    m = layer.depth_multiplier
    return {
        "params": depthwise_conv2d_params(k_h, k_w, c_in, m, layer.use_bias),
        "macs": depthwise_conv2d_macs(out_h, out_w, k_h, k_w, c_in, m),
        "bias_adds": _elements(outputs[0]) if layer.use_bias else 0,
        "activation_ops": _activation_ops(layer.activation, outputs[0], layer),
    }


def _separable(layer, inputs, outputs):
    spatial_out, c_out = _split_channels(layer, outputs[0])
    _, c_in = _split_channels(layer, inputs[0])
    out_h, out_w = _hw(spatial_out)
    k_h, k_w = _hw(layer.kernel_size)
    m = layer.depth_multiplier
    return {
        "params": separable_conv2d_params(k_h, k_w, c_in, c_out, m,
                                          layer.use_bias),
        "macs": separable_conv2d_macs(out_h, out_w, k_h, k_w, c_in, c_out, m),
        "bias_adds": _elements(outputs[0]) if layer.use_bias else 0,
        "activation_ops": _activation_ops(layer.activation, outputs[0], layer),
    }


def _dense(layer, inputs, outputs):
    c_in, c_out = inputs[0][-1], outputs[0][-1]
    positions = _elements(outputs[0][:-1])
    return {
        "params": dense_params(c_in, c_out, layer.use_bias),
        "macs": dense_macs(c_in, c_out, positions),
        "bias_adds": _elements(outputs[0]) if layer.use_bias else 0,
        "activation_ops": _activation_ops(layer.activation, outputs[0], layer),
    }


def _normalized_size(layer, shape: Shape) -> int:
    """Product of the sizes along ``layer.axis`` (which counts the batch)."""
    axis = layer.axis
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    full = (None, *shape)
    return math.prod(full[a] for a in axes)


def _batch_norm(layer, inputs, outputs):
    channels = _normalized_size(layer, inputs[0])
    # gamma and beta when enabled, plus the moving mean and variance.
    per_channel = 2 + int(layer.scale) + int(layer.center)
    return {"params": per_channel * channels,
            "norm_ops": 2 * _elements(outputs[0])}


def _layer_norm(layer, inputs, outputs):
    if layer.rms_scaling:
        raise NotImplementedError(
            f"Layer {layer.name!r} (LayerNormalization) uses "
            "rms_scaling=True, which Keras deprecates (it scales by the "
            "variance); its cost is "
            "not counted. Use layers.RMSNormalization instead.")
    normalized = _normalized_size(layer, inputs[0])
    affine = int(layer.scale) + int(layer.center)
    return {"params": affine * normalized,
            "norm_ops": (5 + affine) * _elements(outputs[0])}


def _rms_norm(layer, inputs, outputs):
    # Square and add for the mean square, multiply by 1/rms, then by scale.
    return {"params": _normalized_size(layer, inputs[0]),
            "norm_ops": 4 * _elements(outputs[0])}


def _pool(layer, inputs, outputs):
    return {"pool_ops": _elements(outputs[0]) * math.prod(layer.pool_size)}


def _global_pool(layer, inputs, outputs):
    # The window is the whole spatial input: one op per input element.
    return {"pool_ops": _elements(inputs[0])}


def _merge(layer, inputs, outputs):
    return {"elementwise_ops": (len(inputs) - 1) * _elements(outputs[0])}


def _average(layer, inputs, outputs):
    # n - 1 adds and one division per output element.
    return {"elementwise_ops": len(inputs) * _elements(outputs[0])}


def _two_per_element(layer, inputs, outputs):
    # A multiply and an add: Rescaling's x * scale + offset, and
    # InceptionResNetV2's x + scale * residual.
    return {"elementwise_ops": 2 * _elements(outputs[0])}


def _activation(layer, inputs, outputs):
    return {"activation_ops": _activation_ops(layer.activation, outputs[0],
                                              layer)}


def _one_per_element(layer, inputs, outputs):
    return {"activation_ops": _elements(outputs[0])}


def _prelu(layer, inputs, outputs):
    return {"params": math.prod(layer.alpha.shape),
            "activation_ops": _elements(outputs[0])}


def _softmax(layer, inputs, outputs):
    return {"activation_ops": ACTIVATION_OPS_PER_ELEMENT["softmax"]
            * _elements(outputs[0])}


def _normalization(layer, inputs, outputs):
    # (x - mean) / sqrt(variance), or mean + x * sqrt(variance) with
    # invert=True: 2 per element; the square root is per kept index, folded.
    full = (None, *inputs[0])
    axis = layer.axis
    axes = () if axis is None else (
        axis if isinstance(axis, (list, tuple)) else (axis,))
    kept = math.prod(full[a] for a in axes)
    # Adapted statistics are weights (mean, variance, and a scalar count);
    # statistics passed as mean= and variance= are constants.
    params = 0 if layer.input_mean is not None else 2 * kept + 1
    return {"params": params, "norm_ops": 2 * _elements(outputs[0])}


#: Interpolation -> taps (input pixels) per output pixel, per channel.
RESIZE_TAPS: dict[str, int] = {
    "nearest": 1, "bilinear": 2 * 2, "bicubic": 4 * 4, "lanczos3": 6 * 6,
    "lanczos5": 10 * 10,
}


def _resize_ops(layer, interpolation: str, antialias: bool, shape: Shape
                ) -> int:
    """Ops of an image resize to ``shape``: ``2 taps - 1`` per element."""
    if antialias or interpolation not in RESIZE_TAPS:
        raise NotImplementedError(
            f"Layer {layer.name!r} ({type(layer).__name__}) resizes with "
            f"interpolation={interpolation!r}, antialias={antialias}, whose "
            "window depends on the scale factor; its cost is not counted. "
            f"Counted: antialias=False with one of {sorted(RESIZE_TAPS)}.")
    taps = RESIZE_TAPS[interpolation]
    # A weighted sum of `taps` inputs (taps multiplies, taps - 1 adds);
    # nearest neighbour copies one input and does no arithmetic.
    return (2 * taps - 1 if taps > 1 else 0) * _elements(shape)


def _resizing(layer, inputs, outputs):
    return {"pool_ops": _resize_ops(layer, layer.interpolation,
                                    layer.antialias, outputs[0])}


def _center_crop(layer, inputs, outputs):
    spatial_in, _ = _split_channels(layer, inputs[0])
    if spatial_in[0] >= layer.height and spatial_in[1] >= layer.width:
        return {}  # A crop copies a window: no arithmetic.
    # An input smaller than the target is cropped to its aspect ratio and
    # resized up, bilinearly (keras.utils.smart_resize).
    return {"pool_ops": _resize_ops(layer, "bilinear", False, outputs[0])}


def _auto_contrast(layer, inputs, outputs):
    # Active at inference: the minimum and the maximum of each channel over
    # the image (2 comparisons per element), then x * scale + offset and a
    # clip to [0, 255] (4 per element); a value_range other than (0, 255) is
    # mapped in and out with x * scale + offset (2 + 2 per element). The
    # per-channel scale and offset, and the NaN guard, are not counted.
    elements = _elements(outputs[0])
    rescale = 0 if tuple(layer.value_range) == (0, 255) else 4
    return {"pool_ops": 2 * elements,
            "elementwise_ops": (4 + rescale) * elements}


def _local_response_norm(layer, inputs, outputs):
    # Per element: a square, size - 1 adds for the window, a multiply by
    # alpha, an add of k, a power and a division: size + 4.
    return {"norm_ops": (layer.size + 4) * _elements(outputs[0])}


def _euclidean_rbf(layer, inputs, outputs):
    # y_i = sum_j (x_j - w_ij)^2: per weight, a subtraction and a
    # multiply-accumulate (the square added to the sum), as a dense layer.
    weights = inputs[0][-1] * layer.units
    return {"params": weights, "macs": weights, "elementwise_ops": weights}


def _elementwise_op(operation, inputs, outputs):
    # x + y, x * s, x + 3.0, -x: one op per output element, whatever the
    # operands (tensors or constants) and their broadcasting.
    return {"elementwise_ops": _elements(outputs[0])}


def _activation_op(name: str) -> Handler:
    """Handler of ``keras.ops.<name>``: the ops of the activation ``name``."""
    def handler(operation, inputs, outputs):
        return {"activation_ops": ACTIVATION_OPS_PER_ELEMENT[name]
                * _elements(outputs[0])}
    handler.__name__ = f"_activation_op_{name}"
    return handler


# ---------------------------------------------------------------------------
# Private Keras APIs: every use of one is here, one small function each, with
# a test in tests/test_costs.py (test_keras_private_*), so that a Keras newer
# than the pin (Colab's) fails loudly in one place instead of quietly
# somewhere. Everything else in this module uses public Keras only.
# ---------------------------------------------------------------------------

#: keras.ops function name -> the class of the Operation it records in a
#: functional graph (``x + y`` records ``keras.ops.add``'s), as
#: ``_keras_private_operation_classes`` finds them.
OPERATION_CLASS_NAMES: dict[str, tuple[str, str]] = {
    **{name: ("numpy", cls) for name, cls in (
        ("add", "Add"), ("subtract", "Subtract"), ("multiply", "Multiply"),
        ("divide", "Divide"), ("true_divide", "TrueDivide"),
        ("negative", "Negative"), ("square", "Square"),
        ("maximum", "Maximum"), ("minimum", "Minimum"), ("tanh", "Tanh"),
        ("reshape", "Reshape"), ("transpose", "Transpose"),
        ("expand_dims", "ExpandDims"), ("squeeze", "Squeeze"),
        ("concatenate", "Concatenate"))},
    **{name: ("nn", cls) for name, cls in (
        ("relu", "Relu"), ("relu6", "Relu6"), ("sigmoid", "Sigmoid"),
        ("hard_sigmoid", "HardSigmoid"), ("silu", "Silu"),
        ("hard_silu", "HardSilu"), ("gelu", "Gelu"), ("elu", "Elu"),
        ("selu", "Selu"), ("softplus", "Softplus"),
        ("softsign", "Softsign"), ("leaky_relu", "LeakyRelu"),
        ("log_sigmoid", "LogSigmoid"), ("softmax", "Softmax"),
        ("log_softmax", "LogSoftmax"))},
    "cast": ("core", "Cast"),
}


def _keras_private_operation_classes() -> dict[str, type]:
    """The Operation classes behind ``keras.ops`` functions, by function name.

    Private: they live in ``keras.src.ops.{numpy,nn,core}`` and are not
    exported. (Tracing ``keras.ops.add`` on a ``keras.KerasTensor`` finds
    them with public calls, but uses up Keras' automatic names, so that the
    reader's next ``layers.Add()`` would be called ``add_1``.) A name that a
    newer Keras lacks is left out; its operation then raises "no cost
    handler" rather than being counted as free.
    """
    from keras.src.ops import core, nn, numpy

    modules = {"core": core, "nn": nn, "numpy": numpy}
    found = {}
    for name, (module, cls) in OPERATION_CLASS_NAMES.items():
        operation_class = getattr(modules[module], cls, None)
        if isinstance(operation_class, type):
            found[name] = operation_class
    return found


def _keras_private_custom_scale_layer() -> type | None:
    """InceptionResNetV2's residual scaling layer, ``x + scale * r``.

    Private: ``keras.applications`` uses it but does not export it (nor
    registers it for serialization). ``None`` in a Keras without it; then
    InceptionResNetV2 raises "no cost handler" for it.
    """
    try:
        from keras.src.applications.inception_resnet_v2 import (
            CustomScaleLayer)
    except ImportError:  # pragma: no cover - a Keras without it.
        return None
    return CustomScaleLayer


def _keras_private_graph_nodes(graph: keras.Function) -> list:
    """Every node (one call of one operation) of a functional graph.

    Private: ``Function._nodes_by_depth``; Keras has no public list of a
    graph's calls. A node's ``operation``, ``input_tensors`` and
    ``output_tensors`` are public attributes of ``keras.src.ops.node.Node``.
    """
    return [node for nodes in graph._nodes_by_depth.values()
            for node in nodes]


def _keras_private_inbound_nodes(operation: keras.Operation) -> list:
    """The nodes of an operation, in the order it was called.

    Private: ``Operation._inbound_nodes``, which holds every call, also those
    in other graphs (a layer shared by two models).
    """
    return list(operation._inbound_nodes)


_OPERATIONS = _keras_private_operation_classes()

#: Layer or Operation class -> handler. A handler takes ``(layer,
#: input_shapes, output_shapes)`` (lists of shapes without the batch axis)
#: and returns a dict with any of ``COUNT_COLUMNS``; missing columns are 0.
HANDLERS: dict[type, Handler] = {
    layers.Conv1D: _conv,
    layers.Conv2D: _conv,
    layers.DepthwiseConv1D: _depthwise,
    layers.DepthwiseConv2D: _depthwise,
    layers.SeparableConv1D: _separable,
    layers.SeparableConv2D: _separable,
    layers.Dense: _dense,
    layers.BatchNormalization: _batch_norm,
    layers.LayerNormalization: _layer_norm,
    layers.RMSNormalization: _rms_norm,
    layers.MaxPooling1D: _pool,
    layers.MaxPooling2D: _pool,
    layers.AveragePooling1D: _pool,
    layers.AveragePooling2D: _pool,
    layers.GlobalMaxPooling1D: _global_pool,
    layers.GlobalMaxPooling2D: _global_pool,
    layers.GlobalAveragePooling1D: _global_pool,
    layers.GlobalAveragePooling2D: _global_pool,
    layers.Add: _merge,
    layers.Subtract: _merge,
    layers.Multiply: _merge,
    layers.Maximum: _merge,
    layers.Minimum: _merge,
    layers.Average: _average,
    layers.Rescaling: _two_per_element,
    layers.Activation: _activation,
    layers.ReLU: _one_per_element,
    layers.LeakyReLU: _one_per_element,
    layers.ELU: _one_per_element,
    layers.PReLU: _prelu,
    layers.Softmax: _softmax,
    layers.Normalization: _normalization,
    layers.Resizing: _resizing,
    layers.CenterCrop: _center_crop,
    layers.AutoContrast: _auto_contrast,
    lib_layers.LocalResponseNormalization: _local_response_norm,
    lib_layers.EuclideanRBF: _euclidean_rbf,
    # Arithmetic written with operators or keras.ops in a functional model.
    **{_OPERATIONS[name]: _elementwise_op for name in (
        "add", "subtract", "multiply", "divide", "true_divide", "negative",
        "square", "maximum", "minimum") if name in _OPERATIONS},
    **{_OPERATIONS[name]: _activation_op(name) for name in (
        "relu", "relu6", "sigmoid", "hard_sigmoid", "silu", "hard_silu",
        "gelu", "elu", "selu", "softplus", "softsign", "leaky_relu",
        "log_sigmoid", "softmax", "log_softmax", "tanh")
       if name in _OPERATIONS},
}

if _keras_private_custom_scale_layer() is not None:
    HANDLERS[_keras_private_custom_scale_layer()] = _two_per_element

#: Random augmentation layers: the identity at inference (training=False),
#: as tests/test_costs.py checks on Keras' own outputs. Equalization and
#: Solarization are deterministic but, in Keras, active only in training.
#: RandomCrop returns its input unchanged at inference in Keras 3.15 (its
#: docstring promises a resize); the test pins that behaviour.
AUGMENTATION_LAYERS: tuple[type, ...] = tuple(
    getattr(layers, name) for name in (
        "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
        "RandomContrast", "RandomBrightness", "RandomCrop", "RandAugment",
        "AugMix", "MixUp", "CutMix", "RandomGrayscale", "RandomHue",
        "RandomSaturation", "RandomSharpness", "RandomShear",
        "RandomColorJitter", "RandomColorDegeneration", "RandomPosterization",
        "Solarization", "RandomInvert", "RandomErasing", "RandomGaussianBlur",
        "RandomPerspective", "RandomElasticTransform", "Equalization")
    if hasattr(layers, name))

#: Layers (and keras.ops operations) that do no arithmetic and hold no
#: weights at inference: they move, copy or pass data through (dropout and
#: noise layers, and the random augmentation layers, are the identity outside
#: training).
ZERO_COST_LAYERS: tuple[type, ...] = (
    layers.InputLayer, layers.Identity, layers.Flatten, layers.Reshape,
    layers.Permute, layers.Concatenate,
    layers.ZeroPadding1D, layers.ZeroPadding2D, layers.ZeroPadding3D,
    layers.Cropping1D, layers.Cropping2D,
    layers.Dropout, layers.SpatialDropout1D, layers.SpatialDropout2D,
    layers.AlphaDropout, layers.GaussianDropout, layers.GaussianNoise,
    layers.ActivityRegularization,
    lib_layers.SelectChannels,
    *AUGMENTATION_LAYERS,
    *(_OPERATIONS[name] for name in (
        "reshape", "transpose", "expand_dims", "squeeze", "concatenate",
        "cast") if name in _OPERATIONS),
)


def register_handler(layer_class: type, handler: Handler) -> None:
    """Registers (or replaces) the handler of a layer or operation class.

    Lookup is by exact class, so a subclass of ``layers.Conv2D`` that changes
    ``call`` is never counted as a plain convolution by mistake.

    Args:
        layer_class: a subclass of ``keras.layers.Layer``, or of
            ``keras.Operation`` for arithmetic that a functional model records
            without a layer (``type(op)`` of an op in ``model.operations``).
        handler: ``handler(layer, input_shapes, output_shapes) -> dict`` with
            any of ``COUNT_COLUMNS`` (shapes exclude the batch axis).

    Raises:
        TypeError: if ``layer_class`` is not a Layer or Operation class or
            ``handler`` is not callable.

    Example:
        >>> def scale_costs(layer, inputs, outputs):
        ...     return {"elementwise_ops": math.prod(outputs[0])}
        >>> register_handler(MyScale, scale_costs)  # doctest: +SKIP
    """
    if not (isinstance(layer_class, type)
            and issubclass(layer_class, keras.Operation)):
        raise TypeError(
            "layer_class must be a subclass of keras.layers.Layer (or of "
            f"keras.Operation); received layer_class={layer_class!r}.")
    if not callable(handler):
        raise TypeError(
            "handler must be a function (layer, input_shapes, output_shapes) "
            f"-> dict; received handler={handler!r}.")
    HANDLERS[layer_class] = handler


# ---------------------------------------------------------------------------
# Walking a model.
# ---------------------------------------------------------------------------

_BUILD_HINT = ("Build it first: start it with keras.Input(shape=...), or call "
               "model.build((None, *input_shape)), or call it once on data.")


def _graph(model: keras.Model) -> keras.Function:
    """The functional graph of a Functional or Sequential model."""
    if isinstance(model, keras.Function):  # Functional models are Functions.
        return model
    if isinstance(model, keras.Sequential):
        try:
            inputs, outputs = model.inputs, model.outputs
        except (AttributeError, ValueError):
            inputs = outputs = None
        if not model.built or not inputs:
            raise ValueError(
                f"Model {model.name!r} is not built, so its layers have no "
                f"shapes yet. {_BUILD_HINT}")
        # The same nodes as the model's own graph: a view, nothing is added.
        return keras.Function(inputs, outputs)
    raise TypeError(
        f"layer_costs needs a functional or Sequential model; received "
        f"{model.name!r} of class {type(model).__name__}, a subclassed model "
        "whose layers cannot be traced. Write it with the functional API "
        "(keras.Input, then calls) or as keras.Sequential.")


def _calls(graph: keras.Function, operation: keras.Operation
           ) -> list[tuple[list, list]]:
    """(input tensors, output tensors) of each call of ``operation`` inside
    ``graph``, in the order of the calls."""
    in_graph = {id(node) for node in _keras_private_graph_nodes(graph)}
    return [(list(node.input_tensors), list(node.output_tensors))
            for node in _keras_private_inbound_nodes(operation)
            if id(node) in in_graph]


def _kind(operation: keras.Operation) -> str:
    return "Layer" if isinstance(operation, layers.Layer) else "Operation"


def _shape(tensor: Any, operation: keras.Operation) -> Shape:
    shape = tuple(tensor.shape)[1:]
    if any(size is None for size in shape):
        raise ValueError(
            f"{_kind(operation)} {operation.name!r} "
            f"({type(operation).__name__}) has an output or input of unknown "
            f"size {(None, *shape)}; costs need fixed sizes. Build the model "
            "on a fixed input, e.g. keras.Input(shape=(224, 224, 3)) or "
            "input_shape=(224, 224, 3).")
    return tuple(int(size) for size in shape)


def _lookup(operation: keras.Operation) -> Handler:
    cls = type(operation)
    if cls in HANDLERS:
        return HANDLERS[cls]
    if cls in ZERO_COST_LAYERS:
        return lambda *_: {}
    where = ("" if isinstance(operation, layers.Layer) else
             f" ({cls.__name__} is {cls.__module__}.{cls.__qualname__}, the "
             "operation that a keras.ops call or an operator such as x + y "
             "records in a functional model)")
    raise NotImplementedError(
        f"{_kind(operation)} {operation.name!r} of class {cls.__name__} has "
        "no cost handler, and counting it as free could hide weights or "
        f"arithmetic. Register one: costs.register_handler({cls.__name__}, "
        f"fn){where}, where fn(layer, input_shapes, output_shapes) returns a "
        "dict such as {'params': ..., 'macs': ...}; or, if it truly costs "
        "nothing, add it to costs.ZERO_COST_LAYERS; or write that step with "
        "a layer that has a handler (layers.Add, layers.Activation...).")


def _weights(operation: keras.Operation) -> int:
    """Scalars in the weights of a layer; an operation holds none."""
    if isinstance(operation, layers.Layer):
        return operation.count_params()
    return 0


def _layer_rows(layer: keras.Operation, name: str, inputs: list[Shape],
                outputs: list[Shape], count_params: bool) -> dict[str, Any]:
    counts = dict(_lookup(layer)(layer, inputs, outputs))
    unknown = set(counts) - set(COUNT_COLUMNS)
    if unknown:
        raise ValueError(
            f"The handler of {type(layer).__name__} returned unknown columns "
            f"{sorted(unknown)}; expected some of {list(COUNT_COLUMNS)}.")
    params = counts.get("params", 0)
    actual = _weights(layer)
    if params != actual:
        raise ValueError(
            f"{_kind(layer)} {layer.name!r} ({type(layer).__name__}) holds "
            f"{actual} weights but its handler counts {params}; fix the "
            "handler (or register one) so that the table says what the layer "
            "holds.")
    row = {"name": name, "type": type(layer).__name__,
           "output_shape": outputs[0] if len(outputs) == 1 else outputs}
    row.update({column: int(counts.get(column, 0))
                for column in COUNT_COLUMNS})
    if not count_params:  # Another call, or another model, shares them.
        row["params"] = 0
    return row


def _walk(model: keras.Model, prefix: str, counted: set[int]) -> list[dict]:
    """Rows of every call of every operation of ``model``'s graph.

    ``counted`` holds the ids of the layers whose weights are already in the
    rows: a layer's weights go on the row of its first call, whether it is
    called again in this graph or in another nested model.
    """
    graph = _graph(model)
    rows = []
    for operation in graph.operations:
        if (isinstance(model, keras.Sequential)
                and isinstance(operation, layers.InputLayer)):
            continue  # As model.layers and model.summary(), no input row.
        for index, (input_tensors, output_tensors) in enumerate(
                _calls(graph, operation)):
            name = prefix + operation.name + (
                f"[{index + 1}]" if index else "")
            if isinstance(operation, keras.Model):
                rows += _walk(operation, name + "/", counted)
                continue
            first = id(operation) not in counted
            counted.add(id(operation))
            inputs = [_shape(t, operation) for t in input_tensors]
            outputs = [_shape(t, operation) for t in output_tensors]
            rows.append(_layer_rows(operation, name, inputs, outputs, first))
    return rows


def _check_params_total(model: keras.Model, table: pd.DataFrame) -> None:
    total, expected = int(table["params"].sum()), model.count_params()
    if total != expected:
        raise ValueError(
            f"The table of model {model.name!r} adds up to {total:,} "
            f"parameters, but model.count_params() is {expected:,}. Some "
            "weights are counted twice or missed, e.g. a variable shared by "
            "two different layers (tied weights), or a handler that counts "
            "another layer's weights. Give each layer its own weights, or "
            "register a handler that counts shared weights once.")


def layer_costs(model: keras.Model) -> pd.DataFrame:
    """One row per layer: parameters, MACs and every other op, for batch 1.

    Every operation of the graph gets a row, also the arithmetic written
    without a layer (``x + y`` gives a row ``add`` of type ``Add``). Nested
    models and ``Sequential`` blocks are walked; their layers keep the
    block's name as a prefix (``block1/conv1``). A layer called more than
    once gets one row per call (``conv[2]`` for the second), its parameters
    on the first row only, also when the calls are in different nested
    models.

    Columns (see the module docstring for the counting rules):

    * ``name``: layer (or operation) name, with the prefix of the models
      that hold it.
    * ``type``: layer (or operation) class (``Conv2D``, ``Add``...).
    * ``output_shape``: output shape without the batch axis, a tuple (a list
      of tuples for a layer with several outputs).
    * ``params``: weights, trainable or not (sum = ``model.count_params()``).
    * ``macs``: multiply-accumulates of weights (Conv, Depthwise, Separable,
      Dense); FLOPs are ``2 * macs`` (``flops``).
    * ``bias_adds``, ``norm_ops``, ``pool_ops``, ``elementwise_ops``,
      ``activation_ops``: the other arithmetic, each in its column.

    Args:
        model: a built functional or ``Sequential`` model with a fixed input
            size.

    Returns:
        A DataFrame with the columns ``COLUMNS``, integers in the counts.

    Raises:
        ValueError: if the model is not built or its sizes are not fixed, or
            if the parameters of the table do not add up to
            ``model.count_params()``.
        TypeError: for a subclassed model (its graph cannot be read).
        NotImplementedError: for a layer or operation class with no handler
            and not in ``ZERO_COST_LAYERS``; the message says how to register
            one.

    Example:
        >>> table = layer_costs(keras.applications.VGG16(weights=None))
        >>> row = table.set_index("name").loc["block1_conv1"]
        >>> row["output_shape"], int(row["params"]), int(row["macs"])
        ((224, 224, 64), 1792, 86704128)
        >>> f"{table['params'].sum():,} params, {table['macs'].sum():,} MACs"
        '138,357,544 params, 15,470,264,320 MACs'
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            "model must be a keras.Model (functional or Sequential); "
            f"received {type(model).__name__}. Wrap a layer in a model: "
            "keras.Sequential([keras.Input(shape), layer]).")
    if not model.built:
        raise ValueError(
            f"Model {model.name!r} is not built, so its layers have no shapes "
            f"yet. {_BUILD_HINT}")
    rows = _walk(model, "", set())
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table = table.astype({column: "int64" for column in COUNT_COLUMNS})
    _check_params_total(model, table)
    return table


# ---------------------------------------------------------------------------
# Totals and comparisons.
# ---------------------------------------------------------------------------


def _check_table(table: Any, needed: Sequence[str] = ("macs",)) -> None:
    if not isinstance(table, (pd.DataFrame, pd.Series)):
        raise TypeError(
            "Expected a table from layer_costs (a pandas DataFrame) or its "
            f"totals (a Series); received {type(table).__name__}.")
    present = table.columns if isinstance(table, pd.DataFrame) else table.index
    missing = [column for column in needed if column not in present]
    if missing:
        raise ValueError(
            f"The table lacks the columns {missing}; received columns "
            f"{list(present)}. Pass the DataFrame that layer_costs returns.")


def flops(table: pd.DataFrame | pd.Series) -> pd.Series | int:
    """FLOPs of the weighted layers, ``2 * macs`` (one multiply, one add).

    Args:
        table: a ``layer_costs`` table (gives one value per row) or its
            ``totals`` (gives one number).

    Returns:
        ``2 * table["macs"]``.
    """
    _check_table(table)
    result = 2 * table["macs"]
    return result if isinstance(result, pd.Series) else int(result)


def totals(table: pd.DataFrame) -> pd.Series:
    """Sums of the count columns of a table (``params``, ``macs``...).

    Args:
        table: a ``layer_costs`` or ``block_totals`` table.

    Returns:
        A Series of integers indexed by the count columns.
    """
    _check_table(table)
    columns = [column for column in COUNT_COLUMNS if column in table]
    return table[columns].sum().astype("int64").rename("total")


def with_total(table: pd.DataFrame, label: str = "total") -> pd.DataFrame:
    """The table with a last row that adds up the counts.

    Args:
        table: a ``layer_costs`` or ``block_totals`` table.
        label: text for the first column of the new row.

    Returns:
        A new DataFrame; the total row has empty text cells.
    """
    _check_table(table)
    row = {column: "" for column in table.columns}
    row.update(totals(table).to_dict())
    row[table.columns[0]] = label
    if "layers" in table:
        row["layers"] = int(table["layers"].sum())
    return pd.concat([table, pd.DataFrame([row])], ignore_index=True)


def _default_block(name: str) -> str:
    return re.split(r"[_/]", name, maxsplit=1)[0]


def block_totals(table: pd.DataFrame,
                 by: None | str | re.Pattern | Callable[[str], str]
                 | Mapping[str, str] = None) -> pd.DataFrame:
    """Adds up the rows of each block, in order of first appearance.

    Args:
        table: a ``layer_costs`` table.
        by: how a layer name gives its block:

            * ``None``: the text before the first ``_`` or ``/``
              (``block3_conv2`` and ``block3/conv2`` -> ``block3``);
            * a regular expression (string or compiled): its first group, or
              the whole match if it has no group, searched from the start of
              the name (``r"mixed\\d+"``);
            * a callable ``name -> block``;
            * a mapping ``name -> block``.

            A row that the pattern or mapping does not cover forms a block of
            its own, named after the row, so that nothing is dropped.

    Returns:
        A DataFrame with ``block``, ``layers`` (rows added up),
        ``output_shape`` (of the block's last row) and the count columns.

    Raises:
        TypeError: for a ``by`` of another kind.
    """
    _check_table(table, ("name",) + COUNT_COLUMNS[:2])
    if by is None:
        block_of = _default_block
    elif isinstance(by, (str, re.Pattern)):
        pattern = re.compile(by)

        def block_of(name: str) -> str:
            match = pattern.match(name)
            if match is None:
                return name
            return match.group(1) if pattern.groups else match.group(0)
    elif isinstance(by, Mapping):
        def block_of(name: str) -> str:
            return by.get(name, name)
    elif callable(by):
        def block_of(name: str) -> str:
            block = by(name)
            if not isinstance(block, str):
                raise TypeError(
                    "by must return a block name (str); received "
                    f"{block!r} for the layer {name!r}.")
            return block
    else:
        raise TypeError(
            "by must be None, a regular expression, a callable name -> block "
            f"or a mapping name -> block; received by={by!r}.")
    blocks = table["name"].map(block_of)
    grouped = table.groupby(blocks, sort=False)
    counts = [column for column in COUNT_COLUMNS if column in table]
    result = grouped[counts].sum().astype("int64")
    result.insert(0, "output_shape", grouped["output_shape"].last()
                  if "output_shape" in table else "")
    result.insert(0, "layers", grouped.size().astype("int64"))
    result.index.name = "block"
    return result.reset_index()


def compare(table_a: pd.DataFrame | pd.Series,
            table_b: pd.DataFrame | pd.Series,
            labels: tuple[str, str] = ("without", "with")) -> pd.DataFrame:
    """Compares the totals of two designs: "without" vs "with" a change.

    Args:
        table_a: the reference design (a table or its ``totals``).
        table_b: the changed design.
        labels: column titles for the two designs, in the page's language.

    Returns:
        One row per count (``params``, ``macs``... then ``flops``), with the
        two totals, ``saving`` (a - b), ``relative_saving`` ((a - b) / a, a
        fraction; NaN when a is 0) and ``ratio`` (a / b; NaN when b is 0).

    Raises:
        ValueError: if ``labels`` are not two different names that clash with
            no other column.

    Example:
        Inception's 1x1 reduction, for a 5x5 branch on a 28x28x192 input:

        >>> direct = conv2d_macs(28, 28, 5, 5, 192, 32)
        >>> reduced = conv2d_macs(28, 28, 1, 1, 192, 16) + conv2d_macs(
        ...     28, 28, 5, 5, 16, 32)
        >>> compare(pd.Series({"macs": direct}), pd.Series({"macs": reduced}))
                 without      with     saving  relative_saving     ratio
        macs   120422400  12443648  107978752         0.896667  9.677419
        flops  240844800  24887296  215957504         0.896667  9.677419
    """
    fixed = ("saving", "relative_saving", "ratio")
    if (not isinstance(labels, (tuple, list)) or len(labels) != 2
            or not all(isinstance(label, str) for label in labels)
            or labels[0] == labels[1] or set(labels) & set(fixed)):
        raise ValueError(
            "labels must be two different names, other than "
            f"{list(fixed)}; received labels={labels!r}.")
    sums = []
    for table in (table_a, table_b):
        _check_table(table)
        series = totals(table) if isinstance(table, pd.DataFrame) else table
        series = series[[c for c in COUNT_COLUMNS if c in series.index]]
        sums.append(pd.concat([series, pd.Series({"flops": flops(series)})]))
    result = pd.DataFrame({labels[0]: sums[0], labels[1]: sums[1]})
    result = result.dropna().astype("int64")
    a, b = result[labels[0]], result[labels[1]]
    result["saving"] = a - b
    result["relative_saving"] = (a - b) / a.where(a != 0)
    result["ratio"] = a / b.where(b != 0)
    return result
