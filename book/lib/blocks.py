"""The network blocks that the chapters teach, one function per idea.

Every block takes a Keras tensor and returns one (the functional API), so that a
chapter composes a network from blocks the reader has already seen, and
``costs.layer_costs`` sees every layer, the arithmetic included
(``layers.Add``, ``layers.Multiply``). Each block names its layers from one
pattern, the one Keras' applications use, so that summaries, cost tables and
error messages read like the paper:

* :func:`conv_pool_block`: ``block1_conv``, ``block1_lrn``, ``block1_pool``
  (LeNet-5 and AlexNet).
* :func:`connection_table_conv`: ``c3_select1``, ``c3_conv1``... ``c3_concat``
  (LeNet-5's partially connected C3).
* :func:`vgg_block`: ``block1_conv1``, ``block1_conv2``, ``block1_pool``.
* :func:`inception_module`: ``inception_3a_1x1``, ``inception_3a_3x3_reduce``...
* :func:`residual_block`: ``conv2_block1_1_conv``, ``conv2_block1_2_bn``,
  ``conv2_block1_0_conv`` (the projection shortcut), ``conv2_block1_add``,
  ``conv2_block1_out``.
* :func:`bottleneck_block`: the same pattern, up to ``<name>_3_conv``, as
  ``keras.applications.ResNet50`` (``conv4_block2_1_conv``).
* :func:`plain_block`: :func:`residual_block` without its shortcut, the same
  names (``<name>_1_conv``... ``<name>_out``), for the plain networks of
  ``resnet``.
* :func:`preact_bottleneck_block`: ResNet v2's block, as
  ``keras.applications.ResNet50V2``: ``<name>_preact_bn``, ``<name>_preact_relu``,
  ``<name>_0_conv`` or ``<name>_0_pool``, ``<name>_1_conv``... ``<name>_3_conv``,
  ``<name>_out`` (the add).
* :func:`separable_block`: ``<name>_dw``, ``<name>_dw_bn``, ``<name>_dw_relu``,
  ``<name>_pw``, ``<name>_pw_bn``, ``<name>_pw_relu``.
* :func:`se_block`: ``<name>_squeeze``, ``<name>_reduce``, ``<name>_expand``,
  ``<name>_excite``; inside a residual or bottleneck block
  (``se_ratio=16``), ``conv2_block1_se_squeeze``... before ``conv2_block1_add``.
* :func:`conv_bn_relu`, :func:`inception_v4_stem`, :func:`inception_a`,
  :func:`inception_b`, :func:`inception_c`, :func:`reduction_a`,
  :func:`reduction_b`, :func:`inception_resnet_reduction_b`,
  :func:`inception_resnet_block` (Inception-v4 and Inception-ResNet):
  ``mixed_5b_branch1_1x7``-style names, ``<name>_branch<b>_<kernel>``,
  ``<name>_concat``; the residual ones ``<name>_mixed``, ``<name>_conv``,
  ``<name>_scale``, ``<name>_add``, ``<name>_ac``.
* :func:`augmentation_block`: ``<name>_flip``, ``<name>_translation``,
  ``<name>_rotation``, ``<name>_zoom``, ``<name>_contrast``.

The small Fashion-MNIST networks that the chapters train are built from these
blocks in :mod:`book.lib.models`.
"""

from __future__ import annotations

import numbers

from keras import layers

from book.lib import layers as lib_layers

#: Output channels of a bottleneck block per filter of its 3x3 convolution.
BOTTLENECK_EXPANSION = 4

#: Where a strided bottleneck block puts its stride (see ``bottleneck_block``).
STRIDE_POSITIONS = ("1x1", "3x3")

#: The shortcuts of He et al. (2016), section 4.1, for ``residual_block``:
#: "A" zero-pads the identity where the channels grow (no parameters), "B"
#: projects (1x1 convolution and BN) only there, "C" projects in every block.
SHORTCUT_OPTIONS = ("A", "B", "C")

#: ``BatchNormalization``'s epsilon in Keras' ResNet, kept so that a block
#: built here computes what ``keras.applications.ResNet50``'s block computes.
_RESNET_BN_EPSILON = 1.001e-5


# ---------------------------------------------------------------------------
# Argument checks: the caller's mistakes are ValueErrors that name the argument.
# ---------------------------------------------------------------------------


def _check_positive(value, argument: str) -> int:
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or value < 1):
        raise ValueError(
            f"{argument} must be a positive integer; "
            f"received {argument}={value!r}.")
    return int(value)


def _check_name(name) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(
            "name must be a non-empty string, the prefix of every layer's name "
            f"(e.g. 'block1' or 'conv2_block1'); received name={name!r}.")
    return name


def _channels(x, block: str) -> int:
    channels = x.shape[-1]
    if channels is None:
        raise ValueError(
            f"{block} needs the number of input channels; received a tensor of "
            f"shape {tuple(x.shape)}. Give keras.Input a shape whose last "
            "entry is known, e.g. keras.Input(shape=(56, 56, 64)).")
    return int(channels)


# ---------------------------------------------------------------------------
# LeNet-5 and AlexNet.
# ---------------------------------------------------------------------------

#: Padding modes of ``conv_pool_block``'s convolution.
CONV_PADDINGS = ("valid", "same")


def _check_fits(side: int, window: int, what: str, name: str) -> None:
    if side < window:
        raise ValueError(
            f"The input of {name!r} is too small for its {what}: a side of "
            f"{side} pixels, and the window needs at least {window}. Use a "
            "larger input (AlexNet's stem expects 227x227), a smaller "
            "kernel_size or strides, or padding='same'.")


def conv_pool_block(x, filters: int, kernel_size: int, strides: int = 1, *,
                    name: str, padding: str = "valid", groups: int = 1,
                    activation: str = "relu", lrn: bool = False,
                    pool_size: int | None = None,
                    pool_strides: int | None = None):
    """A convolution, then (optionally) LRN and max pooling: LeNet's and AlexNet's unit.

    Taught in ``lenet_alexnet``. A ``kernel_size`` x ``kernel_size``
    convolution with ``filters`` filters, ``strides`` and ``groups``
    (``<name>_conv``); with ``lrn=True``, AlexNet's local response
    normalization with the paper's constants (``<name>_lrn``,
    ``book.lib.layers.LocalResponseNormalization``); with ``pool_size``, max
    pooling (``<name>_pool``): ``pool_size=2`` for LeNet's 2x2 windows,
    ``pool_size=3, pool_strides=2`` for AlexNet's overlapping pooling.

    ``groups=2`` splits the input channels and the filters in two halves that
    do not see each other, as AlexNet's two GPUs did in its conv2, conv4
    and conv5: half the weights and half the MACs of the full convolution.

    Args:
        x: the input tensor, ``(batch, height, width, channels)``.
        filters: filters of the convolution.
        kernel_size: side of its square kernel.
        strides: its stride.
        name: prefix of the layers' names, e.g. ``"block1"``.
        padding: ``"valid"`` (no padding, as LeNet and AlexNet's conv1) or
            ``"same"``.
        groups: channel groups of the convolution; must divide the input
            channels and ``filters``.
        activation: the convolution's activation (``"relu"``, ``"tanh"``...).
        lrn: whether local response normalization follows the convolution.
        pool_size: side of the max-pooling window; None for no pooling.
        pool_strides: the pooling's stride; None means ``pool_size``
            (non-overlapping windows).

    Returns:
        The output tensor.

    Raises:
        ValueError: if ``filters``, ``kernel_size``, ``strides``, ``groups``,
            ``pool_size`` or ``pool_strides`` is not a positive integer,
            ``groups`` does not divide the input channels and ``filters``,
            ``padding`` is not ``"valid"`` or ``"same"``, ``name`` is empty,
            or the input is too small for the kernel or the pooling window.

    Reference:
        LeCun et al., "Gradient-Based Learning Applied to Document
        Recognition", Proc. IEEE 1998, section II.B; Krizhevsky, Sutskever
        and Hinton, "ImageNet Classification with Deep Convolutional Neural
        Networks", NIPS 2012, sections 3.3-3.5 and figure 2.
    """
    filters = _check_positive(filters, "filters")
    kernel_size = _check_positive(kernel_size, "kernel_size")
    strides = _check_positive(strides, "strides")
    groups = _check_positive(groups, "groups")
    name = _check_name(name)
    if padding not in CONV_PADDINGS:
        raise ValueError(
            f"padding must be one of {CONV_PADDINGS}; received "
            f"padding={padding!r}.")
    channels = _channels(x, "conv_pool_block")
    if channels % groups or filters % groups:
        raise ValueError(
            "groups must divide both the input channels and filters, so that "
            f"every group has as many of each; received groups={groups} for "
            f"{channels} input channels and filters={filters}. Use groups=1, "
            "or channel counts that are multiples of groups (AlexNet: 2).")
    side = min(int(size) for size in x.shape[1:3] if size is not None)
    if padding == "valid":
        _check_fits(side, kernel_size, f"{kernel_size}x{kernel_size} kernel",
                    name)
        side = (side - kernel_size) // strides + 1
    else:
        side = -(-side // strides)
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                      groups=groups, activation=activation,
                      name=f"{name}_conv")(x)
    if lrn:
        x = lib_layers.LocalResponseNormalization(name=f"{name}_lrn")(x)
    if pool_size is not None:
        pool_size = _check_positive(pool_size, "pool_size")
        pool_strides = _check_positive(
            pool_size if pool_strides is None else pool_strides, "pool_strides")
        _check_fits(side, pool_size, f"{pool_size}x{pool_size} pooling", name)
        x = layers.MaxPooling2D(pool_size, strides=pool_strides,
                                name=f"{name}_pool")(x)
    return x


