"""Fashion-MNIST models that several chapters train, with their recipes.

A chapter that compares its network with one taught earlier builds the earlier
one here and trains it with :func:`book.lib.training.train` and the same
recipe, ``RECIPES[name]``, so that the book's training cache finds the run
already done and the comparison costs nothing::

    model = models.fashion_cnn()
    result = training.train(model, x_train, y_train, **models.RECIPES["fashion_cnn"])

Every builder takes no required argument, expects ``data.IMAGE_SHAPE`` inputs
and ends in a softmax over ``data.NUM_CLASSES`` classes. Each one seeds the
initial weights (``seed=42`` by default, through ``config.set_seeds``), so that
every chapter starts from the same weights and so hits the same cache entry.
The networks are built from the blocks that the chapters teach
(:mod:`book.lib.blocks`); a block's layers keep the names they had here, so
that the cache and the chapters' tables still find them.

The models:

* :func:`fashion_mlp`: the multilayer perceptron of ``deep_networks``.
* :func:`fashion_cnn`: the small convolutional network of ``first_cnn``.
* :func:`fashion_vgg`: the slim VGG of ``vgg``.
* :func:`fashion_inception`: the small Inception network of ``inception``.
* :func:`fashion_resnet`: the small ResNet (CIFAR-style ResNet-20) of ``resnet``.
* :func:`fashion_se_resnet`: ``fashion_resnet`` with squeeze-and-excitation
  blocks, of ``senet``.
* :func:`fashion_cnn_augmented`: ``fashion_cnn`` behind an augmentation
  block, of ``augmentation``.
* :func:`fashion_cnn_tunable`: ``fashion_cnn`` with its filters and dropout
  as arguments, the network that ``hparam_search`` tunes.
* :func:`fashion_lenet`: the modern LeNet-5 of ``lenet_alexnet``.
* :func:`fashion_alexnet`: the slim AlexNet of ``lenet_alexnet``.
* :func:`fashion_inception_resnet` (and ``_unscaled``): the small
  Inception-ResNet of ``inception_v4``, with and without residual scaling.
* :func:`fashion_all_conv`: the small all-convolutional network of
  ``all_conv`` (strided convolutions, class maps and global average pooling).
* :func:`fashion_mobilenet`: the small MobileNet (depthwise separable blocks,
  width multiplier ``alpha``) of ``mobilenet``.
"""

from __future__ import annotations

import numbers

import keras
from keras import layers

from book.lib import blocks, config, data

#: The book's common budget for the small networks that train on all of
#: Fashion-MNIST: 4 epochs of 54,000 images (a tenth of the 60,000 held out for
#: validation). The chapters compare their networks at these equal passes over
#: the data; the one exception, the Inception-ResNets (3 epochs), is said where
#: it matters. The budget is set by the full build of the whole book, which has
#: to train every network once within an hour on a 2-core CPU: at 8 epochs,
#: the first 20 of its 32 notebooks alone took 51 minutes there. The cost of
#: the halving, read from the 8-epoch runs' histories: validation accuracy
#: after epoch 4 was 1.0 to 1.5 points below epoch 8 for most networks
#: (fashion_cnn 89.9% against 91.4%), 2.6 for all_conv and 4.2 for
#: fashion_inception, which converge slowest; fashion_resnet and
#: fashion_mobilenet were within 0.4 points of their best epoch.
COMMON_EPOCHS = 4

#: The recipe of those networks: the common budget, Adam at 1e-3, batches of
#: 128, a tenth of the training images held out to validate.
_COMMON_RECIPE = dict(epochs=COMMON_EPOCHS, batch_size=128, learning_rate=1e-3,
                      validation_split=0.1)

