"""Keras layers that the book's networks need and Keras does not ship.

Taught in the chapters on AlexNet, GoogLeNet and VGG (VGG-A's LRN variant):
local response normalization, which those papers place after some of their
first convolutions; and, for LeNet-5's partially connected C3 (chapter
``lenet_alexnet``), ``SelectChannels``, which copies chosen channels, and
``EuclideanRBF``, LeNet-5's output layer. A ``layers.Lambda`` around ``tf.nn``
would run, but it cannot be saved portably nor counted by ``book.lib.costs``;
these layers can.

Example:
    >>> import keras
    >>> from book.lib import layers as lib_layers
    >>> inputs = keras.Input((55, 55, 96))
    >>> outputs = lib_layers.LocalResponseNormalization(name="norm1")(inputs)
    >>> tuple(outputs.shape)
    (None, 55, 55, 96)
"""

from __future__ import annotations

import numbers
from typing import Any

import keras
import numpy as np
from keras import ops


def _check_positive_number(name: str, value: Any, allow_zero: bool = False
                           ) -> float:
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or value < 0 or (value == 0 and not allow_zero)):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(
            f"{name} must be a {bound} number; received {name}={value!r}.")
    return float(value)


@keras.saving.register_keras_serializable(package="book")
class LocalResponseNormalization(keras.layers.Layer):
    """Local response normalization across channels (AlexNet's "LRN").

    Each activation is divided by a power of the energy of its neighbours
    along the channel axis, at the same position:

    ``b[..., i] = a[..., i] / (k + alpha * sum_j a[..., j] ** 2) ** beta``,

    where ``j`` runs over the ``size`` channels centred on ``i``, from
    ``i - size // 2`` to ``i + size // 2``, clipped to the existing channels
    (the paper's ``max(0, i - n/2)`` and ``min(N - 1, i + n/2)``). Channels
    are the last axis.

    The mapping to other libraries, for the same numbers:

    * ``tf.nn.local_response_normalization(x, depth_radius=size // 2,
      bias=k, alpha=alpha, beta=beta)``: TensorFlow's ``alpha`` multiplies
      the *sum* of squares, as the paper's does, so it is the same number.
    * ``torch.nn.LocalResponseNorm(size, alpha=size * alpha, beta, k)``:
      PyTorch (and Caffe) divide their ``alpha`` by ``size`` (the *mean* of
      the squares), so theirs is ``size`` times the paper's.

    Args:
        size: channels in the window (the paper's ``n``); odd, so that the
            window is centred.
        k: the additive constant (``k``), positive.
        alpha: the scale of the sum of squares (``alpha``), non-negative.
        beta: the exponent (``beta``), non-negative.
        **kwargs: ``name``, ``dtype`` and the other arguments of
            ``keras.layers.Layer``.

    Raises:
        ValueError: if ``size`` is not a positive odd integer, or ``k``,
            ``alpha`` or ``beta`` is out of range.

    Reference:
        Krizhevsky, Sutskever and Hinton, "ImageNet Classification with Deep
        Convolutional Neural Networks", NeurIPS 2012, section 3.3 (the
        defaults are the paper's ``k = 2, n = 5, alpha = 1e-4, beta = 0.75``).
    """

    def __init__(self, size: int = 5, k: float = 2.0, alpha: float = 1e-4,
                 beta: float = 0.75, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if (isinstance(size, bool) or not isinstance(size, int) or size < 1
                or size % 2 == 0):
            raise ValueError(
                "size must be a positive odd integer (the window is centred "
                f"on each channel); received size={size!r}. AlexNet uses 5.")
        self.size = size
        self.k = _check_positive_number("k", k)
        self.alpha = _check_positive_number("alpha", alpha, allow_zero=True)
        self.beta = _check_positive_number("beta", beta, allow_zero=True)

    def build(self, input_shape: tuple) -> None:
        if input_shape[-1] is None:
            raise ValueError(
                "LocalResponseNormalization needs a known number of channels "
                f"(the last axis); received input_shape={input_shape!r}. "
                "Give keras.Input a full shape, e.g. (55, 55, 96).")
        self.built = True

    def call(self, inputs):
        channels = inputs.shape[-1]
        radius = self.size // 2
        squares = ops.square(inputs)
        # Zeros beyond the first and last channels clip the window, as the
        # paper's max(0, i - n/2) and min(N - 1, i + n/2) do.
        padding = [[0, 0]] * (len(inputs.shape) - 1) + [[radius, radius]]
        padded = ops.pad(squares, padding)
        window_sum = padded[..., 0:channels]
        for offset in range(1, self.size):
            window_sum = window_sum + padded[..., offset:offset + channels]
        return inputs / ops.power(self.k + self.alpha * window_sum, self.beta)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"size": self.size, "k": self.k, "alpha": self.alpha,
                       "beta": self.beta})
        return config


