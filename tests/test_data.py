import numpy as np
import pytest

from book.lib import data


def test_class_names_in_both_languages():
    assert len(data.class_names("en")) == len(data.class_names("es")) == data.NUM_CLASSES
    assert data.class_names("en")[9] == "Ankle boot"
    assert data.class_names("es")[9] == "Botín"


def test_load_fashion_mnist_gives_the_real_data():
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist()
    assert x_train.shape == (60000, 28, 28, 1) and x_test.shape == (10000, 28, 28, 1)
    assert x_train.dtype == np.float32 and 0.0 <= x_train.min() and x_train.max() <= 1.0
    # The real training set has exactly 6,000 images of each class.
    assert (np.bincount(y_train) == 6000).all()
    assert (np.bincount(y_test) == 1000).all()


@pytest.mark.parametrize("lang, words", [
    ("en", ["not available", "apt-get install dataset-fashion-mnist", "Colab"]),
    ("es", ["no está", "apt-get install dataset-fashion-mnist", "Colab"]),
])
def test_missing_data_says_how_to_get_it_in_the_readers_language(monkeypatch, lang, words):
    import keras

    def offline():
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    with pytest.raises(data.DatasetUnavailableError) as error:
        data.load_fashion_mnist(lang=lang)
    for word in words:
        assert word in str(error.value)


def test_take_subset_is_balanced_and_repeatable():
    y = np.repeat(np.arange(10), 100)
    x = np.arange(len(y))
    xs, ys = data.take_subset(x, y, 50, seed=3)
    assert len(xs) == 50 and (np.bincount(ys, minlength=10) == 5).all()
    assert (y[xs] == ys).all()
    xs2, _ = data.take_subset(x, y, 50, seed=3)
    assert (xs == xs2).all()
    assert data.take_subset(x, y, None)[0] is x


@pytest.mark.parametrize("size", [0, -3, 1001, 2.5])
def test_take_subset_rejects_bad_sizes(size):
    y = np.repeat(np.arange(10), 100)
    with pytest.raises(ValueError, match="size must be an integer between 1 and 1000"):
        data.take_subset(np.zeros(len(y)), y, size)


# --- A damaged Keras cache ----------------------------------------------------