#: Full-mode training recipe of each model: keyword arguments of
#: ``training.train`` (``epochs``, ``batch_size``, ``learning_rate`` for Adam,
#: ``validation_split``). Quick mode lowers ``epochs`` in the notebook. The
#: throughputs quoted are those of the full build on a 2-core CPU (AMD EPYC).
RECIPES: dict[str, dict] = {
    # deep_networks: 10 epochs of Adam (1e-3), batches of 128, 10% validation;
    # the perceptron runs at about 27,000 images/s, so 10 epochs take 22 s.
    "fashion_mlp": dict(epochs=10, batch_size=128, learning_rate=1e-3,
                        validation_split=0.1),
    # first_cnn: 7.6 M MACs per image at about 2,900 images/s, so the common
    # 4 epochs take about 80 s; about 90% test accuracy.
    "fashion_cnn": dict(_COMMON_RECIPE),
    # vgg: the same recipe as fashion_cnn, for a fair comparison; about the
    # same MACs per image (7.4 M) and speed.
    "fashion_vgg": dict(_COMMON_RECIPE),
    # inception: compared with the two above at equal arithmetic (7.7 M MACs
    # per image) and equal passes over the data; its four-branch modules of
    # small convolutions run slower per MAC on a CPU (about 1,700 images/s),
    # and the chapter reports each model's seconds per epoch.
    "fashion_inception": dict(_COMMON_RECIPE),
    # resnet: 8.5 M MACs per image, but batch normalization after each of its
    # 19 convolutions: about 1,400 images/s.
    "fashion_resnet": dict(_COMMON_RECIPE),
    # senet: fashion_resnet's recipe; the SE blocks add 0.1% to the MACs but
    # nine small pooling-dense-multiply paths, which cost more time than MACs
    # on a CPU (the chapter measures it).
    "fashion_se_resnet": dict(_COMMON_RECIPE),
    # augmentation: 2,000 training images (data.take_subset), so that the
    # network overfits, validated on 5,000 other training images passed as
    # validation_data. fashion_cnn trains with this same recipe there, for a
    # fair comparison; each epoch is 2,000 images, a second or two on a CPU.
    "fashion_cnn_augmented": dict(epochs=60, batch_size=128, learning_rate=1e-3),
    # lenet_alexnet: LeNet-5 does 0.42 M MACs per image, an eighteenth of
    # fashion_cnn's: the common 4 epochs take about half a minute.
    "fashion_lenet": dict(_COMMON_RECIPE),
    # lenet_alexnet: the slim AlexNet does about fashion_cnn's MACs (7.0 M
    # per image) at about 3,000 images/s.
    "fashion_alexnet": dict(_COMMON_RECIPE),
    # hparam_search: one trial of the search, on a subset of 1,500 training
    # images validated on 5,000 held-out ones (validation_data); each trial
    # sets its own learning_rate, base_filters and dropout. Two epochs of
    # 1,500 images take a few seconds (model building included), so the
    # chapter's two dozen trials and its retrainings fit a few minutes.
    "fashion_cnn_tunable": dict(epochs=2, batch_size=128, learning_rate=1e-3),
    # inception_v4: the small Inception-ResNet, with residual scaling 0.2 and
    # without, the same recipe for both. 6.2 M MACs per image, but 140 small
    # layers: about 1,100 images/s (50 s per epoch), the slowest network per
    # image, trained twice; so 3 epochs each, one under the common budget (the
    # chapter says so where it compares them with the others). In the 4-epoch
    # runs, validation accuracy after epoch 3 was 86.4% and 86.8%.
    "fashion_inception_resnet": dict(epochs=3, batch_size=128,
                                     learning_rate=1e-3, validation_split=0.1),
    "fashion_inception_resnet_unscaled": dict(epochs=3, batch_size=128,
                                              learning_rate=1e-3,
                                              validation_split=0.1),
    # all_conv: 5.5 M MACs per image, under fashion_cnn's 7.6 M, but all its
    # layers work at 28x28 to 5x5 without pooling in between.
    "fashion_all_conv": dict(_COMMON_RECIPE),
    # mobilenet: 3.4 M MACs per image, under half of fashion_cnn's, but its
    # depthwise layers run far below the CPU's peak (about 1,900 images/s).
    "fashion_mobilenet": dict(_COMMON_RECIPE),
}

#: Filters of the three convolution blocks of ``fashion_cnn``.
#: 28x28 -> 14x14 -> 7x7 -> 3x3.
FASHION_CNN_FILTERS = (32, 64, 128)


def _seed(seed: int | None) -> None:
    if seed is not None:
        config.set_seeds(seed)


def fashion_mlp(seed: int | None = 42) -> keras.Model:
    """The multilayer perceptron of the chapter ``deep_networks``.

    Flatten the 28x28 image, two hidden ReLU layers of 256 and 128 units with
    20% dropout between them, and a 10-way softmax: 235,146 parameters.

    Args:
        seed: seeds the initial weights (``config.set_seeds``) before building;
            None keeps the current random state.

    Returns:
        An uncompiled ``keras.Sequential`` model named ``mlp``.
    """
    _seed(seed)
    return keras.Sequential(
        [
            # A named input: the training cache compares architectures,
            # names included, and Keras would number an unnamed one.
            keras.Input(shape=data.IMAGE_SHAPE, name="image"),
            layers.Flatten(name="flatten"),
            layers.Dense(256, activation="relu", name="hidden1"),
            layers.Dropout(0.2, name="dropout"),
            layers.Dense(128, activation="relu", name="hidden2"),
            layers.Dense(data.NUM_CLASSES, activation="softmax", name="output"),
        ],
        name="mlp",
    )


