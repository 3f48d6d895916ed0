"""Real EMNIST, read from a tiny `matlab.zip` built like NIST's (no internet needed).

The fixture zip holds `matlab/emnist-byclass.mat` with the official structure: a struct
`dataset` with `train` and `test` (each `images` (N, 784) uint8 stored column-major, as MATLAB
writes them, and `labels` (N, 1)) and `mapping` (label, ASCII code). Its download spec points at
the file with a file:// URL, so the real download code runs too.
"""

import hashlib
import logging
import re
import string
import zipfile

import numpy as np
import pytest
import scipy.io
from commands import run_command

from text_recognizer import paths
from text_recognizer.data import EmnistCharacters, dataset_classes, get_dataset
from text_recognizer.data import download as download_module
from text_recognizer.data.character_mapping import MAPPING
from text_recognizer.data.errors import DataError

EMNIST_CHARACTERS = string.digits + string.ascii_uppercase + string.ascii_lowercase
TRAIN_PER_CLASS = [12] * 10 + [4] * 52  # digits outnumber letters, as in EMNIST
TEST_PER_CLASS = 2


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def upright_image(label: int) -> np.ndarray:
    """An image whose orientation is testable: a bar along the top, its label in the corner."""
    image = np.zeros((28, 28), np.uint8)
    image[2:5, 4:24] = 255  # transposed, this would be a bar down the left side
    image[27, 27] = label
    return image