@pytest.fixture
def damaged_keras_home(tmp_path, monkeypatch):
    """A temporary KERAS_HOME holding the real four files, one of them truncated."""
    import shutil

    import keras
    from keras.src.backend import config as keras_config

    real = data.fashion_mnist_cache_dir()
    cache = tmp_path / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    for name in ("train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz"):
        shutil.copy(real / name, cache / name)
    truncated = cache / "train-images-idx3-ubyte.gz"
    content = (real / truncated.name).read_bytes()
    truncated.write_bytes(content[: len(content) // 2])
    # Keras reads KERAS_HOME once, at import: point both it and the book there.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path))
    assert keras.utils.get_file is not None
    return truncated


def test_the_real_cache_is_sound():
    assert data.check_fashion_mnist_files() == []


def test_check_fashion_mnist_files_finds_the_truncated_file(damaged_keras_home):
    assert data.fashion_mnist_cache_dir() == damaged_keras_home.parent
    damaged = data.check_fashion_mnist_files()
    assert [path for path, _ in damaged] == [damaged_keras_home]


@pytest.mark.parametrize("lang, words", [
    ("en", ["damaged", "Delete them", "never downloads over an existing file"]),
    ("es", ["dañado", "Bórralos", "nunca descarga sobre"]),
])
def test_a_truncated_file_is_named_with_how_to_fix_it(damaged_keras_home, lang, words):
    with pytest.raises(data.DatasetCorruptError) as error:
        data.load_fashion_mnist(lang=lang)
    message = str(error.value)
    assert f"rm {damaged_keras_home}" in message
    for word in words:
        assert word in message
    # Not the message for missing data, which advises running the cell again.
    assert "not available" not in message and "no está" not in message
    # Still a DatasetUnavailableError, for code that catches that.
    assert isinstance(error.value, data.DatasetUnavailableError)


def test_a_file_of_the_wrong_length_is_damaged(tmp_path):
    import gzip

    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as stream:
        stream.write((2049).to_bytes(4, "big") + (10000).to_bytes(4, "big")
                     + bytes(9999))  # One label short.
    [(path, problem)] = data.check_fashion_mnist_files(tmp_path)
    assert path.name == "t10k-labels-idx1-ubyte.gz"
    assert f"{8 + 9999} bytes once decompressed, {8 + 10000} expected" in problem


# --- Images on disk, one folder per class ------------------------------------

def small_images(n=6):
    rng = np.random.default_rng(0)
    return (rng.integers(0, 256, (n, 28, 28, 1), dtype=np.uint8),
            np.arange(n, dtype=np.uint8) % 3)


def test_write_image_folder_round_trips_pixels_and_labels(tmp_path):
    from PIL import Image

    x, y = small_images()
    paths = data.write_image_folder(x, y, tmp_path / "tree")
    assert [p.parent.name for p in paths] == [str(label) for label in y]
    for i, path in enumerate(paths):
        assert int(path.stem) == i
        assert (np.asarray(Image.open(path)) == x[i, ..., 0]).all()
    assert data.check_image_folder(tmp_path / "tree") == {"0": 2, "1": 2, "2": 2}


@pytest.mark.parametrize("x, y, error, match", [
    (np.zeros((2, 28, 28), np.float32), np.zeros(2, int), TypeError,
     "x must hold uint8 pixels.*received dtype float32"),
    (np.zeros((2, 28), np.uint8), np.zeros(2, int), ValueError,
     r"received shape \(2, 28\)"),
    (np.zeros((2, 28, 28), np.uint8), np.zeros(3, int), ValueError,
     "received 3 labels .* for 2 images"),
    (np.zeros((2, 28, 28), np.uint8), np.array([0.0, 1.0]), TypeError,
     "y must be a 1-D array of integer labels"),
])
def test_write_image_folder_rejects_bad_arguments(tmp_path, x, y, error, match):
    with pytest.raises(error, match=match):
        data.write_image_folder(x, y, tmp_path / "tree")


def test_write_image_folder_refuses_a_folder_with_files(tmp_path):
    (tmp_path / "old.txt").write_text("keep me")
    with pytest.raises(ValueError, match="already holds files"):
        data.write_image_folder(*small_images(), tmp_path)


def test_check_image_folder_names_an_empty_class_folder(tmp_path):
    data.write_image_folder(*small_images(), tmp_path / "tree")
    (tmp_path / "tree" / "3").mkdir()
    with pytest.raises(ValueError, match=r"class folders without images.*tree/3\. "
                                         "Add that class's images or delete"):
        data.check_image_folder(tmp_path / "tree")


def test_check_image_folder_names_a_corrupt_file(tmp_path):
    paths = data.write_image_folder(*small_images(), tmp_path / "tree")
    paths[1].write_bytes(paths[1].read_bytes()[:40])  # Truncated PNG.
    (paths[0].parent / "notes.txt").write_text("not an image, ignored")
    with pytest.raises(ValueError, match=rf"1 files that are not readable images: "
                                         rf"{paths[1]} .*Delete or replace them"):
        data.check_image_folder(tmp_path / "tree")


@pytest.mark.parametrize("kind, match", [
    ("missing", "does not exist"), ("file", "is a file"),
    ("no classes", "has no class folders"),
])
def test_check_image_folder_rejects_what_is_not_a_tree(tmp_path, kind, match):
    (tmp_path / "loose.png").write_bytes(b"")
    root = {"missing": tmp_path / "missing", "file": tmp_path / "loose.png",
            "no classes": tmp_path}[kind]
    with pytest.raises(ValueError, match=match):
        data.check_image_folder(root)