def fashion_cnn(seed: int | None = 42) -> keras.Model:
    """The small CNN of the chapter ``first_cnn``: three conv blocks, one dense layer.

    ``block1``-``block3``: a 3x3 convolution with 32, 64 and 128 filters, each
    followed by 2x2 max pooling (28 -> 14 -> 7 -> 3), that is
    ``blocks.vgg_block`` with one convolution; then flatten, a dense
    layer of 128 ReLU units, 50% dropout and a 10-way softmax: 241,546
    parameters and 7,599,872 MACs per image, a twelfth of the MACs of the
    classic Fashion-MNIST CNN of Géron's book, so that its recipe
    (``RECIPES["fashion_cnn"]``) trains in a few minutes on a 2-core CPU.

    Args:
        seed: seeds the initial weights (``config.set_seeds``) before building;
            None keeps the current random state.

    Returns:
        An uncompiled functional ``keras.Model`` named ``fashion_cnn``.
    """
    _seed(seed)
    inputs = keras.Input(shape=data.IMAGE_SHAPE, name="image")
    x = inputs
    for i, filters in enumerate(FASHION_CNN_FILTERS, start=1):
        x = blocks.vgg_block(x, filters, 1, name=f"block{i}")
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(128, activation="relu", name="hidden")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    outputs = layers.Dense(data.NUM_CLASSES, activation="softmax",
                           name="output")(x)
    return keras.Model(inputs, outputs, name="fashion_cnn")


#: (convolutions, filters) of the three blocks of ``fashion_vgg``, as VGG's
#: table: two 3x3 convolutions per block, filters doubling after each pooling.
#: 28x28 -> 14x14 -> 7x7 -> 3x3.
FASHION_VGG_STAGES = ((2, 16), (2, 32), (2, 64))


def fashion_vgg(seed: int | None = 42) -> keras.Model:
    """The slim VGG of the chapter ``vgg``: three blocks of two 3x3 convolutions.

    ``block1``-``block3`` (``FASHION_VGG_STAGES``, each a
    ``blocks.vgg_block``): two 3x3 convolutions with
    16, 32 and 64 filters, each block followed by 2x2 max pooling
    (28 -> 14 -> 7 -> 3); then flatten, a dense layer of 128 ReLU units
    (``fc1``), 50% dropout and a 10-way softmax (``predictions``): 146,938
    parameters and 7,413,248 MACs per image. Twice as deep as
    ``fashion_cnn`` and with about the same MACs (7,599,872), so that the
    two train in about the same time with the same recipe
    (``RECIPES["fashion_vgg"]``).

    Args:
        seed: seeds the initial weights (``config.set_seeds``) before building;
            None keeps the current random state.

    Returns:
        An uncompiled functional ``keras.Model`` named ``fashion_vgg``.
    """
    _seed(seed)
    inputs = keras.Input(shape=data.IMAGE_SHAPE, name="image")
    x = inputs
    for i, (num_convs, filters) in enumerate(FASHION_VGG_STAGES, start=1):
        x = blocks.vgg_block(x, filters, num_convs, name=f"block{i}")
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(128, activation="relu", name="fc1")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    outputs = layers.Dense(data.NUM_CLASSES, activation="softmax",
                           name="predictions")(x)
    return keras.Model(inputs, outputs, name="fashion_vgg")


#: The two Inception modules of ``fashion_inception``, with the columns of
#: GoogLeNet's table 1: (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj).
#: 14x14x32 -> 14x14x112, then 7x7x112 -> 7x7x224.
FASHION_INCEPTION_MODULES = {
    "inception_1": (32, 32, 48, 8, 16, 16),
    "inception_2": (64, 48, 96, 16, 32, 32),
}


def fashion_inception(seed: int | None = 42) -> keras.Model:
    """The small Inception network of the chapter ``inception``.

    A 3x3 stem convolution with 32 filters and 3x3/2 max pooling
    (28 -> 14), the module ``inception_1`` (14x14x112), 3x3/2 max pooling
    (``pool_1``, 14 -> 7), the module ``inception_2`` (7x7x224), both
    ``blocks.inception_module``, then, as in
    GoogLeNet, global average pooling, 40% dropout and a 10-way softmax
    (``FASHION_INCEPTION_MODULES``): 95,042 parameters and 7,654,080 MACs
    per image, about those of ``fashion_cnn`` and ``fashion_vgg``, so that
    the chapter compares three designs at the same arithmetic.

    Args:
        seed: seeds the initial weights (``config.set_seeds``) before building;
            None keeps the current random state.

    Returns:
        An uncompiled functional ``keras.Model`` named ``fashion_inception``.

    Reference:
        Szegedy et al., "Going Deeper with Convolutions", CVPR 2015.
    """
    _seed(seed)
    inputs = keras.Input(shape=data.IMAGE_SHAPE, name="image")
    x = layers.Conv2D(32, 3, padding="same", activation="relu",
                      name="stem_conv")(inputs)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    for i, (name, filters) in enumerate(FASHION_INCEPTION_MODULES.items()):
        if i:
            x = layers.MaxPooling2D(3, strides=2, padding="same",
                                    name=f"pool_{i}")(x)
        x = blocks.inception_module(x, *filters, name=name)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(0.4, name="dropout")(x)
    outputs = layers.Dense(data.NUM_CLASSES, activation="softmax",
                           name="predictions")(x)
    return keras.Model(inputs, outputs, name="fashion_inception")


