"""The offline EMNIST substitute: MNIST digits + letters rendered from handwriting fonts.

Builds use tiny sizes (a few letters per class and font); the full default build is a command,
not a test.
"""

import logging

import numpy as np
import pytest

from text_recognizer import paths
from text_recognizer.data import EmnistCharacters
from text_recognizer.data.character_mapping import char_to_index, group_indices
from text_recognizer.data.errors import DataError
from text_recognizer.data.synthetic import handwriting_fonts as fonts
from text_recognizer.data.synthetic.emnist_substitute import render_letters
from text_recognizer.data.synthetic.glyph_rendering import render_character

TINY = {
    "letters_per_class_per_font": 2,
    "test_letters_per_class_per_font": 1,
    "digits_per_class": 30,
    "workers": 1,
}


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory):
    """One tiny build shared by the tests that only read it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        dataset = EmnistCharacters(source="substitute", **TINY)
        return dataset, dataset.load()


def test_same_format_and_classes_as_emnist(tiny_build):
    dataset, data = tiny_build
    assert dataset.x_train is data.x_train and dataset.y_test is data.y_test  # FSDL-style attributes
    emnist_classes = list(range(1, 63))
    for split in ("train", "val", "test"):
        x, y = data.get(split)
        assert x.dtype == np.uint8 and x.shape[1:] == (28, 28) and len(x) == len(y)
        # White ink on black, centred: the border is (nearly) empty, the middle is not.
        assert x[:, 0, :].mean() < 1 and x[:, :, 0].mean() < 1 and x[:, 10:18, 10:18].mean() > 40
    assert np.unique(np.concatenate([data.y_train, data.y_val])).tolist() == emnist_classes
    assert np.unique(data.y_test).tolist() == emnist_classes
    letters = np.isin(data.y_test, group_indices("uppercase") + group_indices("lowercase"))
    assert letters.sum() == 52 * len(fonts.TEST_WRITERS) * 1  # 1 test letter per class and font
    assert (~letters).sum() == 10 * 30  # digits_per_class MNIST test digits


def test_says_plainly_that_it_is_a_substitute(tiny_build):
    dataset, _ = tiny_build
    assert "substitute" in dataset.source_name and "not EMNIST" in dataset.source_name
    assert dataset.summary()["source"] == dataset.source_name
    assert "substitute" in dataset.cache_path().name


def test_train_is_balanced_like_emnist(tiny_build):
    _, data = tiny_build
    counts = np.bincount(np.concatenate([data.y_train, data.y_val]), minlength=80)
    letters_per_class = 2 * len(fonts.TRAIN_WRITERS)
    cap = (10 * 30 + 52 * letters_per_class) // 62  # the mean class count
    assert cap < 30 and counts[1:11].tolist() == [cap] * 10  # MNIST digits cut down to the mean
    assert counts[11:63].tolist() == [letters_per_class] * 52  # rarer letters all kept


def test_deterministic_for_a_seed_whatever_the_workers():
    one = render_letters("test", 2, seed=0, workers=1)
    two = render_letters("test", 2, seed=0, workers=2)  # a process pool: same images, same order
    other_seed = render_letters("test", 2, seed=1, workers=1)
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])
    assert not np.array_equal(one[0], other_seed[0])


def test_two_builds_with_the_same_seed_are_identical(data_dir, tiny_build):
    _, first = tiny_build  # built in another data dir
    again = EmnistCharacters(source="substitute", **TINY).load()
    for split in ("train", "val", "test"):
        assert all(np.array_equal(a, b) for a, b in zip(first.get(split), again.get(split), strict=True))


def test_train_and_test_writers_are_disjoint_and_installed():
    assert set(fonts.TRAIN_WRITERS).isdisjoint(fonts.TEST_WRITERS)
    assert set(fonts.TEST_WRITERS) == {"kalam", "patrick-hand", "shadows-into-light"}
    installed = {p.name for p in (paths.node_modules_dir() / fonts.FONTS_PACKAGE).iterdir() if p.is_dir()}
    assert set(fonts.WRITERS) <= installed
    assert fonts.writers("val") == fonts.TRAIN_WRITERS


def test_case_stays_visible_lowercase_is_smaller():
    def mean_height(chars, font):
        rng = np.random.default_rng(0)
        heights = []
        for char in chars * 3:
            rows = np.flatnonzero(render_character(font, char, rng).max(axis=1) > 60)
            heights.append(rows.max() - rows.min() + 1)
        return np.mean(heights)

    for family in ("caveat", "patrick-hand"):
        font = fonts.font_files(family)[0]
        assert mean_height("acemnorsuvwxz", font) < 0.8 * mean_height("ACEMNORSUVWXZ", font)
        assert mean_height("o", font) < mean_height("O", font)


def test_missing_fonts_say_run_make_setup(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_NODE_MODULES", str(tmp_path / "empty"))
    with pytest.raises(DataError, match="make setup"):
        EmnistCharacters(source="substitute", **TINY).load()


def test_a_corrupt_cache_is_rebuilt(caplog):
    dataset = EmnistCharacters(source="substitute", **TINY)
    path = dataset.prepare()
    original = dataset.load()
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # truncated, e.g. a full disk

    with caplog.at_level(logging.WARNING):
        rebuilt = EmnistCharacters(source="substitute", **TINY).load()
    assert "rebuilding the processed cache" in caplog.text
    assert np.array_equal(rebuilt.x_train, original.x_train)
    assert np.array_equal(rebuilt.y_test, original.y_test)
    assert np.array_equal(EmnistCharacters(source="substitute", **TINY).load().x_val, original.x_val)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary files left behind
    assert char_to_index("A") in rebuilt.y_train