@keras.saving.register_keras_serializable(package="book")
class SelectChannels(keras.layers.Layer):
    """Copies some channels of its input, in a given order (no arithmetic).

    Taught in ``lenet_alexnet``: LeNet-5's C3 connects each of its maps to
    only some of S2's maps (the paper's Table I). ``blocks.connection_table_conv``
    gathers those maps with this layer and convolves them with grouped
    convolutions, so that the network holds exactly the paper's weights.
    ``book.lib.costs`` counts it as free, a copy (``ZERO_COST_LAYERS``).

    Args:
        indices: the input channels to copy, in the output's order; a channel
            may appear more than once.
        **kwargs: the ``keras.layers.Layer`` arguments (``name``...).

    Raises:
        ValueError: if ``indices`` is empty or holds something other than
            non-negative integers, or (when built) an index that the input
            does not have.
    """

    def __init__(self, indices, **kwargs):
        super().__init__(**kwargs)
        if isinstance(indices, (str, bytes)) or not hasattr(indices, "__iter__"):
            raise ValueError(
                "indices must be a sequence of channel indices, e.g. (0, 1, 2); "
                f"received indices={indices!r}.")
        indices = tuple(indices)
        if not indices or any(
                isinstance(i, bool) or not isinstance(i, numbers.Integral) or i < 0
                for i in indices):
            raise ValueError(
                "indices must be a non-empty sequence of non-negative integers "
                f"(channel positions); received indices={indices!r}.")
        self.indices = tuple(int(i) for i in indices)

    def build(self, input_shape: tuple) -> None:
        channels = input_shape[-1]
        if channels is None or max(self.indices) >= channels:
            raise ValueError(
                f"SelectChannels {self.name!r} picks channel {max(self.indices)}, "
                f"but its input has {channels} channels (input_shape="
                f"{tuple(input_shape)!r}). Pick indices from 0 to channels - 1.")
        self.built = True

    def call(self, inputs):
        return ops.take(inputs, list(self.indices), axis=-1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], len(self.indices))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"indices": list(self.indices)})
        return config


@keras.saving.register_keras_serializable(package="book")
class EuclideanRBF(keras.layers.Layer):
    """LeNet-5's output: one Euclidean radial basis function unit per class.

    Taught in ``lenet_alexnet``. Unit ``i`` outputs the squared distance
    between the input vector and a fixed centre ``w_i``:
    ``y_i = sum_j (x_j - w_ij) ** 2``; the class with the *smallest* output
    wins. The paper draws each centre as a 7x12 bitmap of +1 and -1 and
    keeps it fixed; here the centres are random signs (``seed``), also
    fixed (non-trainable weights). ``book.lib.costs`` counts a subtraction
    and a multiply-accumulate per weight (as a dense layer without bias).

    Args:
        units: output units (classes), a positive integer.
        seed: seed of the random +1/-1 centres, a non-negative integer.
        **kwargs: the ``keras.layers.Layer`` arguments (``name``...).

    Raises:
        ValueError: if ``units`` or ``seed`` is not a (positive, resp.
            non-negative) integer, or (when built) the input's last axis is
            unknown.

    Reference:
        LeCun et al., "Gradient-Based Learning Applied to Document
        Recognition", Proc. IEEE 1998, section II.B, equation (7).
    """

    def __init__(self, units: int, seed: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) \
                or units < 1:
            raise ValueError(
                "units must be a positive integer (one unit per class, e.g. 10); "
                f"received units={units!r}.")
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) \
                or seed < 0:
            raise ValueError(
                "seed must be a non-negative integer (it draws the fixed +1/-1 "
                f"centres); received seed={seed!r}.")
        self.units, self.seed = int(units), int(seed)

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                "EuclideanRBF needs flat inputs with a known size, (batch, "
                f"features); received input_shape={tuple(input_shape)!r}. Put a "
                "Flatten or Dense layer before it.")
        signs = np.sign(np.random.default_rng(self.seed).normal(
            size=(input_shape[-1], self.units)))
        self.centres = self.add_weight(
            name="centres", shape=(input_shape[-1], self.units), trainable=False,
            initializer=lambda shape, dtype=None: ops.cast(signs, dtype))

    def call(self, inputs):
        return ops.sum(ops.square(inputs[:, :, None] - self.centres[None]), axis=1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], self.units)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"units": self.units, "seed": self.seed})
        return config
