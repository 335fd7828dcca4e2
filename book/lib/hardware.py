"""The machine that a notebook runs on, named for the page.

A training speed or a time per epoch means something only next to the
hardware that measured it: the website is built on a CPU, and a reader in
Colab may run the same cell on a GPU ten times faster. The chapters that time
training (``deep_networks``, ``first_cnn``) glue :func:`describe` beside the
numbers, as a benchmark names its machine.

* :func:`cpu_model`: the processor's name, from ``/proc/cpuinfo`` (Linux),
  else ``platform.processor()``, else the architecture.
* :func:`cpu_count`: the cores this process may use (a container's share,
  not the host's).
* :func:`gpu_names`: the GPUs that TensorFlow sees.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

from book.lib import report


def cpu_model(cpuinfo: str | os.PathLike = "/proc/cpuinfo") -> str:
    """The CPU's model name, e.g. ``"Intel(R) Xeon(R) CPU @ 2.20GHz"``.

    Args:
        cpuinfo: the Linux file to read it from; elsewhere (macOS, Windows)
            ``platform.processor()`` names it.

    Returns:
        The first ``model name`` of ``cpuinfo`` when there is one, else
        ``platform.processor()``, else ``platform.machine()`` (``"x86_64"``),
        else ``"unknown CPU"``.
    """
    try:
        for line in Path(cpuinfo).read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return " ".join(value.split())
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_count() -> int:
    """How many CPU cores this process may run on (at least 1).

    ``os.sched_getaffinity`` gives a container's or a job's share where the
    system has it (Linux); ``os.cpu_count`` counts the whole machine.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def gpu_names() -> list[str]:
    """The names of the GPUs that TensorFlow sees, e.g. ``["Tesla T4"]``.

    Returns:
        One name per GPU (the device's own name when TensorFlow reports it,
        else its TensorFlow name, ``/physical_device:GPU:0``); empty on a
        machine without a usable GPU or without TensorFlow.
    """
    try:
        import tensorflow as tf
    except ImportError:
        return []
    names = []
    for device in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(device)
        except (RuntimeError, ValueError):
            details = {}
        names.append(details.get("device_name") or device.name)
    return names


def describe(lang: str = "en") -> str:
    """The machine in a few words of ``lang``, for the page.

    Args:
        lang: ``"es"`` or ``"en"``.

    Returns:
        For example ``"a Tesla T4 GPU"`` or ``"a CPU without a GPU (Intel(R)
        Xeon(R) CPU @ 2.20GHz, 2 cores)"``, with the words of
        ``report.WORDS["hardware.*"]``.
    """
    gpus = gpu_names()
    if gpus:
        return report.word("hardware.gpu", lang).format(names=", ".join(gpus))
    cores = cpu_count()
    key = "hardware.cpu_one_core" if cores == 1 else "hardware.cpu"
    return report.word(key, lang).format(model=cpu_model(), cores=cores)


def estimate_training_seconds(model, *, epochs: int, batch_size: int = 32,
                              learning_rate: float | None = None,
                              validation_split: float | None = None,
                              train_images: int = 60_000, steps: int = 5,
                              **recipe) -> float:
    """How long ``training.train`` would take here, from a few timed steps.

    The Colab edition of each chapter calls this near the top, with the
    chapter's models and their recipes (``models.RECIPES``, the defaults of
    the parameters cell), so that a reader knows before a long run what it
    costs on their machine. The steps run on random inputs of the model's
    input shape: their speed does not depend on the pixels, and nothing is
    learned from them.

    Args:
        model: a built Keras model with one image input and a softmax output
            (it is compiled here, as ``training.train`` compiles it).
        epochs, batch_size, learning_rate, validation_split: the recipe, as
            ``training.train`` takes it; other recipe keys are ignored.
        train_images: the images of the full run before the validation split.
        steps: timed training steps, after two untimed ones (the first builds
            the graph).

    Returns:
        Seconds: the median time of a step, times the steps of the run.
    """
    import statistics
    import time

    import keras
    import numpy as np

    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer; received steps={steps!r}.")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate or 1e-3),
                  loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    shape = (batch_size, *model.input_shape[1:])
    x = rng.random(shape, dtype=np.float32)
    y = rng.integers(0, model.output_shape[-1], size=batch_size)
    times = []
    for step in range(steps + 2):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        if step >= 2:
            times.append(time.perf_counter() - start)
    fitted = int(train_images * (1 - (validation_split or 0)))
    steps_per_epoch = -(-fitted // batch_size)
    return statistics.median(times) * steps_per_epoch * epochs
