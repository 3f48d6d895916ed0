"""The CRNN line network and the handwriting line model: any width in, CTC logits out."""

import json
from pathlib import Path

import numpy as np
import pytest
from lab_folders import LAB_DIR

from text_recognizer.data.character_mapping import MAPPING
from text_recognizer.images.checks import ImageError
from text_recognizer.models.handwriting_line_model import HandwritingLineModel
from text_recognizer.networks.line_crnn import line_crnn

TINY = {"conv_dims": [4, 4, 8, 8], "lstm_dim": 8, "lstm_layers": 1, "dropout": 0.0}


def test_logits_per_four_pixels_for_any_width():
    network = line_crnn((32, 128), 80, **TINY)
    for width in (64, 128, 400):
        logits = np.asarray(network.predict_on_batch(np.zeros((2, 32, width), np.float32)))
        assert logits.shape == (2, width // 4, 80)


def test_height_must_divide_by_the_poolings():
    with pytest.raises(ValueError, match="divisible"):
        line_crnn((28, 128), 80, **TINY)


def test_model_pads_any_width_and_refuses_other_heights():
    model = HandwritingLineModel(MAPPING, (32, 128), "line_crnn", TINY)
    assert model.check_image(np.zeros((32, 13), np.uint8)).shape == (32, 32)
    assert model.check_image(np.zeros((32, 1001), np.uint8)).shape == (32, 1008)
    with pytest.raises(ImageError, match="normalize_line"):
        model.check_image(np.zeros((28, 100), np.uint8))
    text, confidence = model.predict_on_image(np.zeros((32, 700), np.uint8))
    assert isinstance(text, str) and 0.0 <= confidence <= 1.0


def test_augmentation_only_for_training_batches():
    model = HandwritingLineModel(MAPPING, (32, 64), "line_crnn", TINY)
    x = np.zeros((4, 32, 64), np.uint8)
    x[:, 10:20, 5:50] = 255
    y = np.ones((4, 5), np.int64)
    plain, _ = model.batch_transform(x, y)
    augmented, _ = model.augmented_batch_transform(x, y)
    assert np.array_equal(plain, x / 255.0) and not np.allclose(augmented, plain)


def test_quick_experiment_config_trains_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path / "data"))
    from text_recognizer.training.experiment_config import load_config
    from text_recognizer.training.run_experiment import train_and_evaluate

    config = load_config(str(LAB_DIR / "experiments" / "lab5_line_crnn_quick.json"))
    config.dataset_args.update(num_train=16, num_val=4, num_test=4)
    report = train_and_evaluate(config, tmp_path / "run", verbose=0)
    assert report["is_substitute"] and "IAM lines substitute" in report["data_source"]
    assert 0.0 <= report["test"]["character_error_rate"]
    saved = json.loads(Path(report["model_config"]).read_text())
    assert saved["model"] == "HandwritingLineModel" and saved["network"] == "line_crnn"
    loaded = HandwritingLineModel.load(Path(report["model_config"]))
    line = np.zeros((32, 90), np.uint8)
    line[8:24, 10:80] = 255
    assert isinstance(loaded.predict_on_image(line)[0], str)
