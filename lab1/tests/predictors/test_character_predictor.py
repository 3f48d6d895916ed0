"""The character predictor: deployed weights, support images, and bad input."""

from pathlib import Path

import lab_folders
import numpy as np
import pytest
from PIL import Image

from text_recognizer.images.checks import ImageError
from text_recognizer.predictors import CharacterPredictor

SUPPORT_DIR = lab_folders.SUPPORT_DIR / "emnist"


def expected_character(path: Path) -> str:
    """Support images are named `<character>_<n>.png` (`upper_A`, `lower_a`, `digit_3` prefixes)."""
    return path.stem.split("_")[1]


@pytest.fixture(scope="module")
def predictor():
    if not CharacterPredictor.default_config.is_file():
        # Lab 1 ships without the deployed weights: its students train and deploy their own.
        pytest.skip("no deployed character model yet: train and deploy yours (the notebook's training cell, or "
                    "`python -m text_recognizer.training.run_experiment experiments/lab1_mlp.json --deploy`)")
    return CharacterPredictor()


def test_support_images_exist():
    assert len(list(SUPPORT_DIR.glob("*.png"))) >= 5


@pytest.mark.parametrize("path", sorted(SUPPORT_DIR.glob("*.png")), ids=lambda p: p.name)
def test_predictor_reads_the_support_images(predictor, path):
    character, confidence = predictor.predict(path)
    assert character == expected_character(path)
    assert 0.0 < confidence <= 1.0


def test_predictor_inverts_ink_on_paper(predictor):
    path = sorted(SUPPORT_DIR.glob("*.png"))[0]
    paper = 255 - np.asarray(Image.open(path).convert("L"))
    assert predictor.predict(paper)[0] == expected_character(path)


def test_wrong_sized_image_gets_a_clear_error(predictor, tmp_path):
    path = tmp_path / "big.png"
    Image.new("L", (64, 40)).save(path)
    with pytest.raises(ValueError, match=r"shape \(28, 28\).*got shape \(40, 64\)"):
        predictor.predict(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"%PDF-1.4 not an image", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "not an image"),  # a truncated PNG
    ],
)
def test_non_images_get_a_clear_error(predictor, tmp_path, content, message):
    path = tmp_path / "upload.png"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=message):
        predictor.predict(path)


def test_missing_file_gets_a_clear_error(predictor, tmp_path):
    with pytest.raises(ImageError, match="No image file"):
        predictor.predict(tmp_path / "missing.png")
