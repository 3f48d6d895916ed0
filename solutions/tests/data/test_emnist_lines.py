"""Synthetic EMNIST lines: tiny builds (a few lines from a tiny substitute), checked for format and truth."""

import numpy as np
import pytest

from text_recognizer.data import EmnistLines, Splits, dataset_classes, emnist_lines, get_dataset
from text_recognizer.data.character_mapping import (
    BLANK_INDEX,
    EMNIST_CHARACTERS,
    char_to_index,
    indices_to_text,
)
from text_recognizer.data.emnist_lines import build_lines
from text_recognizer.data.synthetic.sentences import brown_sentences
from text_recognizer.data.synthetic.symbol_rendering import render_symbol_pool

TINY_CHARS = {"letters_per_class_per_font": 2, "test_letters_per_class_per_font": 2,
              "digits_per_class": 10, "workers": 1}
TINY = {"source": "substitute", "max_length": 16, "num_train": 24, "num_val": 6, "num_test": 12,
        "symbols_per_class": 3, "char_args": TINY_CHARS}


@pytest.fixture(scope="module")
def lines(tmp_path_factory):
    """One tiny build shared by the tests that only read it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        dataset = EmnistLines(**TINY)
        dataset.load()
        yield dataset


def test_registered_for_experiment_configs():
    assert dataset_classes()["emnist_lines"] is EmnistLines


def test_shapes_and_dtypes(lines):
    assert lines.input_shape == (28, 28 * 16) and lines.label_shape == (16,)
    for split, count in (("train", 24), ("val", 6), ("test", 12)):
        x, y = lines.load().get(split)
        assert x.dtype == np.uint8 and x.shape == (count, 28, 28 * 16)
        assert np.issubdtype(y.dtype, np.integer) and y.shape == (count, 16)
        assert y.min() >= 0 and y.max() < len(lines.mapping)


def test_labels_are_text_then_padding(lines):
    for row in lines.y_train:
        length = int((row != BLANK_INDEX).sum())
        assert length >= 1 and (row[:length] != BLANK_INDEX).all() and (row[length:] == BLANK_INDEX).all()


def test_labels_decode_to_corpus_text_of_their_split(lines):
    for split in ("train", "test"):
        corpus = " " + " ".join(brown_sentences(split)) + " "
        for row in lines.load().get(split)[1]:
            text = indices_to_text(row)
            assert text == text.strip() and f" {text} " in corpus, text


def test_ink_is_where_the_text_is(lines):
    for image, row in zip(lines.x_train, lines.y_train, strict=True):
        text = indices_to_text(row)
        assert image[:, : 28 * len(text)].max() > 100  # written ...
        assert not image[:, 28 * len(text) :].any()  # ... left-aligned, black after the text


def test_same_arguments_same_lines(lines, tmp_path, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path))
    again = EmnistLines(**TINY)
    assert not again.cache_path().exists()  # built again from scratch, in another folder
    np.testing.assert_array_equal(again.x_train, lines.x_train)
    np.testing.assert_array_equal(again.y_test, lines.y_test)
    other_seed = EmnistLines(**{**TINY, "seed": 1})
    assert not np.array_equal(other_seed.y_train, lines.y_train)


def test_each_split_writes_with_the_same_split_of_the_characters(tmp_path, monkeypatch):
    """Test lines must use the characters' test split (unseen writers): paint each split's ink."""
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path))
    ink = {"train": 50, "val": 100, "test": 150}
    classes = np.array([char_to_index(c) for c in EMNIST_CHARACTERS])
    fake = {}
    for split, value in ink.items():
        fake[f"x_{split}"] = np.full((len(classes), 28, 28), value, np.uint8)
        fake[f"y_{split}"] = classes
    def painted_symbols(split, symbols, per_symbol, seed):
        return {symbol: np.full((1, 28, 28), ink[split], np.uint8) for symbol in symbols}

    monkeypatch.setattr(emnist_lines, "render_symbol_pool", painted_symbols)
    dataset = EmnistLines(**TINY)
    monkeypatch.setattr(dataset.characters, "load", lambda: Splits(**fake))
    for split, value in ink.items():
        assert set(np.unique(dataset.load().get(split)[0])) == {0, value}, split


def test_says_plainly_when_built_from_the_substitute(lines):
    assert lines.is_substitute
    assert "substitute" in lines.source_name and "not EMNIST" in lines.source_name


def test_get_dataset_passes_the_arguments(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path))
    dataset = get_dataset("emnist_lines", {**TINY, "max_length": 8})
    assert dataset.input_shape == (28, 224) and dataset.max_length == 8


class FixedText:
    """A stand-in for TextSampler that always gives the same text."""

    def __init__(self, text):
        self.text = text

    def sample(self, rng):
        return self.text


def _block_lines(text, overlap, count=20, seed=0):
    """Lines of `text` where every character image is a solid 28x28 block (so positions show)."""
    classes = sorted({char_to_index(c) for c in text if c != " "})
    images = np.full((len(classes), 28, 28), 255, np.uint8)
    return build_lines(
        images, np.array(classes), FixedText(text), symbols={},
        count=count, max_length=len(text) + 2, overlap=overlap, rng=np.random.default_rng(seed),
    )


@pytest.mark.parametrize("overlap", [0.0, 0.25, 0.5])
def test_fixed_overlap_moves_each_character_by_the_same_step(overlap):
    images, labels = _block_lines("abcd", (overlap, overlap))
    step = 28 - round(overlap * 28)
    inked = (images.max(axis=1) > 0).sum(axis=1)
    assert (inked == 28 + 3 * step).all()
    assert indices_to_text(labels[0]) == "abcd"


def test_random_overlap_stays_within_its_bounds():
    images, _ = _block_lines("abcdef", (0.0, 0.33), count=200)
    inked = (images.max(axis=1) > 0).sum(axis=1)
    assert inked.min() >= 28 + 5 * (28 - round(0.33 * 28)) and inked.max() <= 28 * 6
    assert len(np.unique(inked)) > 3  # the overlap really varies from line to line


def test_a_space_is_a_blank_gap():
    images, labels = _block_lines("ab c", (0.0, 0.0), count=50)
    assert indices_to_text(labels[0]) == "ab c"
    columns = images.max(axis=1) > 0
    gaps = 28 * 3 - columns.sum(axis=1)  # three 28-pixel blocks, the rest of the ink-free run is the space
    assert (columns[:, :56]).all() and (gaps == 0).all()
    starts = np.argmax(columns[:, 56:], axis=1) + 56  # where "c" begins
    assert starts.min() >= 56 + 14 and starts.max() <= 56 + 28  # a gap of 50-100% of a character


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"max_overlap": 1.0}, "min_overlap"),
        ({"min_overlap": 0.5, "max_overlap": 0.2}, "min_overlap"),
        ({"max_length": 0}, "max_length"),
        ({"num_train": -1}, "Split sizes"),
        ({"source": "iam"}, "Unknown character source"),
    ],
)
def test_bad_arguments_are_clear_errors(args, message):
    with pytest.raises(ValueError, match=message):
        EmnistLines(**{**TINY, **args})


def test_punctuation_is_drawn_at_its_height():
    pool = render_symbol_pool("test", ",'-", per_symbol=4)
    rows = np.arange(28)[:, None]

    def ink_row(images):  # mean height of the ink (0 = top)
        return np.mean([(image * rows).sum() / image.sum() for image in images.astype(float)])

    assert ink_row(pool[","]) > 18 > ink_row(pool["-"]) > 10 > ink_row(pool["'"])
    assert all(images.shape == (4, 28, 28) and images.dtype == np.uint8 for images in pool.values())