#: LeNet-5's layers (LeCun et al. 1998, figure 2), modernized: (filters,
#: kernel size) of C1 and C3, each followed by 2x2 max pooling (S2, S4).
#: 32x32 (28x28 padded by 2) -> 28 -> 14 -> 10 -> 5, then C5 (5x5, 120 maps,
#: 1x1), F6 (84 units) and the output.
FASHION_LENET_STAGES = ((6, 5), (16, 5))


def fashion_lenet(seed: int | None = 42) -> keras.Model:
    """The modern LeNet-5 of the chapter ``lenet_alexnet``.

    The paper's layers on 32x32 inputs (Fashion-MNIST's 28x28 padded with 2
    zeros on each side, ``pad``), with the replacements later networks made:
    ReLU for the scaled tanh, max pooling for the trainable subsampling, a
    fully connected C3 for the paper's connection table, and a softmax for
    the RBF output. ``block1_conv`` (C1, 6 maps 5x5), ``block1_pool`` (S2),
    ``block2_conv`` (C3, 16 maps), ``block2_pool`` (S4), ``c5`` (120 maps
    5x5, 1x1 output), ``f6`` (84 ReLU units) and ``output`` (10-way softmax):
    61,706 parameters and 416,520 MACs per image.

    Args:
        seed: seeds the initial weights (``config.set_seeds``) before building;
            None keeps the current random state.

    Returns:
        An uncompiled functional ``keras.Model`` named ``fashion_lenet``.

    Reference:
        LeCun et al., "Gradient-Based Learning Applied to Document
        Recognition", Proc. IEEE 1998, section II.B and figure 2.
    """
    _seed(seed)
    inputs = keras.Input(shape=data.IMAGE_SHAPE, name="image")
    x = layers.ZeroPadding2D(2, name="pad")(inputs)
    for i, (filters, kernel_size) in enumerate(FASHION_LENET_STAGES, start=1):
        x = blocks.conv_pool_block(x, filters, kernel_size, pool_size=2,
                                   name=f"block{i}")
    x = layers.Conv2D(120, 5, activation="relu", name="c5")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(84, activation="relu", name="f6")(x)
    outputs = layers.Dense(data.NUM_CLASSES, activation="softmax",
                           name="output")(x)
    return keras.Model(inputs, outputs, name="fashion_lenet")


#: The five convolutions of ``fashion_alexnet``, as AlexNet's figure 2 reads:
#: (filters, kernel size, overlapping 3x3/2 pooling after it).
#: 28x28 -> 13x13 -> 6x6 -> 6x6 -> 6x6 -> 2x2.
FASHION_ALEXNET_STAGES = (
    (16, 5, True), (48, 5, True), (64, 3, False), (64, 3, False), (48, 3, True))


def fashion_alexnet(seed: int | None = 42) -> keras.Model:
    """The slim AlexNet of the chapter ``lenet_alexnet``, for 28x28 images.

    AlexNet's shape at Fashion-MNIST's size (``FASHION_ALEXNET_STAGES``, each
    a ``blocks.conv_pool_block`` with 'same' padding): five ReLU
    convolutions, overlapping 3x3/2 max pooling after the first, second and
    fifth (28 -> 13 -> 6 -> 2); then two dense layers of 256 ReLU units
    (``fc6``, ``fc7``), each followed by 50% dropout, and a 10-way softmax
    (``predictions``): 229,770 parameters and 6,993,408 MACs per image, about
    those of ``fashion_cnn``. Two of the paper's ingredients are left out,
    as the chapter measures: the two-GPU split (``groups=1``; on a CPU
    TensorFlow's grouped convolution runs slower than the full one) and
    local response normalization (it has no weights and no MACs, but made
    each training epoch about four times slower on a 2-core CPU).

    Args:
        seed: seeds the initial weights (``config.set_seeds``) before building;
            None keeps the current random state.

    Returns:
        An uncompiled functional ``keras.Model`` named ``fashion_alexnet``.

    Reference:
        Krizhevsky, Sutskever and Hinton, "ImageNet Classification with Deep
        Convolutional Neural Networks", NIPS 2012, section 3 and figure 2.
    """
    _seed(seed)
    inputs = keras.Input(shape=data.IMAGE_SHAPE, name="image")
    x = inputs
    for i, (filters, kernel_size, pool) in enumerate(
            FASHION_ALEXNET_STAGES, start=1):
        x = blocks.conv_pool_block(
            x, filters, kernel_size, padding="same",
            pool_size=3 if pool else None, pool_strides=2, name=f"block{i}")
    x = layers.Flatten(name="flatten")(x)
    for name in ("fc6", "fc7"):
        x = layers.Dense(256, activation="relu", name=name)(x)
        x = layers.Dropout(0.5, name=f"{name}_dropout")(x)
    outputs = layers.Dense(data.NUM_CLASSES, activation="softmax",
                           name="predictions")(x)
    return keras.Model(inputs, outputs, name="fashion_alexnet")


