import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

from book.lib import hardware, report  # noqa: E402

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R)   CPU @ 2.20GHz
processor\t: 1
model name\t: Intel(R) Xeon(R)   CPU @ 2.20GHz
"""


def test_cpu_model_reads_the_first_model_name(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    assert hardware.cpu_model(path) == "Intel(R) Xeon(R) CPU @ 2.20GHz"


def test_cpu_model_falls_back_without_cpuinfo(tmp_path, monkeypatch):
    monkeypatch.setattr(hardware.platform, "processor", lambda: "arm")
    assert hardware.cpu_model(tmp_path / "missing") == "arm"
    monkeypatch.setattr(hardware.platform, "processor", lambda: "")
    monkeypatch.setattr(hardware.platform, "machine", lambda: "x86_64")
    assert hardware.cpu_model(tmp_path / "missing") == "x86_64"


def test_cpu_count_is_this_process_share():
    expected = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                else os.cpu_count())
    assert hardware.cpu_count() == expected >= 1


@pytest.mark.parametrize("lang, gpus, cores, expected", [
    ("en", ["Tesla T4"], 2, "a Tesla T4 GPU"),
    ("es", ["Tesla T4"], 2, "una GPU Tesla T4"),
    ("en", [], 2, "a CPU without a GPU (Xeon, 2 cores)"),
    ("es", [], 2, "una CPU sin GPU (Xeon, 2 núcleos)"),
    ("en", [], 1, "a CPU without a GPU (Xeon, 1 core)"),
    ("es", [], 1, "una CPU sin GPU (Xeon, 1 núcleo)"),
])
def test_describe(monkeypatch, lang, gpus, cores, expected):
    monkeypatch.setattr(hardware, "gpu_names", lambda: gpus)
    monkeypatch.setattr(hardware, "cpu_count", lambda: cores)
    monkeypatch.setattr(hardware, "cpu_model", lambda: "Xeon")
    assert hardware.describe(lang) == expected


def test_describe_this_machine_names_its_cpu_or_gpu():
    text = hardware.describe("en")
    assert (hardware.cpu_model() in text) or text.endswith(" GPU")
    assert report.word("hardware.cpu", "es")  # Both languages are there.


def test_estimate_training_seconds_multiplies_a_timed_step_out_to_the_run(monkeypatch):
    import time

    import keras

    clock = iter(range(0, 10_000))
    # Each timed step takes exactly 1 "second": perf_counter counts calls.
    monkeypatch.setattr(time, "perf_counter", lambda: next(clock))
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    seconds = hardware.estimate_training_seconds(
        model, epochs=2, batch_size=100, validation_split=0.1, train_images=1_000, steps=3)
    assert seconds == 1 * 9 * 2  # 9 batches of 100 in the 900 images fitted, 2 epochs.
    with pytest.raises(ValueError, match="received steps=0"):
        hardware.estimate_training_seconds(model, epochs=1, steps=0)
