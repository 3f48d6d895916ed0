"""Batches for Keras (`keras.utils.PyDataset`) and the dataset base class they come from."""

import itertools
import math

import keras
import numpy as np
import pytest

from text_recognizer.data.base import Dataset
from text_recognizer.data.batches import ArrayBatches


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


class ToyDataset(Dataset):
    """The smallest dataset: random images, example i of a split labelled i % 5 + 1."""

    name = "toy"
    input_shape = (28, 28)
    source_name = "toy data (random pixels)"

    def __init__(self, size: int = 50):
        super().__init__()
        self.size = size
        self.builds = 0

    def cache_args(self) -> dict:
        return {"size": self.size}

    def build(self) -> dict:
        self.builds += 1
        rng = np.random.default_rng(0)
        arrays = {}
        for split, n in {"train": self.size, "val": 7, "test": 9}.items():
            arrays[f"x_{split}"] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
            arrays[f"y_{split}"] = (np.arange(n) % 5 + 1).astype(np.uint8)
        return arrays


def test_batches_have_the_right_shapes_types_and_count():
    batches = ToyDataset(size=50).batches("train", batch_size=16)
    assert isinstance(batches, keras.utils.PyDataset)
    assert len(batches) == math.ceil(50 / 16) == 4
    x, y = batches[0]
    assert x.shape == (16, 28, 28) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert y.shape == (16,) and y.dtype == np.int32
    assert batches[3][0].shape == (2, 28, 28)  # the last batch holds the rest
    with pytest.raises(IndexError):
        batches[4]


def test_without_shuffle_batches_follow_the_data():
    dataset = ToyDataset()
    data = dataset.load()
    x, y = dataset.batches("test", batch_size=4)[1]
    assert np.array_equal(y, data.y_test[4:8]) and np.allclose(x * 255, data.x_test[4:8])


def test_shuffle_changes_the_order_every_epoch_and_covers_everything():
    x, y = np.zeros((40, 28, 28), np.uint8), np.arange(40)
    batches = ArrayBatches(x, y, batch_size=8, shuffle=True, seed=3)
    epoch_1 = np.concatenate([batches[i][1] for i in range(len(batches))])
    batches.on_epoch_end()
    epoch_2 = np.concatenate([batches[i][1] for i in range(len(batches))])
    assert sorted(epoch_1) == sorted(epoch_2) == list(range(40))
    assert not np.array_equal(epoch_1, epoch_2) and not np.array_equal(epoch_1, y)
    same_seed = ArrayBatches(x, y, batch_size=8, shuffle=True, seed=3)
    assert np.array_equal(np.concatenate([same_seed[i][1] for i in range(5)]), epoch_1)


def test_custom_transform_and_bad_arguments():
    x, y = np.full((6, 28, 28), 255, np.uint8), np.arange(6)
    batches = ArrayBatches(x, y, batch_size=4, transform=lambda x, y: (x[..., None], y))
    assert batches[0][0].shape == (4, 28, 28, 1) and batches[0][0].dtype == np.uint8
    with pytest.raises(ValueError, match="same length"):
        ArrayBatches(x, y[:3], batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        ArrayBatches(x, y, batch_size=0)


def test_keras_fit_reshuffles_through_on_epoch_end():
    dataset = ToyDataset(size=32)
    batches = dataset.batches("train", batch_size=8, shuffle=True, workers=2)
    seen = []
    original = batches.on_epoch_end

    def record_then_reshuffle():
        seen.append(batches._order.copy())
        original()

    batches.on_epoch_end = record_then_reshuffle
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(80)])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer="sgd")
    model.fit(batches, epochs=2, verbose=0)
    assert len(seen) >= 2  # Keras calls it after every epoch (and may once more when it stops)
    assert all(not np.array_equal(a, b) for a, b in itertools.pairwise(seen))


def test_cache_is_built_once_then_read(data_dir):
    first = ToyDataset()
    path = first.prepare()
    assert path.parent == data_dir / "processed" / "toy" and path.suffix == ".npz"
    assert first.builds == 1
    second = ToyDataset()
    assert np.array_equal(second.load().x_train, first.load().x_train)
    assert second.builds == 0  # read from disk, not rebuilt
    with np.load(path, allow_pickle=False) as npz:  # uint8 on disk, no pickled objects
        assert all(npz[key].dtype == np.uint8 for key in npz.files if key != "meta")
    assert ToyDataset(size=60).cache_path() != path  # other arguments, other cache


def test_summary_counts_classes_per_split():
    summary = ToyDataset(size=50).summary()
    assert summary["source"] == "toy data (random pixels)"
    assert summary["split_sizes"] == {"train": 50, "val": 7, "test": 9}
    assert summary["class_counts"]["train"] == {"0": 10, "1": 10, "2": 10, "3": 10, "4": 10}
    assert summary["group_counts"]["test"] == {"digits": 9, "uppercase": 0, "lowercase": 0}