def fashion_cnn_augmented(seed: int | None = 42) -> keras.Model:
    """``fashion_cnn`` behind an augmentation block, of the chapter ``augmentation``.

    The input goes through ``blocks.augmentation_block`` with its defaults
    (shifts of up to 8%, rotations of up to 8 degrees and zooms of up to 8%,
    filling with black, and no flip; layers ``augment_*``), then through exactly the layers of ``fashion_cnn``, with
    the same names and, for the same ``seed``, the same initial weights. The
    random layers have no weights and are the identity at inference, so the
    model has ``fashion_cnn``'s 241,546 parameters and 7,599,872 MACs per
    image; only training sees the changed images.

    Args:
        seed: seeds the initial weights (``config.set_seeds``) before building;
            None keeps the current random state. The augmentation layers draw
            from their own seeds (``blocks.augmentation_block``).

    Returns:
        An uncompiled functional ``keras.Model`` named
        ``fashion_cnn_augmented``.
    """
    _seed(seed)
    inputs = keras.Input(shape=data.IMAGE_SHAPE, name="image")
    x = blocks.augmentation_block(inputs, name="augment")
    for i, filters in enumerate(FASHION_CNN_FILTERS, start=1):
        x = blocks.vgg_block(x, filters, 1, name=f"block{i}")
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(128, activation="relu", name="hidden")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    outputs = layers.Dense(data.NUM_CLASSES, activation="softmax",
                           name="output")(x)
    return keras.Model(inputs, outputs, name="fashion_cnn_augmented")


def fashion_cnn_tunable(base_filters: int = 32, dropout: float = 0.5,
                        seed: int | None = 42) -> keras.Model:
    """``fashion_cnn`` with its width and dropout as arguments, of ``hparam_search``.

    Three ``blocks.vgg_block`` of one 3x3 convolution with ``base_filters``,
    ``2 * base_filters`` and ``4 * base_filters`` filters (28 -> 14 -> 7 -> 3),
    then flatten, a dense layer of 128 ReLU units, ``dropout`` and a 10-way
    softmax, with ``fashion_cnn``'s layer names. With the defaults it is
    ``fashion_cnn`` (241,546 parameters, 7,599,872 MACs per image); with
    ``base_filters=8``, 44,170 parameters and 546,176 MACs.

    Args:
        base_filters: filters of the first block, a positive integer; the
            next blocks double it.
        dropout: the dropout rate before the output layer, in [0, 1).
        seed: seeds the initial weights (``config.set_seeds``) before building;
            None keeps the current random state.

    Returns:
        An uncompiled functional ``keras.Model`` named ``fashion_cnn_tunable``.

    Raises:
        ValueError: if ``base_filters`` is not a positive integer or
            ``dropout`` is not in [0, 1).
    """
    if (isinstance(base_filters, bool)
            or not isinstance(base_filters, numbers.Integral) or base_filters < 1):
        raise ValueError(
            "base_filters must be a positive integer (the filters of the first "
            f"block); received base_filters={base_filters!r}. Pass e.g. 16 or 32.")
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not (
            0 <= dropout < 1):
        raise ValueError(
            "dropout must be a rate in [0, 1); received "
            f"dropout={dropout!r}. Pass e.g. 0.5 (drop half the units).")
    _seed(seed)
    inputs = keras.Input(shape=data.IMAGE_SHAPE, name="image")
    x = inputs
    for i, factor in enumerate((1, 2, 4), start=1):
        x = blocks.vgg_block(x, factor * int(base_filters), 1, name=f"block{i}")
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(128, activation="relu", name="hidden")(x)
    x = layers.Dropout(float(dropout), name="dropout")(x)
    outputs = layers.Dense(data.NUM_CLASSES, activation="softmax",
                           name="output")(x)
    return keras.Model(inputs, outputs, name="fashion_cnn_tunable")


#: (filters, blocks, stride of the first block) of the three stages of
#: ``fashion_resnet``: He et al. (2016), section 4.2, with n = 3 (ResNet-20).
#: 14x14 -> 7x7 -> 4x4 after a strided stem.
FASHION_RESNET_STAGES = ((16, 3, 1), (32, 3, 2), (64, 3, 2))