def connection_table_conv(x, table, kernel_size: int, *, name: str,
                          activation: str = "tanh"):
    """A convolution whose output maps see only some input maps (LeNet's C3).

    Taught in ``lenet_alexnet``. ``table[j]`` lists the input channels that
    output map ``j`` is connected to (LeNet-5's Table I, read by columns).
    Consecutive maps with the same number of inputs form one run; each run
    gathers the channels its maps need (``<name>_select<r>``,
    ``lib_layers.SelectChannels``, a copy) and convolves them with a grouped
    convolution, one group per map (``<name>_conv<r>``); the runs are
    concatenated in the table's order (``<name>_concat``). The result holds
    exactly the table's weights: ``kernel_size**2 * len(table[j]) + 1`` per
    map, nothing masked, nothing wasted.

    Args:
        x: the input tensor, ``(batch, height, width, channels)``.
        table: one sequence of distinct input channel indices per output map.
        kernel_size: side of the square kernels ('valid' padding, stride 1).
        name: prefix of the layers' names, e.g. ``"c3"``.
        activation: the activation of every map (LeNet: a scaled tanh).

    Returns:
        The output tensor, with ``len(table)`` channels.

    Raises:
        ValueError: if ``table`` is empty, a map has no inputs, repeats one,
            or names a channel that the input does not have, if
            ``kernel_size`` is not a positive integer, or ``name`` is empty.

    Reference:
        LeCun et al., "Gradient-Based Learning Applied to Document
        Recognition", Proc. IEEE 1998, section II.B and Table I.
    """
    kernel_size = _check_positive(kernel_size, "kernel_size")
    name = _check_name(name)
    channels = _channels(x, "connection_table_conv")
    if isinstance(table, (str, bytes)) or not hasattr(table, "__iter__"):
        raise ValueError(
            "table must be a sequence with one sequence of input channels per "
            f"output map, e.g. ((0, 1, 2), (1, 2, 3)); received table={table!r}.")
    table = [tuple(inputs) for inputs in table]
    if not table:
        raise ValueError("table must list at least one output map; received "
                         "an empty table.")
    for j, inputs in enumerate(table):
        valid = all(not isinstance(i, bool) and isinstance(i, numbers.Integral)
                    and 0 <= i < channels for i in inputs)
        if not inputs or not valid or len(set(inputs)) != len(inputs):
            raise ValueError(
                f"table[{j}] must list distinct input channels from 0 to "
                f"{channels - 1} (the input has {channels}); received "
                f"table[{j}]={inputs!r}. Every output map needs at least one "
                "input.")
    runs = []  # Consecutive maps with the same number of inputs.
    for inputs in table:
        if runs and len(runs[-1][0]) == len(inputs):
            runs[-1].append(inputs)
        else:
            runs.append([inputs])
    outputs = []
    for r, run in enumerate(runs, start=1):
        gathered = lib_layers.SelectChannels(
            [i for inputs in run for i in inputs], name=f"{name}_select{r}")(x)
        outputs.append(layers.Conv2D(
            len(run), kernel_size, groups=len(run), activation=activation,
            name=f"{name}_conv{r}")(gathered))
    if len(outputs) == 1:
        return outputs[0]
    return layers.Concatenate(name=f"{name}_concat")(outputs)


# ---------------------------------------------------------------------------
# VGG and Inception.
# ---------------------------------------------------------------------------


def vgg_block(x, filters: int, num_convs: int, *, name: str):
    """A VGG block: ``num_convs`` 3x3 ReLU convolutions, then 2x2 max pooling.

    Taught in ``vgg``; ``first_cnn`` uses it with one convolution per block
    (``models.fashion_cnn``). The convolutions use 'same' padding, so only the
    pooling halves the height and the width. The layers are named
    ``<name>_conv1``... ``<name>_conv<num_convs>`` and ``<name>_pool``, as in
    ``keras.applications.VGG16``.

    Args:
        x: the input tensor, ``(batch, height, width, channels)``.
        filters: filters of every convolution of the block.
        num_convs: how many 3x3 convolutions come before the pooling.
        name: prefix of the layers' names, e.g. ``"block1"``.

    Returns:
        The output tensor: half the height and width, ``filters`` channels.

    Raises:
        ValueError: if ``filters`` or ``num_convs`` is not a positive integer,
            or ``name`` is empty.

    Reference:
        Simonyan and Zisserman, "Very Deep Convolutional Networks for
        Large-Scale Image Recognition", ICLR 2015, section 2.1.
    """
    filters = _check_positive(filters, "filters")
    num_convs = _check_positive(num_convs, "num_convs")
    name = _check_name(name)
    for i in range(1, num_convs + 1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu",
                          name=f"{name}_conv{i}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def inception_module(x, filters_1x1: int, filters_3x3_reduce: int,
                     filters_3x3: int, filters_5x5_reduce: int,
                     filters_5x5: int, filters_pool_proj: int, *, name: str):
    """An Inception module: four parallel branches, concatenated on channels.

    Taught in ``inception``. The arguments are the columns of GoogLeNet's
    table 1, and the layers are named after them: ``<name>_1x1``,
    ``<name>_3x3_reduce``, ``<name>_3x3``, ``<name>_5x5_reduce``,
    ``<name>_5x5``, ``<name>_pool`` (3x3 max pooling, stride 1),
    ``<name>_pool_proj`` and ``<name>_output`` (the concatenation). Every
    convolution uses 'same' padding and ReLU, so the output keeps the input's
    height and width and has ``filters_1x1 + filters_3x3 + filters_5x5 +
    filters_pool_proj`` channels.

    Args:
        x: the input tensor, ``(batch, height, width, channels)``.
        filters_1x1: filters of the 1x1 branch ("#1x1").
        filters_3x3_reduce: filters of the 1x1 reduction before the 3x3.
        filters_3x3: filters of the 3x3 convolution.
        filters_5x5_reduce: filters of the 1x1 reduction before the 5x5.
        filters_5x5: filters of the 5x5 convolution.
        filters_pool_proj: filters of the 1x1 projection after the pooling.
        name: prefix of the layers' names, e.g. ``"inception_3a"``.

    Returns:
        The concatenated output tensor.

    Raises:
        ValueError: if a number of filters is not a positive integer, or
            ``name`` is empty.

    Reference:
        Szegedy et al., "Going Deeper with Convolutions", CVPR 2015,
        figure 2(b) and table 1.
    """
    filters = {
        "filters_1x1": filters_1x1, "filters_3x3_reduce": filters_3x3_reduce,
        "filters_3x3": filters_3x3, "filters_5x5_reduce": filters_5x5_reduce,
        "filters_5x5": filters_5x5, "filters_pool_proj": filters_pool_proj}
    for argument, value in filters.items():
        _check_positive(value, argument)
    name = _check_name(name)

    def conv(tensor, filters, kernel_size, suffix):
        return layers.Conv2D(filters, kernel_size, padding="same",
                             activation="relu", name=f"{name}_{suffix}")(tensor)

    branch_1x1 = conv(x, filters_1x1, 1, "1x1")
    branch_3x3 = conv(x, filters_3x3_reduce, 1, "3x3_reduce")
    branch_3x3 = conv(branch_3x3, filters_3x3, 3, "3x3")
    branch_5x5 = conv(x, filters_5x5_reduce, 1, "5x5_reduce")
    branch_5x5 = conv(branch_5x5, filters_5x5, 5, "5x5")
    branch_pool = layers.MaxPooling2D(3, strides=1, padding="same",
                                      name=f"{name}_pool")(x)
    branch_pool = conv(branch_pool, filters_pool_proj, 1, "pool_proj")
    return layers.Concatenate(name=f"{name}_output")(
        [branch_1x1, branch_3x3, branch_5x5, branch_pool])


