"""The Lab 2 line model: character error rate, per-position prediction, evaluation, training end to end."""

import json

import keras
import numpy as np
import pytest

from text_recognizer.data.character_mapping import MAPPING, text_to_indices
from text_recognizer.models import LineModel, get_model_class
from text_recognizer.models.metrics import _edit_distance_python, character_error_rate, edit_distance
from text_recognizer.training.experiment_config import load_config
from text_recognizer.training.run_experiment import run_experiment

LINE = (28, 28 * 4)
NETWORK_ARGS = {"max_length": 4, "conv_dim": 2, "fc_dim": 4, "dropout": 0.0}


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("kitten", "sitting", 3), ("", "abc", 3), ("abc", "", 3), ("same", "same", 0), ("ab", "ba", 2),
     ("the cat", "the hat", 1), ("flaw", "lawn", 2)],
)
def test_edit_distance_of_known_strings(a, b, distance):
    assert edit_distance(a, b) == distance == _edit_distance_python(a, b)


def test_python_edit_distance_agrees_on_random_strings():
    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = ("".join(rng.choice(list("abc "), size=rng.integers(0, 12))) for _ in range(2))
        assert _edit_distance_python(a, b) == edit_distance(a, b)


def test_character_error_rate_sums_edits_over_all_target_characters():
    assert character_error_rate(["hello world"], ["hello world"]) == 0.0
    assert character_error_rate(["helo world"], ["hello world"]) == pytest.approx(1 / 11)
    # 1 edit in 4 characters and 3 edits in 6: (1 + 3) / (4 + 6), not the mean of 1/4 and 3/6.
    assert character_error_rate(["abcx", "abc"], ["abcd", "abcdef"]) == pytest.approx(0.4)
    assert character_error_rate(["a much longer line"], ["a"]) > 1


def test_character_error_rate_rejects_bad_input():
    with pytest.raises(ValueError, match="2 predictions for 1 targets"):
        character_error_rate(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="empty"):
        character_error_rate([""], [""])


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return LineModel(MAPPING, LINE, "line_cnn_sliding_window", NETWORK_ARGS)


def test_registered_for_experiment_configs():
    assert get_model_class("LineModel") is LineModel


def test_predict_on_image_reads_every_position_and_strips_padding(model):
    images = np.random.default_rng(0).integers(0, 256, size=(5, *LINE), dtype=np.uint8)
    probabilities = model.predict_batch(images)
    assert probabilities.shape == (5, 4, 80) and model.max_length == 4
    for image, expected in zip(images, probabilities, strict=True):
        text, confidence = model.predict_on_image(image)
        best = np.argmax(expected, axis=-1)
        assert text == "".join(MAPPING[i] for i in best if i != 0)
        assert isinstance(confidence, float)
        assert confidence == pytest.approx(float(expected.max(axis=-1).mean()), rel=1e-4)


def test_predict_on_image_pads_narrow_lines_and_rejects_wrong_shapes(model):
    narrow = np.zeros((28, 50), np.uint8)
    assert model.predict_on_image(narrow) == model.predict_on_image(np.zeros(LINE, np.uint8))
    for shape in [(27, 112), (1, 28, 112)]:
        with pytest.raises(ValueError, match="28 pixels high"):
            model.predict_on_image(np.zeros(shape, np.uint8))
    inked = np.full((28, 200), 255, np.uint8)
    with pytest.raises(ValueError, match="Split it into shorter lines"):
        model.predict_on_image(inked)


class OracleModel(LineModel):
    """Predicts given labels with certainty: evaluate must then report no errors."""

    answers: np.ndarray

    def predict_batch(self, images, batch_size=256):
        return np.eye(len(self.mapping))[self.answers]


def test_evaluate_reports_cer_line_accuracy_and_examples():
    oracle = OracleModel(MAPPING, LINE, "line_cnn_sliding_window", NETWORK_ARGS)
    labels = np.array([text_to_indices("ab") + [0, 0], text_to_indices("a b.")])
    oracle.answers = labels
    images = np.zeros((2, *LINE), np.uint8)
    perfect = oracle.evaluate(images, labels)
    assert perfect["character_error_rate"] == 0.0 and perfect["line_accuracy"] == 1.0
    assert perfect["position_accuracy"] == 1.0 and perfect["num_samples"] == 2
    assert perfect["examples"] == [["ab", "ab"], ["a b.", "a b."]]
    oracle.answers = np.array([text_to_indices("ab") + [0, 0], text_to_indices("a_b.".replace("_", "c"))])
    one_wrong = oracle.evaluate(images, labels)
    assert one_wrong["character_error_rate"] == pytest.approx(1 / 6)  # "a b." read as "acb."
    assert one_wrong["line_accuracy"] == 0.5


def test_fit_refuses_labels_of_another_length(model):
    class Lines:
        y_train = np.zeros((2, 8), np.int64)

    with pytest.raises(ValueError, match="max_length"):
        model.fit(Lines())


def test_weights_round_trip(model, tmp_path):
    _, config_path = model.save(tmp_path / "line")
    reloaded = LineModel.load(config_path)
    images = np.random.default_rng(3).integers(0, 256, size=(2, *LINE), dtype=np.uint8)
    np.testing.assert_allclose(reloaded.predict_batch(images), model.predict_batch(images), rtol=1e-5)


def test_run_experiment_trains_a_line_cnn_and_reports_its_cer(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path / "data"))
    config = {
        "name": "tiny_lines", "dataset": "emnist_lines", "model": "LineModel", "network": "line_cnn_all_conv",
        "dataset_args": {
            "source": "substitute", "max_length": 4, "num_train": 16, "num_val": 4, "num_test": 4,
            "symbols_per_class": 2, "char_args": {"letters_per_class_per_font": 2,
                                                  "test_letters_per_class_per_font": 2,
                                                  "digits_per_class": 5, "workers": 1},
        },
        "network_args": NETWORK_ARGS,
        "train_args": {"epochs": 1, "batch_size": 8, "early_stopping_patience": 0},
    }
    report = run_experiment(load_config(json.dumps(config)), run_dir=tmp_path / "run", verbose=0)
    assert report["is_substitute"] and report["test"]["num_samples"] == 4
    assert report["test"]["character_error_rate"] >= 0 and 0 <= report["test"]["line_accuracy"] <= 1
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["test"]["examples"]
    assert LineModel.load(report["model_config"]).max_length == 4
    # The validation CER is logged after every epoch, beside the loss.
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert len(history["val_character_error_rate"]) == report["epochs_run"]