def fashion_resnet(seed: int | None = 42) -> keras.Model:
    """The small ResNet of the chapter ``resnet``: the CIFAR ResNet-20, on 14x14 maps.

    He et al.'s network for CIFAR-10 (section 4.2): a 3x3 convolution with
    16 filters, three stages of ``n = 3`` basic residual blocks
    (``blocks.residual_block``) with 16, 32 and 64 filters, the first block
    of the second and third stage with stride 2, global average pooling and
    a 10-way softmax: 6n + 2 = 20 layers with weights. The shortcuts are the
    paper's option A (zero-padded identities, no parameters), and the
    convolutions have no biases (batch normalization follows each one). One
    change for the CPU: the stem convolution has stride 2 (``conv1``, 28 ->
    14), so the stages see 14x14, 7x7 and 4x4 maps instead of the paper's
    32x32, 16x16 and 8x8 (``FASHION_RESNET_STAGES``): 270,810 parameters
    and 8,466,112 MACs per image, near ``fashion_cnn``'s 7.6 million.

    Args:
        seed: seeds the initial weights (``config.set_seeds``) before building;
            None keeps the current random state.

    Returns:
        An uncompiled functional ``keras.Model`` named ``fashion_resnet``.

    Reference:
        He et al., "Deep Residual Learning for Image Recognition", CVPR 2016,
        section 4.2.
    """
    _seed(seed)
    return _cifar_resnet("fashion_resnet", se_ratio=None)