# ---------------------------------------------------------------------------
# Residual blocks (ResNet).
# ---------------------------------------------------------------------------


def _conv_bn(x, filters: int, kernel_size: int, stride: int, use_bias: bool,
             name: str, relu: bool = True):
    """Conv2D, BatchNormalization and (optionally) ReLU: ``<name>_conv/_bn/_relu``."""
    x = layers.Conv2D(filters, kernel_size, strides=stride, padding="same",
                      use_bias=use_bias, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(epsilon=_RESNET_BN_EPSILON,
                                  name=f"{name}_bn")(x)
    if relu:
        x = layers.Activation("relu", name=f"{name}_relu")(x)
    return x


def _shortcut(x, channels_out: int, stride: int, conv_shortcut: bool | None,
              use_bias: bool, name: str):
    """The identity, or a strided 1x1 projection with BN (``<name>_0_conv/_0_bn``)."""
    channels_in = _channels(x, "a residual block")
    needs_projection = stride != 1 or channels_in != channels_out
    if conv_shortcut is None:
        conv_shortcut = needs_projection
    elif not isinstance(conv_shortcut, bool):
        raise ValueError(
            "conv_shortcut must be True (a 1x1 projection), False (the "
            "identity) or None (a projection only where the shape changes); "
            f"received conv_shortcut={conv_shortcut!r}.")
    if not conv_shortcut and needs_projection:
        raise ValueError(
            "an identity shortcut needs the block to keep its input's shape; "
            f"received {channels_in} input channels for {channels_out} output "
            f"channels and stride={stride}. Pass conv_shortcut=True (or None) "
            "for a 1x1 projection.")
    if not conv_shortcut:
        return x
    return _conv_bn(x, channels_out, 1, stride, use_bias, f"{name}_0",
                    relu=False)


def _zero_pad_shortcut(x, channels_out: int, stride: int, name: str):
    """Option A: the identity, subsampled with the stride and zero-padded on channels.

    Subsampling keeps one pixel in ``stride`` along each side (a 1x1 max
    pooling, ``<name>_0_pool``, as Keras' ResNet v2 subsamples its
    shortcuts); the new channels are zeros appended after the old ones
    (``<name>_0_pad``, a ``ZeroPadding3D`` on the channel axis between two
    reshapes, ``<name>_0_split`` and ``<name>_0_merge``). No weights.
    """
    channels_in = _channels(x, "a residual block")
    if channels_out < channels_in:
        raise ValueError(
            "shortcut_option='A' pads the shortcut with zero channels, so it "
            f"cannot reduce them; received {channels_in} input channels for "
            f"{channels_out} output channels. Use option 'B' or 'C' (a 1x1 "
            "projection).")
    if stride != 1:
        x = layers.MaxPooling2D(1, strides=stride, name=f"{name}_0_pool")(x)
    extra = channels_out - channels_in
    if extra:
        height, width = x.shape[1], x.shape[2]
        x = layers.Reshape((height, width, channels_in, 1),
                           name=f"{name}_0_split")(x)
        x = layers.ZeroPadding3D(((0, 0), (0, 0), (0, extra)),
                                 name=f"{name}_0_pad")(x)
        x = layers.Reshape((height, width, channels_out),
                           name=f"{name}_0_merge")(x)
    return x


def plain_block(x, filters: int, stride: int = 1, *, name: str,
                use_bias: bool = True):
    """``residual_block`` without its shortcut: two 3x3 convolutions with BN and ReLU.

    Taught in ``resnet``, where a "plain" network made of these blocks is
    compared with the same network made of residual blocks (He et al. 2016,
    figure 3, middle). The layers have the residual block's names
    (``<name>_1_conv``, ``<name>_1_bn``, ``<name>_1_relu``, ``<name>_2_conv``,
    ``<name>_2_bn``, ``<name>_out``), so that the two networks differ only
    by the shortcuts and the adds.

    Args:
        x: the input tensor, ``(batch, height, width, channels)``.
        filters: filters of both 3x3 convolutions.
        stride: stride of the first convolution.
        name: prefix of the layers' names, e.g. ``"conv2_block1"``.
        use_bias: biases in the convolutions (see ``residual_block``).

    Returns:
        The output tensor: ``filters`` channels, height and width divided by
        ``stride``.

    Raises:
        ValueError: if ``filters`` or ``stride`` is not a positive integer, or
            ``name`` is empty.

    Reference:
        He et al., "Deep Residual Learning for Image Recognition", CVPR 2016,
        figure 3 (middle) and section 3.4.
    """
    filters = _check_positive(filters, "filters")
    stride = _check_positive(stride, "stride")
    name = _check_name(name)
    x = _conv_bn(x, filters, 3, stride, use_bias, f"{name}_1")
    x = _conv_bn(x, filters, 3, 1, use_bias, f"{name}_2", relu=False)
    return layers.Activation("relu", name=f"{name}_out")(x)


def residual_block(x, filters: int, stride: int = 1,
                   conv_shortcut: bool | None = None, *, name: str,
                   use_bias: bool = True, shortcut_option: str | None = None,
                   se_ratio: int | None = None):
    """A basic residual block: two 3x3 convolutions and a shortcut, added.

    Taught in ``resnet`` (ResNet-18 and ResNet-34). The main path is a 3x3
    convolution (with the block's stride), BN and ReLU, then a 3x3
    convolution and BN; the shortcut is the input itself, or a 1x1
    convolution with the same stride and BN (a projection) where the shape
    changes; their sum goes through a ReLU. The layers follow
    ``keras.applications.ResNet50``'s names: ``<name>_1_conv``,
    ``<name>_1_bn``, ``<name>_1_relu``, ``<name>_2_conv``, ``<name>_2_bn``,
    ``<name>_0_conv`` and ``<name>_0_bn`` (the projection), ``<name>_add``
    and ``<name>_out`` (the final ReLU).

    Args:
        x: the input tensor, ``(batch, height, width, channels)``.
        filters: filters of both 3x3 convolutions, the block's output channels.
        stride: stride of the first 3x3 convolution and of the projection
            (2 halves the height and width, as the first block of a stage).
        conv_shortcut: True for a 1x1 projection, False for the identity,
            None (default) for a projection exactly where the identity cannot
            be added (``stride != 1`` or a change in the number of channels):
            the paper's option B.
        name: prefix of the layers' names, e.g. ``"conv2_block1"``.
        use_bias: biases in the convolutions. Keras' ResNet keeps them (the
            default, so that parameter counts match it), although the BN that
            follows each convolution makes them redundant; False saves one
            parameter per output channel of each convolution.
        shortcut_option: the paper's name for the shortcut, instead of
            ``conv_shortcut``: ``"A"`` (the identity; where the shape
            changes, the input subsampled with the stride,
            ``<name>_0_pool``, and zero-padded to ``filters`` channels,
            ``<name>_0_pad``: no parameters), ``"B"`` (a projection only
            where the shape changes, as ``conv_shortcut=None``) or ``"C"``
            (a projection in every block, as ``conv_shortcut=True``).
        se_ratio: None (default) for the plain residual block; an integer r
            puts a squeeze-and-excitation block (``se_block``, reduction
            ratio r, layers ``<name>_se_squeeze``... ``<name>_se_excite``)
            on the residual branch, after its last BN and before the add:
            the SE-ResNet block of Hu et al. (2018), figure 3 (taught in
            ``senet``).

    Returns:
        The output tensor: ``filters`` channels, height and width divided by
        ``stride``.

    Raises:
        ValueError: if ``filters`` or ``stride`` is not a positive integer,
            ``name`` is empty, ``conv_shortcut=False`` where the shape
            changes, ``shortcut_option`` is not ``"A"``, ``"B"`` or ``"C"``,
            ``se_ratio`` is not None or a ratio that ``se_block`` accepts,
            or both ``shortcut_option`` and ``conv_shortcut`` are given, or
            option ``"A"`` would have to drop channels.

    Reference:
        He et al., "Deep Residual Learning for Image Recognition", CVPR 2016,
        figure 2, figure 5 (left), table 1 and section 4.1 (options A-C).
    """
    filters = _check_positive(filters, "filters")
    stride = _check_positive(stride, "stride")
    name = _check_name(name)
    if shortcut_option is not None:
        if shortcut_option not in SHORTCUT_OPTIONS:
            raise ValueError(
                f"shortcut_option must be one of {SHORTCUT_OPTIONS} (He et al. "
                "2016, section 4.1); received "
                f"shortcut_option={shortcut_option!r}.")
        if conv_shortcut is not None:
            raise ValueError(
                "give either shortcut_option or conv_shortcut, not both; "
                f"received shortcut_option={shortcut_option!r} and "
                f"conv_shortcut={conv_shortcut!r}. Option 'B' is "
                "conv_shortcut=None and option 'C' conv_shortcut=True.")
        conv_shortcut = {"B": None, "C": True}.get(shortcut_option)
    if shortcut_option == "A":
        shortcut = _zero_pad_shortcut(x, filters, stride, name)
    else:
        shortcut = _shortcut(x, filters, stride, conv_shortcut, use_bias, name)
    x = _conv_bn(x, filters, 3, stride, use_bias, f"{name}_1")
    x = _conv_bn(x, filters, 3, 1, use_bias, f"{name}_2", relu=False)
    if se_ratio is not None:
        x = se_block(x, se_ratio, name=f"{name}_se")
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def bottleneck_block(x, filters: int, stride: int = 1,
                     conv_shortcut: bool | None = None, *, name: str,
                     stride_on: str = "1x1", use_bias: bool = True,
                     se_ratio: int | None = None):
    """A bottleneck residual block: 1x1 reduce, 3x3, 1x1 expand, and a shortcut.

    Taught in ``resnet`` (ResNet-50 and deeper). The main path is a 1x1
    convolution to ``filters`` channels, a 3x3 convolution with ``filters``,
    and a 1x1 convolution to ``BOTTLENECK_EXPANSION * filters`` (4x)
    channels, each followed by BN, the first two by ReLU; the shortcut (the
    identity, or a strided 1x1 projection with BN) is added and the sum goes
    through a ReLU. With the defaults it is ``block1`` of Keras'
    ``applications/resnet.py``, layer for layer: ``<name>_0_conv``,
    ``<name>_0_bn`` (the projection), ``<name>_1_conv``... ``<name>_3_bn``,
    ``<name>_add``, ``<name>_out``; ``name="conv4_block2"`` gives
    ``conv4_block2_1_conv``.

    Where the stride goes (``stride_on``) is a convention, not a detail of
    the paper's figure: the original ResNet, and ``keras.applications.ResNet50``
    with it, strides the first 1x1 convolution (``"1x1"``, the default);
    "ResNet v1.5" (torchvision, NVIDIA) strides the 3x3 instead (``"3x3"``),
    so that no input position is skipped before the 3x3 sees it: the same
    parameters, and more MACs, since the first 1x1 then runs at the input's
    height and width. The projection always has the block's stride.

    Args:
        x: the input tensor, ``(batch, height, width, channels)``.
        filters: filters of the first two convolutions; the block outputs
            ``4 * filters`` channels.
        stride: the block's stride (2 halves the height and width, as the
            first block of stages conv3 to conv5).
        conv_shortcut: True for a 1x1 projection, False for the identity,
            None (default) for a projection exactly where the identity cannot
            be added (``stride != 1`` or a change in the number of channels).
        name: prefix of the layers' names, e.g. ``"conv2_block1"``.
        stride_on: ``"1x1"`` (Keras applications, the default) or ``"3x3"``
            (ResNet v1.5): which convolution of the main path has the stride.
        use_bias: biases in the convolutions; True, as Keras' ResNet50, so
            that parameter counts match it (see ``residual_block``).
        se_ratio: None (default) for the plain bottleneck; an integer r puts
            a squeeze-and-excitation block (``se_block``, layers
            ``<name>_se_squeeze``... ``<name>_se_excite``) on the residual
            branch after ``<name>_3_bn``, before the add: the SE-ResNet
            module of Hu et al. (2018), figure 3 and table 1 (``senet``).

    Returns:
        The output tensor: ``4 * filters`` channels, height and width divided
        by ``stride``.

    Raises:
        ValueError: if ``filters`` or ``stride`` is not a positive integer,
            ``name`` is empty, ``stride_on`` is not ``"1x1"`` or ``"3x3"``,
            ``conv_shortcut=False`` where the shape changes, or ``se_ratio``
            is neither None nor a ratio that ``se_block`` accepts.

    Reference:
        He et al., "Deep Residual Learning for Image Recognition", CVPR 2016,
        figure 5 (right) and table 1.
    """
    filters = _check_positive(filters, "filters")
    stride = _check_positive(stride, "stride")
    name = _check_name(name)
    if stride_on not in STRIDE_POSITIONS:
        raise ValueError(
            f"stride_on must be one of {STRIDE_POSITIONS}: '1x1' strides the "
            "first 1x1 convolution (Keras applications), '3x3' the 3x3 one "
            f"(ResNet v1.5); received stride_on={stride_on!r}.")
    channels_out = BOTTLENECK_EXPANSION * filters
    shortcut = _shortcut(x, channels_out, stride, conv_shortcut, use_bias, name)
    stride_1x1, stride_3x3 = (stride, 1) if stride_on == "1x1" else (1, stride)
    x = _conv_bn(x, filters, 1, stride_1x1, use_bias, f"{name}_1")
    x = _conv_bn(x, filters, 3, stride_3x3, use_bias, f"{name}_2")
    x = _conv_bn(x, channels_out, 1, 1, use_bias, f"{name}_3", relu=False)
    if se_ratio is not None:
        x = se_block(x, se_ratio, name=f"{name}_se")
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def preact_bottleneck_block(x, filters: int, stride: int = 1,
                            conv_shortcut: bool = False, *, name: str):
    """ResNet v2's pre-activation bottleneck: BN and ReLU before each convolution.

    Taught in ``resnet``. As ``residual_block_v2`` of Keras'
    ``applications/resnet.py`` (``keras.applications.ResNet50V2``), layer for
    layer: BN and ReLU of the input (``<name>_preact_bn``,
    ``<name>_preact_relu``); the shortcut, a 1x1 projection of that
    pre-activated input to ``4 * filters`` channels with the stride
    (``<name>_0_conv``, ``conv_shortcut=True``) or the raw input, subsampled
    by a 1x1 max pooling where ``stride > 1`` (``<name>_0_pool``); the main
    path, a 1x1 convolution (``<name>_1_conv``, no bias), BN, ReLU, an
    explicit padding and a 3x3 convolution with the stride (``<name>_2_pad``,
    ``<name>_2_conv``, no bias), BN, ReLU, and a 1x1 convolution to
    ``4 * filters`` (``<name>_3_conv``, with bias); the sum
    (``<name>_out``) is not followed by a ReLU: the path from one block's
    input to the next block's is a clean identity.

    Args:
        x: the input tensor, ``(batch, height, width, channels)``.
        filters: filters of the first two convolutions; the block outputs
            ``4 * filters`` channels.
        stride: stride of the 3x3 convolution and of the shortcut (Keras
            puts it in the last block of a stage).
        conv_shortcut: True for a 1x1 projection (the first block of a
            stage), False for the identity.
        name: prefix of the layers' names, e.g. ``"conv2_block1"``.

    Returns:
        The output tensor: ``4 * filters`` channels, height and width divided
        by ``stride``.

    Raises:
        ValueError: if ``filters`` or ``stride`` is not a positive integer,
            ``name`` is empty, ``conv_shortcut`` is not a bool, or
            ``conv_shortcut=False`` where the channels change.

    Reference:
        He et al., "Identity Mappings in Deep Residual Networks", ECCV 2016,
        figure 1 (b) and figure 4 (e).
    """
    filters = _check_positive(filters, "filters")
    stride = _check_positive(stride, "stride")
    name = _check_name(name)
    if not isinstance(conv_shortcut, bool):
        raise ValueError(
            "conv_shortcut must be True (a 1x1 projection) or False (the "
            f"identity); received conv_shortcut={conv_shortcut!r}.")
    channels_out = BOTTLENECK_EXPANSION * filters
    channels_in = _channels(x, "preact_bottleneck_block")
    if not conv_shortcut and channels_in != channels_out:
        raise ValueError(
            "an identity shortcut needs as many input channels as the block "
            f"outputs; received {channels_in} input channels for "
            f"{channels_out} output channels (4 * filters). Pass "
            "conv_shortcut=True for a 1x1 projection.")
    preact = layers.BatchNormalization(epsilon=_RESNET_BN_EPSILON,
                                       name=f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(channels_out, 1, strides=stride,
                                 name=f"{name}_0_conv")(preact)
    elif stride > 1:
        shortcut = layers.MaxPooling2D(1, strides=stride,
                                       name=f"{name}_0_pool")(x)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = layers.BatchNormalization(epsilon=_RESNET_BN_EPSILON,
                                  name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(1, name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, 3, strides=stride, use_bias=False,
                      name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(epsilon=_RESNET_BN_EPSILON,
                                  name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(channels_out, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


# ---------------------------------------------------------------------------
# Depthwise separable convolution (MobileNet) and squeeze-and-excitation.
# ---------------------------------------------------------------------------


def separable_block(x, filters: int, stride: int = 1, *, name: str):
    """A depthwise separable convolution: depthwise 3x3 and pointwise 1x1.

    Taught in ``mobilenet``. A 3x3 depthwise convolution (one filter per
    input channel, with the block's stride), BN and ReLU, then a 1x1
    convolution to ``filters`` channels, BN and ReLU: figure 3 (right) of the
    MobileNet paper. Neither convolution has a bias (the BN's shift replaces
    it), as in ``keras.applications.MobileNet``'s ``_depthwise_conv_block``.
    The layers are ``<name>_dw``, ``<name>_dw_bn``, ``<name>_dw_relu``,
    ``<name>_pw``, ``<name>_pw_bn`` and ``<name>_pw_relu``.

    Keras' MobileNet differs in two details that change no count of
    parameters: it uses ReLU6 (``min(max(x, 0), 6)``), and for stride 2 it
    pads the bottom and right explicitly (``ZeroPadding2D``) and uses 'valid'
    padding, where this block uses 'same'; on even sizes both give the same
    output shape.

    Args:
        x: the input tensor, ``(batch, height, width, channels)``.
        filters: output channels of the pointwise convolution.
        stride: stride of the depthwise convolution.
        name: prefix of the layers' names, e.g. ``"conv_1"``.

    Returns:
        The output tensor: ``filters`` channels, height and width divided by
        ``stride``.

    Raises:
        ValueError: if ``filters`` or ``stride`` is not a positive integer, or
            ``name`` is empty.

    Reference:
        Howard et al., "MobileNets: Efficient Convolutional Neural Networks
        for Mobile Vision Applications", arXiv:1704.04861, 2017, figure 3 and
        table 1.
    """
    filters = _check_positive(filters, "filters")
    stride = _check_positive(stride, "stride")
    name = _check_name(name)
    x = layers.DepthwiseConv2D(3, strides=stride, padding="same",
                               use_bias=False, name=f"{name}_dw")(x)
    x = layers.BatchNormalization(name=f"{name}_dw_bn")(x)
    x = layers.ReLU(name=f"{name}_dw_relu")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
    x = layers.BatchNormalization(name=f"{name}_pw_bn")(x)
    return layers.ReLU(name=f"{name}_pw_relu")(x)


def se_block(x, ratio: int = 16, *, name: str):
    """Squeeze-and-excitation: reweights each channel by a gate in [0, 1].

    Taught in ``senet``. Squeeze: global average pooling, one number per
    channel (``<name>_squeeze``, kept as a 1x1 map). Excitation: a dense
    layer to ``channels // ratio`` units with ReLU (``<name>_reduce``) and
    one back to ``channels`` with a sigmoid (``<name>_expand``). The input
    is multiplied by these gates, channel by channel (``<name>_excite``, a
    ``layers.Multiply``, so that ``costs`` counts it). The output has the
    input's shape.

    Args:
        x: the input tensor, ``(batch, height, width, channels)``.
        ratio: the reduction ratio r (16 in the paper); at most the number
            of channels, so that the bottleneck keeps at least one unit.
        name: prefix of the layers' names, e.g. ``"se3"``.

    Returns:
        The reweighted tensor, of the same shape as ``x``.

    Raises:
        ValueError: if ``ratio`` is not a positive integer or is larger than
            the number of channels, or ``name`` is empty.

    Reference:
        Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018, figure 1 and
        section 3.
    """
    ratio = _check_positive(ratio, "ratio")
    name = _check_name(name)
    channels = _channels(x, "se_block")
    if ratio > channels:
        raise ValueError(
            f"ratio must be at most the number of channels ({channels}), so "
            f"that the excitation keeps channels // ratio >= 1 units; received "
            f"ratio={ratio}. Use a smaller ratio (the paper uses 16).")
    gates = layers.GlobalAveragePooling2D(keepdims=True,
                                          name=f"{name}_squeeze")(x)
    gates = layers.Dense(channels // ratio, activation="relu",
                         name=f"{name}_reduce")(gates)
    gates = layers.Dense(channels, activation="sigmoid",
                         name=f"{name}_expand")(gates)
    return layers.Multiply(name=f"{name}_excite")([x, gates])

# ---------------------------------------------------------------------------
# Data augmentation as layers (chapter ``augmentation``).
# ---------------------------------------------------------------------------

#: The flips that ``layers.RandomFlip`` accepts, and None for no flip.
FLIP_MODES = (None, "horizontal", "vertical", "horizontal_and_vertical")

#: How ``RandomTranslation``, ``RandomRotation`` and ``RandomZoom`` fill the
#: pixels that come from outside the image.
FILL_MODES = ("constant", "nearest", "reflect", "wrap")


def _check_fraction(value, argument: str, hint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{argument} must be a number; received {argument}={value!r} "
            f"of type {type(value).__name__}. {hint}")
    if not 0 <= value < 1:
        raise ValueError(
            f"{argument} must be a fraction of the image in [0, 1); received "
            f"{argument}={value!r}. {hint}")
    return float(value)


def augmentation_block(x, *, flip: str | None = None,
                       translation: float = 0.08, rotation_degrees: float = 8.0,
                       zoom: float = 0.08, contrast: float = 0.0,
                       fill_mode: str = "constant", seed: int = 42,
                       name: str = "augment"):
    """Random geometric changes of an image, as layers: active only in training.

    Taught in ``augmentation``. In order: a random flip (``<name>_flip``), a
    shift of up to ``translation`` of the height and of the width
    (``<name>_translation``), a rotation of up to ``rotation_degrees`` either
    way (``<name>_rotation``), a zoom in or out of up to ``zoom``
    (``<name>_zoom``) and a contrast change of up to ``contrast``
    (``<name>_contrast``); a change set to 0 (or ``flip=None``) adds no
    layer. Keras' random layers are the identity at inference
    (``training=False``: ``predict``, ``evaluate``), so the block costs
    nothing there (``costs.AUGMENTATION_LAYERS``).

    The rotation is given in degrees, the unit people think in, and turned
    into the fraction of a full turn that ``layers.RandomRotation`` expects
    (``rotation_degrees / 360``): ``RandomRotation(20)`` is an error, not
    20 degrees.

    Args:
        x: the input images, ``(batch, height, width, channels)``, with values
            in [0, 1] (``contrast`` keeps that range).
        flip: ``"horizontal"`` (a mirror image), ``"vertical"``,
            ``"horizontal_and_vertical"`` or None (the default: the shoes of
            Fashion-MNIST all point the same way, and a flip makes images that
            its test set does not hold).
        translation: largest shift, as a fraction of the height and of the
            width, in [0, 1).
        rotation_degrees: largest rotation either way, in degrees, from 0 to
            180.
        zoom: largest zoom in or out, as a fraction of the size, in [0, 1).
        contrast: largest contrast change, a fraction in [0, 1).
        fill_mode: how pixels from outside the image are filled (one of
            ``FILL_MODES``); ``"constant"`` fills with 0, the black background
            of Fashion-MNIST, where Keras' default ``"reflect"`` would mirror
            pieces of the garment into the gap.
        seed: seed of each layer's random draws (the first layer's; the
            next ones get ``seed + 1``, ``seed + 2``...).
        name: prefix of the layers' names.

    Returns:
        The tensor of (in training) transformed images, of the input's shape.

    Raises:
        TypeError: if a factor is not a number or ``seed`` is not an integer.
        ValueError: if ``flip`` or ``fill_mode`` is not one that Keras
            accepts, a fraction is outside [0, 1), ``rotation_degrees`` is
            outside [0, 180], or ``name`` is empty.
    """
    if flip not in FLIP_MODES:
        raise ValueError(
            f"flip must be one of {FLIP_MODES}; received flip={flip!r}.")
    if fill_mode not in FILL_MODES:
        raise ValueError(
            f"fill_mode must be one of {FILL_MODES}; received "
            f"fill_mode={fill_mode!r}.")
    translation = _check_fraction(
        translation, "translation", "For a shift of up to 10% pass 0.1.")
    zoom = _check_fraction(zoom, "zoom", "For a zoom of up to 10% pass 0.1.")
    contrast = _check_fraction(
        contrast, "contrast", "For a contrast change of up to 20% pass 0.2.")
    if (isinstance(rotation_degrees, bool)
            or not isinstance(rotation_degrees, numbers.Real)):
        raise TypeError(
            "rotation_degrees must be a number of degrees; received "
            f"rotation_degrees={rotation_degrees!r} of type "
            f"{type(rotation_degrees).__name__}.")
    if not 0 <= rotation_degrees <= 180:
        raise ValueError(
            "rotation_degrees is the largest rotation either way, in degrees, "
            f"from 0 to 180; received rotation_degrees={rotation_degrees!r}. "
            "For up to 20 degrees either way pass 20.")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"seed must be an integer; received seed={seed!r} of type "
            f"{type(seed).__name__}.")
    name = _check_name(name)
    seed = int(seed)
    if flip is not None:
        x = layers.RandomFlip(flip, seed=seed, name=f"{name}_flip")(x)
    if translation:
        x = layers.RandomTranslation(translation, translation,
                                     fill_mode=fill_mode, seed=seed + 1,
                                     name=f"{name}_translation")(x)
    if rotation_degrees:
        x = layers.RandomRotation(rotation_degrees / 360, fill_mode=fill_mode,
                                  seed=seed + 2, name=f"{name}_rotation")(x)
    if zoom:
        x = layers.RandomZoom(zoom, fill_mode=fill_mode, seed=seed + 3,
                              name=f"{name}_zoom")(x)
    if contrast:
        x = layers.RandomContrast(contrast, value_range=(0, 1), seed=seed + 4,
                                  name=f"{name}_contrast")(x)
    return x


# ---------------------------------------------------------------------------
# Inception-v4 and Inception-ResNet (Szegedy et al., 2017).
# ---------------------------------------------------------------------------

#: Table 1 of Szegedy et al. (2017): the filters (k, l, m, n) of Reduction-A
#: in each network: ``k`` 1x1, ``l`` 3x3 and ``m`` 3x3 with stride 2 in one
#: branch, ``n`` 3x3 with stride 2 in another.
REDUCTION_A_FILTERS = {
    "inception_v4": (192, 224, 256, 384),
    "inception_resnet_v1": (192, 192, 256, 384),
    "inception_resnet_v2": (256, 256, 384, 384),
}

#: Branches of the Inception-ResNet-v2 blocks (figures 16, 17 and 19): per
#: branch, the (filters, kernel size) of each convolution in order. The
#: linear 1x1 projection that follows restores the input's channels.
INCEPTION_RESNET_A = (((32, 1),), ((32, 1), (32, 3)),
                      ((32, 1), (48, 3), (64, 3)))
INCEPTION_RESNET_B = (((192, 1),), ((128, 1), (160, (1, 7)), (192, (7, 1))))
INCEPTION_RESNET_C = (((192, 1),), ((192, 1), (224, (1, 3)), (256, (3, 1))))

#: Branches of Inception-ResNet-v2's Reduction-B (figure 18), before the
#: max-pooling branch; the last convolution of each has stride 2.
INCEPTION_RESNET_REDUCTION_B = ((256, 384), (256, 288), (256, 288, 320))

#: The residual scaling that the paper recommends (section 3.3, figure 20).
RESIDUAL_SCALE_RANGE = (0.1, 0.3)

_PADDINGS = ("valid", "same")


def _kernel_text(kernel_size) -> str:
    k_h, k_w = ((kernel_size, kernel_size) if isinstance(kernel_size, int)
                else tuple(kernel_size))
    return f"{k_h}x{k_w}"


def _check_padding(padding) -> str:
    if padding not in _PADDINGS:
        raise ValueError(
            f"padding must be one of {_PADDINGS}: 'valid' as in the paper's "
            "figures ('V'), 'same' to keep small inputs from shrinking; "
            f"received padding={padding!r}.")
    return padding


def conv_bn_relu(x, filters: int, kernel_size, strides: int = 1,
                 padding: str = "same", *, name: str):
    """The unit of the Inception-v4 family: convolution, BN and ReLU.

    Taught in ``inception_v4``. As in the authors' TF-slim code and
    ``keras.applications.InceptionResNetV2``: the convolution has no bias
    and the batch normalization no scale (``scale=False``: the ReLU that
    follows makes a per-channel scale redundant), so each output channel
    costs ``k_h * k_w * c_in`` weights and 3 BN numbers (beta, moving mean
    and moving variance). Layers: ``<name>_conv``, ``<name>_bn``,
    ``<name>_relu``.

    Args:
        x: the input tensor.
        filters: output channels.
        kernel_size: an int or ``(k_h, k_w)``, e.g. ``(1, 7)``.
        strides: the stride.
        padding: ``'same'`` or ``'valid'`` (the figures' "V").
        name: prefix of the layers' names.

    Returns:
        The output tensor.

    Raises:
        ValueError: for a non-positive ``filters`` or ``strides``, another
            padding, or an empty ``name``.
    """
    filters = _check_positive(filters, "filters")
    strides = _check_positive(strides, "strides")
    padding = _check_padding(padding)
    name = _check_name(name)
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                      use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(scale=False, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def _check_fits_valid(x, window: int, block: str) -> None:
    for side in x.shape[1:3]:
        if side is not None and side < window:
            raise ValueError(
                f"{block} needs inputs of at least {window}x{window} with "
                f"padding='valid'; received a tensor of shape "
                f"{tuple(x.shape)}. Use padding='same' for small inputs.")


def inception_v4_stem(x, *, name: str = "stem"):
    """The stem of Inception-v4 and Inception-ResNet-v2 (figure 3).

    299x299x3 -> 149x149x32 -> 147x147x32 -> 147x147x64 -> 73x73x160
    (max pooling | 3x3 stride 2) -> 71x71x192 (two branches, one with a
    7x1 and a 1x7) -> 35x35x384 (3x3 stride 2 | max pooling). Layers:
    ``<name>_conv1``... ``<name>_conv3``, ``<name>_mixed1_pool``,
    ``<name>_mixed1_3x3``, ``<name>_mixed1``, ``<name>_mixed2_branch0_1x1``...,
    ``<name>_mixed2``, ``<name>_mixed3_3x3``, ``<name>_mixed3_pool``,
    ``<name>_mixed3`` (each convolution a :func:`conv_bn_relu`).

    Raises:
        ValueError: for an empty ``name`` or an input under 75x75.

    Reference:
        Szegedy et al., "Inception-v4, Inception-ResNet and the Impact of
        Residual Connections on Learning", AAAI 2017, figure 3.
    """
    name = _check_name(name)
    _check_fits_valid(x, 75, "inception_v4_stem")
    x = conv_bn_relu(x, 32, 3, 2, "valid", name=f"{name}_conv1")
    x = conv_bn_relu(x, 32, 3, 1, "valid", name=f"{name}_conv2")
    x = conv_bn_relu(x, 64, 3, name=f"{name}_conv3")
    pool = layers.MaxPooling2D(3, 2, name=f"{name}_mixed1_pool")(x)
    conv = conv_bn_relu(x, 96, 3, 2, "valid", name=f"{name}_mixed1_3x3")
    x = layers.Concatenate(name=f"{name}_mixed1")([pool, conv])
    branch0 = conv_bn_relu(x, 64, 1, name=f"{name}_mixed2_branch0_1x1")
    branch0 = conv_bn_relu(branch0, 96, 3, 1, "valid",
                           name=f"{name}_mixed2_branch0_3x3")
    branch1 = conv_bn_relu(x, 64, 1, name=f"{name}_mixed2_branch1_1x1")
    branch1 = conv_bn_relu(branch1, 64, (7, 1), name=f"{name}_mixed2_branch1_7x1")
    branch1 = conv_bn_relu(branch1, 64, (1, 7), name=f"{name}_mixed2_branch1_1x7")
    branch1 = conv_bn_relu(branch1, 96, 3, 1, "valid",
                           name=f"{name}_mixed2_branch1_3x3")
    x = layers.Concatenate(name=f"{name}_mixed2")([branch0, branch1])
    conv = conv_bn_relu(x, 192, 3, 2, "valid", name=f"{name}_mixed3_3x3")
    pool = layers.MaxPooling2D(3, 2, name=f"{name}_mixed3_pool")(x)
    return layers.Concatenate(name=f"{name}_mixed3")([conv, pool])


def _pool_projection(x, filters: int, name: str):
    x = layers.AveragePooling2D(3, 1, padding="same",
                                name=f"{name}_branch0_pool")(x)
    return conv_bn_relu(x, filters, 1, name=f"{name}_branch0_1x1")


def inception_a(x, *, name: str):
    """Inception-v4's Inception-A block (figure 4), 35x35x384 -> 35x35x384.

    Four branches: 3x3 average pooling then 96 1x1; 96 1x1; 64 1x1 then 96
    3x3; 64 1x1 then two 96 3x3. Layers ``<name>_branch<b>_<kernel>`` (a
    second kernel of the same size gets ``b``: ``<name>_branch3_3x3b``)
    and ``<name>_concat``.

    Reference:
        Szegedy et al. (2017), figure 4.
    """
    name = _check_name(name)
    branch0 = _pool_projection(x, 96, name)
    branch1 = conv_bn_relu(x, 96, 1, name=f"{name}_branch1_1x1")
    branch2 = conv_bn_relu(x, 64, 1, name=f"{name}_branch2_1x1")
    branch2 = conv_bn_relu(branch2, 96, 3, name=f"{name}_branch2_3x3")
    branch3 = conv_bn_relu(x, 64, 1, name=f"{name}_branch3_1x1")
    branch3 = conv_bn_relu(branch3, 96, 3, name=f"{name}_branch3_3x3")
    branch3 = conv_bn_relu(branch3, 96, 3, name=f"{name}_branch3_3x3b")
    return layers.Concatenate(name=f"{name}_concat")(
        [branch0, branch1, branch2, branch3])


def inception_b(x, *, name: str):
    """Inception-v4's Inception-B block (figure 5), 17x17x1024 -> 17x17x1024.

    Four branches: average pooling then 128 1x1; 384 1x1; 192 1x1, 224
    1x7, 256 7x1; 192 1x1, 192 1x7, 224 7x1, 224 1x7, 256 7x1. The 7x7
    filters are factorized into a 1x7 and a 7x1.

    Reference:
        Szegedy et al. (2017), figure 5.
    """
    name = _check_name(name)
    branch0 = _pool_projection(x, 128, name)
    branch1 = conv_bn_relu(x, 384, 1, name=f"{name}_branch1_1x1")
    branch2 = conv_bn_relu(x, 192, 1, name=f"{name}_branch2_1x1")
    branch2 = conv_bn_relu(branch2, 224, (1, 7), name=f"{name}_branch2_1x7")
    branch2 = conv_bn_relu(branch2, 256, (7, 1), name=f"{name}_branch2_7x1")
    branch3 = conv_bn_relu(x, 192, 1, name=f"{name}_branch3_1x1")
    branch3 = conv_bn_relu(branch3, 192, (1, 7), name=f"{name}_branch3_1x7")
    branch3 = conv_bn_relu(branch3, 224, (7, 1), name=f"{name}_branch3_7x1")
    branch3 = conv_bn_relu(branch3, 224, (1, 7), name=f"{name}_branch3_1x7b")
    branch3 = conv_bn_relu(branch3, 256, (7, 1), name=f"{name}_branch3_7x1b")
    return layers.Concatenate(name=f"{name}_concat")(
        [branch0, branch1, branch2, branch3])


def inception_c(x, *, name: str):
    """Inception-v4's Inception-C block (figure 6), 8x8x1536 -> 8x8x1536.

    Four branches: average pooling then 256 1x1; 256 1x1; 384 1x1 that
    splits into a 256 1x3 and a 256 3x1; 384 1x1, 448 1x3, 512 3x1 that
    splits into a 256 3x1 and a 256 1x3.

    Reference:
        Szegedy et al. (2017), figure 6.
    """
    name = _check_name(name)
    branch0 = _pool_projection(x, 256, name)
    branch1 = conv_bn_relu(x, 256, 1, name=f"{name}_branch1_1x1")
    branch2 = conv_bn_relu(x, 384, 1, name=f"{name}_branch2_1x1")
    branch2a = conv_bn_relu(branch2, 256, (1, 3), name=f"{name}_branch2_1x3")
    branch2b = conv_bn_relu(branch2, 256, (3, 1), name=f"{name}_branch2_3x1")
    branch3 = conv_bn_relu(x, 384, 1, name=f"{name}_branch3_1x1")
    branch3 = conv_bn_relu(branch3, 448, (1, 3), name=f"{name}_branch3_1x3")
    branch3 = conv_bn_relu(branch3, 512, (3, 1), name=f"{name}_branch3_3x1")
    branch3a = conv_bn_relu(branch3, 256, (3, 1), name=f"{name}_branch3_3x1b")
    branch3b = conv_bn_relu(branch3, 256, (1, 3), name=f"{name}_branch3_1x3b")
    return layers.Concatenate(name=f"{name}_concat")(
        [branch0, branch1, branch2a, branch2b, branch3a, branch3b])


def reduction_a(x, k: int, l: int, m: int, n: int, *, name: str,
                padding: str = "valid"):
    """Reduction-A (figure 7): halves the grid, adds ``n + m`` channels.

    Three branches, concatenated: ``n`` 3x3 with stride 2; ``k`` 1x1, ``l``
    3x3, ``m`` 3x3 with stride 2; 3x3 max pooling with stride 2. The paper's
    table 1 gives (k, l, m, n) per network (``REDUCTION_A_FILTERS``). With
    ``padding='valid'`` 35x35 -> 17x17; with ``'same'`` a side s goes to
    ceil(s / 2). Layers ``<name>_branch0_3x3``, ``<name>_branch1_1x1``,
    ``<name>_branch1_3x3``, ``<name>_branch1_3x3b``, ``<name>_branch2_pool``,
    ``<name>_concat``.

    Raises:
        ValueError: for a non-positive filter count, another padding, or an
            empty name.

    Reference:
        Szegedy et al. (2017), figure 7 and table 1.
    """
    for argument, value in {"k": k, "l": l, "m": m, "n": n}.items():
        _check_positive(value, argument)
    name = _check_name(name)
    padding = _check_padding(padding)
    branch0 = conv_bn_relu(x, n, 3, 2, padding, name=f"{name}_branch0_3x3")
    branch1 = conv_bn_relu(x, k, 1, name=f"{name}_branch1_1x1")
    branch1 = conv_bn_relu(branch1, l, 3, name=f"{name}_branch1_3x3")
    branch1 = conv_bn_relu(branch1, m, 3, 2, padding,
                           name=f"{name}_branch1_3x3b")
    pool = layers.MaxPooling2D(3, 2, padding=padding,
                               name=f"{name}_branch2_pool")(x)
    return layers.Concatenate(name=f"{name}_concat")([branch0, branch1, pool])


def reduction_b(x, *, name: str):
    """Inception-v4's Reduction-B (figure 8), 17x17x1024 -> 8x8x1536.

    Three branches: 192 1x1, 192 3x3 with stride 2; 256 1x1, 256 1x7, 320
    7x1, 320 3x3 with stride 2; 3x3 max pooling with stride 2 (all 'valid').

    Reference:
        Szegedy et al. (2017), figure 8.
    """
    name = _check_name(name)
    branch0 = conv_bn_relu(x, 192, 1, name=f"{name}_branch0_1x1")
    branch0 = conv_bn_relu(branch0, 192, 3, 2, "valid",
                           name=f"{name}_branch0_3x3")
    branch1 = conv_bn_relu(x, 256, 1, name=f"{name}_branch1_1x1")
    branch1 = conv_bn_relu(branch1, 256, (1, 7), name=f"{name}_branch1_1x7")
    branch1 = conv_bn_relu(branch1, 320, (7, 1), name=f"{name}_branch1_7x1")
    branch1 = conv_bn_relu(branch1, 320, 3, 2, "valid",
                           name=f"{name}_branch1_3x3")
    pool = layers.MaxPooling2D(3, 2, name=f"{name}_branch2_pool")(x)
    return layers.Concatenate(name=f"{name}_concat")([branch0, branch1, pool])


def inception_resnet_reduction_b(x, branches=INCEPTION_RESNET_REDUCTION_B, *,
                                 name: str, padding: str = "valid"):
    """Inception-ResNet-v2's Reduction-B (figure 18).

    One branch per entry of ``branches`` (the filters of its convolutions:
    1x1 first, then 3x3s, the last with stride 2), and a 3x3 max pooling
    with stride 2. Layers ``<name>_branch<b>_<j>`` (``j``-th convolution of
    branch ``b``), ``<name>_branch<B>_pool`` and ``<name>_concat``.

    Raises:
        ValueError: for an empty branch or filter count under 1, another
            padding, or an empty name.

    Reference:
        Szegedy et al. (2017), figure 18.
    """
    name = _check_name(name)
    padding = _check_padding(padding)
    outputs = []
    for b, filters in enumerate(branches):
        if len(filters) < 2:
            raise ValueError(
                "each branch of Reduction-B needs a 1x1 and at least one 3x3 "
                f"(two filter counts or more); received branch {b} = "
                f"{filters!r}.")
        y = conv_bn_relu(x, filters[0], 1, name=f"{name}_branch{b}_1")
        for j, width in enumerate(filters[1:], start=2):
            last = j == len(filters)
            y = conv_bn_relu(y, width, 3, 2 if last else 1,
                             padding if last else "same",
                             name=f"{name}_branch{b}_{j}")
        outputs.append(y)
    outputs.append(layers.MaxPooling2D(3, 2, padding=padding,
                                       name=f"{name}_branch{len(branches)}_pool")(x))
    return layers.Concatenate(name=f"{name}_concat")(outputs)


def inception_resnet_block(x, branches, scale: float | None = None, *,
                           name: str, activation: str | None = "relu"):
    """An Inception-ResNet block: x + scale * project(concat(branches(x))).

    Taught in ``inception_v4``. The branches are data (``INCEPTION_RESNET_A``,
    ``_B``, ``_C``: per branch, the (filters, kernel) of each convolution);
    their concatenation goes through a linear 1x1 convolution (with bias, no
    BN, no activation: the paper's "1x1 Conv (Linear)") back to the input's
    channels, so that it can be added to the input. ``scale`` multiplies that
    residual before the sum (figure 20; the paper uses 0.1 to 0.3 and Keras
    0.17, 0.1 and 0.2); ``None`` adds it unscaled and builds no scaling layer.
    Layers: ``<name>_branch<b>_<j>_<kernel>`` (``j``-th convolution of branch
    ``b``, e.g. ``block17_1_branch1_2_1x7``), ``<name>_mixed``, ``<name>_conv``
    (the projection), ``<name>_scale`` (a ``Rescaling``), ``<name>_add``,
    ``<name>_ac`` (the activation, if any).

    Args:
        x: the input tensor; its channels are the block's output channels.
        branches: a sequence of branches, each a sequence of
            ``(filters, kernel_size)``.
        scale: the residual scaling, a positive number, or None.
        name: prefix of the layers' names.
        activation: after the sum (``'relu'``), or None (Keras' last block).

    Returns:
        The output tensor, of the input's shape.

    Raises:
        ValueError: for no branches, an empty branch, a non-positive scale or
            filter count, or an empty name.

    Reference:
        Szegedy et al. (2017), figures 16, 17, 19 and 20.
    """
    name = _check_name(name)
    channels = _channels(x, "inception_resnet_block")
    if not branches or any(not branch for branch in branches):
        raise ValueError(
            "branches must be a non-empty sequence of non-empty branches, "
            "each a sequence of (filters, kernel_size), e.g. "
            f"blocks.INCEPTION_RESNET_A; received branches={branches!r}.")
    if scale is not None and (isinstance(scale, bool)
                              or not isinstance(scale, numbers.Real)
                              or scale <= 0):
        raise ValueError(
            "scale must be a positive number (the paper uses 0.1 to 0.3) or "
            f"None for no scaling; received scale={scale!r}.")
    outputs = []
    for b, branch in enumerate(branches):
        y = x
        for j, (filters, kernel_size) in enumerate(branch, start=1):
            y = conv_bn_relu(y, filters, kernel_size,
                             name=f"{name}_branch{b}_{j}_{_kernel_text(kernel_size)}")
        outputs.append(y)
    mixed = (layers.Concatenate(name=f"{name}_mixed")(outputs)
             if len(outputs) > 1 else outputs[0])
    residual = layers.Conv2D(channels, 1, use_bias=True,
                             name=f"{name}_conv")(mixed)
    if scale is not None:
        residual = layers.Rescaling(float(scale), name=f"{name}_scale")(residual)
    x = layers.Add(name=f"{name}_add")([x, residual])
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_ac")(x)
    return x
