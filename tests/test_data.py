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