def _cifar_resnet(name: str, se_ratio: int | None) -> keras.Model:
    """``fashion_resnet``'s network, with SE blocks where ``se_ratio`` is set."""
    inputs = keras.Input(shape=data.IMAGE_SHAPE, name="image")
    x = layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False,
                      name="conv1_conv")(inputs)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    for stage, (filters, num_blocks, stride) in enumerate(
            FASHION_RESNET_STAGES, start=2):
        for block in range(1, num_blocks + 1):
            x = blocks.residual_block(
                x, filters, stride if block == 1 else 1, use_bias=False,
                shortcut_option="A", se_ratio=se_ratio,
                name=f"conv{stage}_block{block}")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Dense(data.NUM_CLASSES, activation="softmax",
                           name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


# ---------------------------------------------------------------------------
# senet: the small ResNet with squeeze-and-excitation.
# ---------------------------------------------------------------------------

#: Reduction ratio of ``fashion_se_resnet``'s SE blocks. The paper's r = 16
#: would leave a single unit in the excitation of the 16-channel stage; with
#: r = 4 the three stages keep 4, 8 and 16 units.
FASHION_SE_RATIO = 4


def fashion_se_resnet(seed: int | None = 42) -> keras.Model:
    """The small SE-ResNet of the chapter ``senet``: ``fashion_resnet`` with SE blocks.

    ``fashion_resnet`` (the CIFAR ResNet-20 on 14x14 maps, option A
    shortcuts) with a squeeze-and-excitation block (``blocks.se_block``,
    reduction ratio ``FASHION_SE_RATIO`` = 4) on the residual branch of each
    of its nine blocks, after the second BN and before the add
    (``conv2_block1_se_squeeze``... ``conv2_block1_se_excite``), as Hu et al.
    put it in SE-ResNet (figure 3). Everything else, names included, is
    ``fashion_resnet``'s: 279,294 parameters (8,484 more, the SE blocks'
    dense layers with their biases) and 8,474,176 MACs per image (8,064
    more, their matrix products; the squeeze's adds and the scale's
    multiplies are in the ``pool_ops`` and ``elementwise_ops`` columns of
    ``costs.layer_costs``).

    Args:
        seed: seeds the initial weights (``config.set_seeds``) before building;
            None keeps the current random state.

    Returns:
        An uncompiled functional ``keras.Model`` named ``fashion_se_resnet``.

    Reference:
        Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018, figure 3;
        He et al., "Deep Residual Learning for Image Recognition", CVPR 2016,
        section 4.2.
    """
    _seed(seed)
    return _cifar_resnet("fashion_se_resnet", se_ratio=FASHION_SE_RATIO)


# ---------------------------------------------------------------------------
# inception_v4: a small Inception-ResNet.
# ---------------------------------------------------------------------------

#: The narrowed blocks of ``fashion_inception_resnet`` (Inception-ResNet-v2's
#: branches with about a quarter of the filters), how many of each, and the
#: Reduction filters: 14x14x32 -> 7x7x80 -> 4x4x204.
FASHION_INCEPTION_RESNET = {
    "stem_filters": 32,
    "block_a": (((8, 1),), ((8, 1), (8, 3)), ((8, 1), (12, 3), (16, 3))),
    "repeats_a": 2,
    "reduction_a": (16, 16, 24, 24),  # k, l, m, n of table 1.
    "block_b": (((24, 1),), ((16, 1), (20, (1, 7)), (24, (7, 1)))),
    "repeats_b": 2,
    "reduction_b": ((32, 48), (32, 36), (32, 36, 40)),
    "block_c": (((24, 1),), ((24, 1), (28, (1, 3)), (32, (3, 1)))),
    "repeats_c": 1,
}


def fashion_inception_resnet(residual_scale: float | None = 0.2,
                             seed: int | None = 42) -> keras.Model:
    """The small Inception-ResNet of the chapter ``inception_v4``.

    Inception-ResNet-v2's plan at Fashion-MNIST's size: a one-convolution
    stem (3x3, stride 2: 28x28 -> 14x14x32) instead of figure 3's, two
    Inception-ResNet-A blocks, Reduction-A (14x14 -> 7x7x80), two
    Inception-ResNet-B blocks, Reduction-B (7x7 -> 4x4x204), one
    Inception-ResNet-C block, global average pooling and a 10-way softmax.
    The blocks keep the paper's branches with about a quarter of the filters
    (``FASHION_INCEPTION_RESNET``), and the reductions use 'same' padding so
    that the small maps do not shrink to nothing.

    Args:
        residual_scale: the residual scaling of every block (figure 20), or
            None for none (the residuals are added unscaled).
        seed: seeds the initial weights (``config.set_seeds``); None keeps
            the current random state.

    Returns:
        An uncompiled functional ``keras.Model``, ``fashion_inception_resnet``
        (``fashion_inception_resnet_unscaled`` when ``residual_scale`` is None).

    Raises:
        ValueError: for a residual_scale that is not a positive number or None.

    Reference:
        Szegedy et al., "Inception-v4, Inception-ResNet and the Impact of
        Residual Connections on Learning", AAAI 2017.
    """
    if residual_scale is not None and (
            isinstance(residual_scale, bool)
            or not isinstance(residual_scale, numbers.Real)
            or residual_scale <= 0):
        raise ValueError(
            "residual_scale must be a positive number (the paper uses 0.1 to "
            f"0.3) or None; received residual_scale={residual_scale!r}.")
    plan = FASHION_INCEPTION_RESNET
    _seed(seed)
    inputs = keras.Input(shape=data.IMAGE_SHAPE, name="image")
    x = blocks.conv_bn_relu(inputs, plan["stem_filters"], 3, 2,
                            name="stem")  # 14x14x32
    for i in range(1, plan["repeats_a"] + 1):
        x = blocks.inception_resnet_block(x, plan["block_a"], residual_scale,
                                          name=f"block35_{i}")
    x = blocks.reduction_a(x, *plan["reduction_a"], name="mixed_6a",
                           padding="same")  # 7x7x80
    for i in range(1, plan["repeats_b"] + 1):
        x = blocks.inception_resnet_block(x, plan["block_b"], residual_scale,
                                          name=f"block17_{i}")
    x = blocks.inception_resnet_reduction_b(x, plan["reduction_b"],
                                            name="mixed_7a",
                                            padding="same")  # 4x4x204
    for i in range(1, plan["repeats_c"] + 1):
        x = blocks.inception_resnet_block(x, plan["block_c"], residual_scale,
                                          name=f"block8_{i}")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Dense(data.NUM_CLASSES, activation="softmax",
                           name="predictions")(x)
    name = ("fashion_inception_resnet" if residual_scale is not None
            else "fashion_inception_resnet_unscaled")
    return keras.Model(inputs, outputs, name=name)


def fashion_inception_resnet_unscaled(seed: int | None = 42) -> keras.Model:
    """``fashion_inception_resnet`` without residual scaling (the control)."""
    return fashion_inception_resnet(None, seed)


# ---------------------------------------------------------------------------
# all_conv: a small all-convolutional network.
# ---------------------------------------------------------------------------

#: The convolutions of ``fashion_all_conv``, read like the All-CNN-C column of
#: Springenberg et al.'s table 2: (name, filters, kernel size, stride,
#: padding). The two stride-2 convolutions take the place of max pooling.
#: 28x28 -> 28 -> 14 -> 14 -> 7 -> 5 -> 5, then ``class_maps`` (5x5x10).
FASHION_ALL_CONV_LAYERS = (
    ("conv1", 24, 3, 1, "same"),
    ("conv2", 24, 3, 2, "same"),
    ("conv3", 48, 3, 1, "same"),
    ("conv4", 48, 3, 2, "same"),
    ("conv5", 96, 3, 1, "valid"),
    ("conv6", 96, 1, 1, "valid"),
)


def fashion_all_conv(seed: int | None = 42) -> keras.Model:
    """The small all-convolutional network of the chapter ``all_conv``.

    All-CNN-C's plan at Fashion-MNIST's size, with a quarter of its filters
    (``FASHION_ALL_CONV_LAYERS``): ReLU convolutions only, the side halved by
    two 3x3 convolutions with stride 2 instead of max pooling (28 -> 14 ->
    7), a 'valid' 3x3 convolution (7 -> 5) and a 1x1 one; then a linear 1x1
    convolution to one map per class (``class_maps``, 5x5x10), global average
    pooling (``avg_pool``) and a softmax (``predictions``): no dense layer,
    88,498 parameters and 5,524,800 MACs per image. One change from the
    paper: the class maps have no ReLU, so that they are the class
    activation maps of Zhou et al. (2016) as they are, and a class can score
    below zero.

    Args:
        seed: seeds the initial weights (``config.set_seeds``) before building;
            None keeps the current random state.

    Returns:
        An uncompiled functional ``keras.Model`` named ``fashion_all_conv``.

    Reference:
        Springenberg et al., "Striving for Simplicity: The All Convolutional
        Net", ICLR 2015 (workshop), table 2; Lin, Chen and Yan, "Network In
        Network", ICLR 2014, section 3.2.
    """
    _seed(seed)
    inputs = keras.Input(shape=data.IMAGE_SHAPE, name="image")
    x = inputs
    for name, filters, kernel_size, stride, padding in FASHION_ALL_CONV_LAYERS:
        x = layers.Conv2D(filters, kernel_size, strides=stride, padding=padding,
                          activation="relu", name=name)(x)
    x = layers.Conv2D(data.NUM_CLASSES, 1, name="class_maps")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Activation("softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="fashion_all_conv")


# ---------------------------------------------------------------------------
# mobilenet: a small MobileNet.
# ---------------------------------------------------------------------------

#: (pointwise filters, stride) of the depthwise separable blocks of
#: ``fashion_mobilenet``: the first five rows of MobileNet's table 1 after its
#: stem, on a 14x14 map. 14x14 -> 14 -> 7 -> 7 -> 4 -> 4.
FASHION_MOBILENET_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1))


