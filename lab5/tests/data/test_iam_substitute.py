"""The offline IAM substitute: 222 font "writers" split by writer, varied lines, normalised crops."""

import numpy as np
import pytest
from PIL import ImageFont

from text_recognizer.data.character_mapping import indices_to_text
from text_recognizer.data.errors import DataError
from text_recognizer.data.iam_lines import IamLines, render_lines
from text_recognizer.data.synthetic import handwriting_writers as hw
from text_recognizer.data.synthetic import line_rendering
from text_recognizer.data.synthetic.line_rendering import render_ink, render_line, writer_hand


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="module")
def tiny_lines(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        dataset = IamLines(source="substitute", width=256, max_length=24, num_train=31, num_val=5, num_test=7)
        return dataset, dataset.load()


def test_at_least_150_writers_in_disjoint_splits():
    families = [w.family for w in hw.ALL_WRITERS]
    assert len(families) == len(set(families)) >= 150
    splits = {split: {w.family for w in hw.writers(split)} for split in hw.SPLIT_WRITERS}
    for a in splits:
        for b in splits:
            assert a == b or not splits[a] & splits[b], (a, b)
    assert len(splits["test"]) >= 5 and len(splits["val"]) >= 3 and len(splits["grader"]) >= 3


def test_every_writer_has_its_fonts_installed():
    for writer in hw.ALL_WRITERS:
        files = hw.font_files(writer)
        assert files and all(f.suffix in (".ttf", ".woff") for f in files), writer


def test_reserved_families_are_never_writers_and_refused():
    assert not any(hw.is_reserved(w.family) for w in hw.ALL_WRITERS)
    for name in ("Homemade Apple", "la-belle-aurore", "Kristi", "SteveHand"):
        assert hw.is_reserved(name)
        with pytest.raises(DataError, match="reserved"):
            hw.font_files(hw.Writer(name.lower().replace(" ", "-"), hw.FONTSOURCE))


def test_a_build_never_opens_a_reserved_font(monkeypatch):
    opened = []
    original = ImageFont.truetype

    def truetype(path, *args, **kwargs):
        opened.append(str(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(ImageFont, "truetype", truetype)
    from text_recognizer.data.synthetic import line_rendering

    line_rendering._font.cache_clear()
    rng = np.random.default_rng(0)
    for writer in hw.ALL_WRITERS:
        render_line("Reserved?", writer, rng)
    assert len(opened) >= len(hw.ALL_WRITERS)
    flat = [path.lower().replace("-", "").replace("_", "") for path in opened]
    assert not any(reserved.replace("-", "") in path for reserved in hw.RESERVED_FAMILIES for path in flat)


def test_writers_differ_and_lines_of_one_writer_vary():
    hands = {writer_hand(w) for w in hw.ALL_WRITERS}
    assert len(hands) == len(hw.ALL_WRITERS)  # every writer has its own hand
    writer = hw.writers("train")[0]
    a = render_line("the same words", writer, np.random.default_rng(1))
    b = render_line("the same words", writer, np.random.default_rng(2))
    assert a.dtype == np.uint8 and (a.shape != b.shape or not np.array_equal(a, b))
    assert np.median(a) > 150 and a.min() < 100  # dark ink on light paper, like a scan


def test_lines_split_by_writer_with_labels(tiny_lines):
    dataset, data = tiny_lines
    assert dataset.is_substitute and "substitute" in dataset.source_name
    for split, count in (("train", 31), ("val", 5), ("test", 7)):
        x, y = data.get(split)
        assert x.shape == (count, 32, 256) and x.dtype == np.uint8 and y.shape == (count, 24)
        # White ink on black, normalised: background 0, strong ink.
        assert np.median(x) == 0 and x.max(axis=(1, 2)).min() > 200
        texts = [indices_to_text(row) for row in y]
        assert all(texts) and len(set(texts)) > count // 2
    assert [dataset.writer_of("test", i) for i in range(7)] == [w.family for w in hw.TEST_WRITERS]
    assert dataset.writer_of("train", 30) == hw.TRAIN_WRITERS[30].family
    assert dataset.writer_of("train", len(hw.TRAIN_WRITERS)) == hw.TRAIN_WRITERS[0].family


def test_variable_width_lines(tiny_lines):
    _, data = tiny_lines
    widths = [np.flatnonzero(image.max(axis=0) > 64).max() for image in data.x_train]
    assert max(widths) - min(widths) > 60


def test_same_arguments_same_lines(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path / "a"))
    a = IamLines(source="substitute", width=128, max_length=10, num_train=3, num_val=1, num_test=1).load()
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path / "b"))
    b = IamLines(source="substitute", width=128, max_length=10, num_train=3, num_val=1, num_test=1).load()
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)


def test_auto_without_iam_is_the_substitute():
    assert IamLines(source="auto").source == "substitute"


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="source"):
        IamLines(source="iam-online")
    with pytest.raises(ValueError, match="height"):
        IamLines(source="substitute", height=4)


def test_lines_are_the_same_from_one_process_or_two():
    texts = ["one line", "another line, 1905", "a third", "and a fourth one"]
    writers = hw.writers("val")
    one = render_lines(texts, writers, np.random.default_rng(3), 32, 256, 24, processes=1)
    two = render_lines(texts, writers, np.random.default_rng(3), 32, 256, 24, processes=2)
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])


def test_real_digits_write_the_digits():
    square = np.zeros((1, 28, 28), np.uint8)
    square[0, 4:24, 4:24] = 255  # a "digit" no font draws: a filled square
    digits = [square] * 10
    writer = hw.writers("val")[0]
    with_squares = [render_ink("1905", writer, np.random.default_rng(seed), digits) for seed in range(6)]
    # A filled square leaves far more ink than a font's thin digits.
    fonts_only = [render_ink("1905", writer, np.random.default_rng(seed), None) for seed in range(6)]
    assert np.mean([ink.mean() for ink in with_squares]) > 1.5 * np.mean([ink.mean() for ink in fonts_only])


def test_neighbouring_lines_are_cut_into_the_crop():
    writer = hw.writers("val")[1]
    texts = ["Highly tall letters: bdfhklt", "gjpqy descending"]
    ink = render_ink("middle line", writer, np.random.default_rng(0))
    taller = 0
    for seed in range(6):
        crop = line_rendering._with_neighbours(ink, texts, writer, np.random.default_rng(seed), None)
        assert crop.shape[1] == ink.shape[1]  # cut at the line's own width, as a real crop is
        assert crop.sum() >= ink.sum() - 1e-3  # the line itself is all there
        taller += crop.shape[0] > ink.shape[0] * 1.1
    # Most crops also hold the bottom of the line above or the top of the line below.
    assert taller >= 3
