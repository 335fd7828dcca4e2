"""Helpers that the chapters of the book share.

Modules (import them by name, e.g. ``from book.lib import costs``):

* ``config``: quick mode, seeds and the reader's language.
* ``data``: Fashion-MNIST, loaded through ``keras.datasets``.
* ``blocks``: the network blocks that the chapters teach (VGG, Inception,
  residual, bottleneck, separable, squeeze-and-excitation).
* ``models``: the small Fashion-MNIST networks, built from ``blocks``, and
  their training recipes.
* ``costs``: per-layer tables of parameters and MACs (numbers only).
* ``report``: the page's words (``WORDS``), numbers, tables and ``glue``.
* ``plots``: training curves, confusion matrices, image grids.
* ``training``: a thin compile-and-fit wrapper used from the later chapters on.

Importing this package imports neither TensorFlow nor Keras, so the setup cell of
each chapter can import it first; it points Keras at Debian's copy of
Fashion-MNIST when that copy is the only one on the machine (see
``config.use_system_keras_home``).
"""

from book.lib import config

config.use_system_keras_home()

__all__ = ["config"]