def fashion_mobilenet(alpha: float = 1.0, seed: int | None = 42) -> keras.Model:
    """The small MobileNet of the chapter ``mobilenet``.

    MobileNet v1's plan (Howard et al., 2017, table 1) at Fashion-MNIST's
    size: a 3x3 convolution with stride 2 and ``32 alpha`` filters (28 ->
    14), BN and ReLU (``conv1``, ``conv1_bn``, ``conv1_relu``); then the
    depthwise separable blocks of ``FASHION_MOBILENET_BLOCKS``
    (``blocks.separable_block``: a 3x3 depthwise convolution, BN, ReLU, a 1x1
    convolution, BN, ReLU; ``conv_1`` to ``conv_5``), each with ``int(filters
    * alpha)`` pointwise filters; global average pooling (``avg_pool``) and a
    10-way softmax (``predictions``). With ``alpha = 1``: 139,146
    parameters and 3,433,920 MACs per image, under half of
    ``fashion_cnn``'s 7.6 million; with ``alpha = 0.5``, 38,346 and 922,336.

    Args:
        alpha: the paper's width multiplier: every layer's channels are
            multiplied by it (rounded down, at least 1), as in
            ``keras.applications.MobileNet``.
        seed: seeds the initial weights (``config.set_seeds``) before building;
            None keeps the current random state.

    Returns:
        An uncompiled functional ``keras.Model`` named ``fashion_mobilenet``
        (``fashion_mobilenet_<alpha>`` for another width).

    Raises:
        ValueError: if ``alpha`` is not a number in (0, 1].

    Reference:
        Howard et al., "MobileNets: Efficient Convolutional Neural Networks
        for Mobile Vision Applications", arXiv:1704.04861, 2017, table 1,
        figure 3 and section 3.3.
    """
    if (isinstance(alpha, bool) or not isinstance(alpha, numbers.Real)
            or not 0 < alpha <= 1):
        raise ValueError(
            "alpha (the width multiplier) must be a number in (0, 1], as in "
            f"the paper (1, 0.75, 0.5, 0.25); received alpha={alpha!r}.")
    _seed(seed)
    inputs = keras.Input(shape=data.IMAGE_SHAPE, name="image")
    x = layers.Conv2D(max(1, int(32 * alpha)), 3, strides=2, padding="same",
                      use_bias=False, name="conv1")(inputs)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.ReLU(name="conv1_relu")(x)
    for i, (filters, stride) in enumerate(FASHION_MOBILENET_BLOCKS, start=1):
        x = blocks.separable_block(x, max(1, int(filters * alpha)), stride,
                                   name=f"conv_{i}")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Dense(data.NUM_CLASSES, activation="softmax",
                           name="predictions")(x)
    name = "fashion_mobilenet" if alpha == 1 else f"fashion_mobilenet_{alpha:g}"
    return keras.Model(inputs, outputs, name=name)