def write_emnist_zip(path, train_per_class=TRAIN_PER_CLASS, test_per_class=TEST_PER_CLASS, mapping=None):
    def split(counts):
        labels = np.repeat(np.arange(62), counts)
        # MATLAB is column-major: each row of `images` is an image read column by column.
        images = np.stack([upright_image(label).flatten(order="F") for label in labels])
        return {"images": images, "labels": labels.reshape(-1, 1).astype(np.float64)}

    if mapping is None:
        mapping = np.array([[label, ord(char)] for label, char in enumerate(EMNIST_CHARACTERS)], np.float64)
    mat = path.parent / "emnist-byclass.mat"
    scipy.io.savemat(
        mat,
        {
            "dataset": {
                "train": split(train_per_class),
                "test": split(test_per_class),
                "mapping": mapping,
            }
        },
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(mat, "matlab/emnist-byclass.mat")
    return path


@pytest.fixture
def emnist_spec(tmp_path, monkeypatch):
    """Point the EMNIST download spec at a fixture zip; returns the fixture's path."""

    def point_at(zip_path):
        metadata = tmp_path / "metadata"
        metadata.mkdir(exist_ok=True)
        sha = hashlib.sha256(zip_path.read_bytes()).hexdigest()
        (metadata / "emnist.toml").write_text(
            f'url = "{zip_path.as_uri()}"\nfilename = "matlab.zip"\nsha256 = "{sha}"\n'
        )
        monkeypatch.setattr(download_module, "METADATA_DIR", metadata)
        return zip_path

    return point_at


def test_reads_emnist_upright_with_course_labels_balanced_and_split(emnist_spec, tmp_path):
    emnist_spec(write_emnist_zip(tmp_path / "fixture.zip"))
    dataset = EmnistCharacters(source="emnist")
    assert "EMNIST" in dataset.source_name and "substitute" not in dataset.source_name
    data = dataset.load()
    assert (paths.raw_dir("emnist") / "matlab.zip").exists()  # "downloaded" through the spec

    for split in ("train", "val", "test"):
        x, y = data.get(split)
        assert x.dtype == np.uint8 and x.shape[1:] == (28, 28)
        assert (x[:, 3, 14] == 255).all() and (x[:, 14, 3] == 0).all()  # upright, not transposed
        assert np.array_equal(y, x[:, 27, 27].astype(np.int64) + 1)  # EMNIST label k -> class k+1

    # Balanced: at most the mean count (10*12 + 52*4) / 62 = 5.3 -> 5 of each class.
    train_and_val = np.concatenate([data.y_train, data.y_val])
    counts = np.bincount(train_and_val, minlength=80)
    assert counts[1:11].tolist() == [5] * 10 and counts[11:63].tolist() == [4] * 52
    assert len(data.y_val) == round(0.1 * len(train_and_val))
    assert np.bincount(data.y_test, minlength=80)[1:63].tolist() == [TEST_PER_CLASS] * 62  # not balanced
    assert [MAPPING[i] for i in np.unique(data.y_test)] == list(EMNIST_CHARACTERS)


def test_unbalanced_keeps_every_training_example(emnist_spec, tmp_path):
    emnist_spec(write_emnist_zip(tmp_path / "fixture.zip"))
    data = EmnistCharacters(source="emnist", balance=False).load()
    assert len(data.y_train) + len(data.y_val) == sum(TRAIN_PER_CLASS)


def test_auto_uses_emnist_only_when_already_downloaded(emnist_spec, tmp_path, caplog):
    emnist_spec(write_emnist_zip(tmp_path / "fixture.zip"))
    with caplog.at_level(logging.WARNING):
        dataset = EmnistCharacters()
    assert dataset.source == "substitute" and "not EMNIST" in dataset.source_name
    assert "--download" in caplog.text and "substitute" in caplog.text

    paths.raw_dir("emnist").mkdir(parents=True)
    (paths.raw_dir("emnist") / "matlab.zip").write_bytes((tmp_path / "fixture.zip").read_bytes())
    dataset = EmnistCharacters(source="auto")
    assert dataset.source == "emnist"
    assert len(dataset.load().y_test) == 62 * TEST_PER_CLASS


def test_auto_with_a_damaged_download_explains_without_using_the_network(emnist_spec, tmp_path):
    emnist_spec(write_emnist_zip(tmp_path / "fixture.zip"))
    paths.raw_dir("emnist").mkdir(parents=True)
    (paths.raw_dir("emnist") / "matlab.zip").write_bytes(b"not the zip")
    with pytest.raises(DataError, match=r"missing or damaged.*--download"):
        EmnistCharacters(source="auto").load()


def test_a_zip_that_is_not_emnist_gives_a_clear_error(emnist_spec, tmp_path):
    wrong = tmp_path / "wrong.zip"
    with zipfile.ZipFile(wrong, "w") as archive:
        archive.writestr("matlab/emnist-letters.mat", b"")
    emnist_spec(wrong)
    with pytest.raises(DataError, match=r"not a readable copy of NIST's EMNIST.*--download"):
        EmnistCharacters(source="emnist").load()


def test_a_split_that_is_not_byclass_is_refused(emnist_spec, tmp_path):
    letters_only = np.array([[k, ord(c)] for k, c in enumerate(string.ascii_uppercase)] * 2 + [[52, 48]] * 10)
    emnist_spec(write_emnist_zip(tmp_path / "fixture.zip", mapping=letters_only))
    with pytest.raises(DataError, match="not EMNIST ByClass"):
        EmnistCharacters(source="emnist").load()


def test_each_configuration_has_its_own_cache():
    tiny = EmnistCharacters(source="substitute", letters_per_class_per_font=1, digits_per_class=5)
    paths_seen = {
        EmnistCharacters(source="substitute").cache_path(),
        tiny.cache_path(),
        EmnistCharacters(source="substitute", seed=1).cache_path(),
        EmnistCharacters(source="emnist").cache_path(),
    }
    assert len(paths_seen) == 4
    assert all(path.parent == paths.processed_dir("emnist") for path in paths_seen)


def test_datasets_are_found_by_name_with_valid_arguments():
    assert dataset_classes()["emnist"] is EmnistCharacters
    assert get_dataset("emnist", {"source": "substitute", "seed": 3}).seed == 3
    with pytest.raises(ValueError, match="choose one of: emnist"):
        get_dataset("mnist", {})
    with pytest.raises(ValueError, match=r"\['balanced'\].*balance"):
        get_dataset("emnist", {"balanced": True})
    with pytest.raises(ValueError, match="auto"):
        get_dataset("emnist", {"source": "nist"})


def test_download_command_offline_exits_with_a_clear_message(tmp_path, monkeypatch):
    from text_recognizer.data import emnist

    metadata = tmp_path / "metadata"
    metadata.mkdir()
    # ".invalid" never resolves (RFC 2606): the same failure as a machine without internet.
    (metadata / "emnist.toml").write_text(
        f'url = "http://emnist.invalid/matlab.zip"\nfilename = "matlab.zip"\nsha256 = "{"0" * 64}"\n'
    )
    monkeypatch.setattr(download_module, "METADATA_DIR", metadata)
    result = run_command(emnist.main, "--download")
    assert result.exit_code == 1 and re.search(r"offline substitute.*put it at .*matlab\.zip", result.output)
