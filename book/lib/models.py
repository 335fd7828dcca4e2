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

The models:

* :func:`fashion_mlp`: the multilayer perceptron of ``deep_networks``.
* :func:`fashion_cnn`: the small convolutional network of ``first_cnn``.
* :func:`fashion_vgg`: the slim VGG of ``vgg``.
"""

from __future__ import annotations

import keras
from keras import layers

from book.lib import config, data

#: Full-mode training recipe of each model: keyword arguments of
#: ``training.train`` (``epochs``, ``batch_size``, ``learning_rate`` for Adam,
#: ``validation_split``). Quick mode lowers ``epochs`` in the notebook.
RECIPES: dict[str, dict] = {
    # deep_networks: 10 epochs of Adam (1e-3), batches of 128, 10% validation.
    "fashion_mlp": dict(epochs=10, batch_size=128, learning_rate=1e-3,
                        validation_split=0.1),
    # first_cnn: 8 epochs of 54,000 images at about 1,450 images/s on a
    # 2-core CPU, about 5 minutes; reaches about 91% test accuracy.
    "fashion_cnn": dict(epochs=8, batch_size=128, learning_rate=1e-3,
                        validation_split=0.1),
    # vgg: the same recipe as fashion_cnn, for a fair comparison; about the
    # same MACs per image (7.4 M), so about the same 5 minutes.
    "fashion_vgg": dict(epochs=8, batch_size=128, learning_rate=1e-3,
                        validation_split=0.1),
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


def conv_block(x, filters: int, name: str):
    """A 3x3 ReLU convolution (same padding), then 2x2 max pooling.

    Taught in ``first_cnn``. The layers are named ``<name>_conv1`` and
    ``<name>_pool``.
    """
    x = layers.Conv2D(filters, 3, padding="same", activation="relu",
                      name=f"{name}_conv1")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def fashion_cnn(seed: int | None = 42) -> keras.Model:
    """The small CNN of the chapter ``first_cnn``: three conv blocks, one dense layer.

    ``block1``-``block3``: a 3x3 convolution with 32, 64 and 128 filters, each
    followed by 2x2 max pooling (28 -> 14 -> 7 -> 3); then flatten, a dense
    layer of 128 ReLU units, 50% dropout and a 10-way softmax: 241,546
    parameters and 7,599,872 MACs per image, a twelfth of the MACs of the
    classic Fashion-MNIST CNN of Géron's book, so that it trains in about
    5 minutes on a 2-core CPU (``RECIPES["fashion_cnn"]``).

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
        x = conv_block(x, filters, name=f"block{i}")
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


def vgg_block(x, filters: int, num_convs: int, name: str):
    """A VGG block: ``num_convs`` 3x3 ReLU convolutions, then 2x2 max pooling.

    Taught in ``vgg``. The layers are named ``<name>_conv1``...
    ``<name>_conv<num_convs>`` and ``<name>_pool``, as in
    ``keras.applications.VGG16``.

    Reference:
        Simonyan and Zisserman, "Very Deep Convolutional Networks for
        Large-Scale Image Recognition", ICLR 2015, section 2.1.
    """
    for i in range(1, num_convs + 1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu",
                          name=f"{name}_conv{i}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def fashion_vgg(seed: int | None = 42) -> keras.Model:
    """The slim VGG of the chapter ``vgg``: three blocks of two 3x3 convolutions.

    ``block1``-``block3`` (``FASHION_VGG_STAGES``): two 3x3 convolutions with
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
        x = vgg_block(x, filters, num_convs, name=f"block{i}")
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(128, activation="relu", name="fc1")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    outputs = layers.Dense(data.NUM_CLASSES, activation="softmax",
                           name="predictions")(x)
    return keras.Model(inputs, outputs, name="fashion_vgg")
