"""LineModelCtc: CTC training on a tiny batch, line widths, evaluation, weights round trip."""

import keras
import numpy as np
import pytest

from text_recognizer.data.character_mapping import MAPPING, text_to_indices
from text_recognizer.models import ModelConfigError, get_model_class
from text_recognizer.models.line_model_ctc import LineModelCtc

MAX_LENGTH = 4
LINE_SHAPE = (28, 28 * MAX_LENGTH)


def padded(texts: list[str]) -> np.ndarray:
    labels = np.zeros((len(texts), MAX_LENGTH), "int32")
    for row, text in zip(labels, texts, strict=True):
        row[: len(text)] = text_to_indices(text)
    return labels


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(3)
    return LineModelCtc(MAPPING, LINE_SHAPE, "line_lstm_ctc", {"lstm_dim": 16})


def test_registered_for_experiment_configs():
    assert get_model_class("LineModelCtc") is LineModelCtc


def test_ctc_loss_is_finite_and_decreases_on_a_tiny_batch():
    keras.utils.set_random_seed(0)
    model = LineModelCtc(MAPPING, LINE_SHAPE, "line_lstm_ctc", {"lstm_dim": 16, "dropout": 0.0})
    model.compile(learning_rate=3e-3)
    x = model.preprocess(np.random.default_rng(0).integers(0, 256, (8, *LINE_SHAPE), dtype=np.uint8))
    y = padded(["ab", "c", "dd", "e f", "ll", "", "xyz", "a"])
    losses = [float(model.network.train_on_batch(x, y)) for _ in range(12)]
    assert np.all(np.isfinite(losses)), losses
    assert losses[-1] < 0.8 * losses[0], losses


def test_narrower_lines_are_padded_and_blank_right_ends_cropped(model):
    line = np.random.default_rng(1).integers(0, 256, (28, 80), dtype=np.uint8)
    padded_line = model.check_image(line)
    assert padded_line.shape == LINE_SHAPE
    assert np.array_equal(padded_line[:, :80], line) and not padded_line[:, 80:].any()
    wide = np.pad(padded_line, ((0, 0), (0, 40)))
    assert np.array_equal(model.check_image(wide), padded_line)
    assert model.predict_on_image(line)[0] == model.predict_on_image(padded_line)[0]


@pytest.mark.parametrize(
    ("shape", "message"),
    [((20, 100), "28 pixels high"), ((28, 100, 3), "28 pixels high"), ((28,), "28 pixels high")],
)
def test_wrong_shapes_get_a_clear_error(model, shape, message):
    with pytest.raises(ValueError, match=message):
        model.predict_on_image(np.zeros(shape, np.uint8))


def test_too_wide_lines_with_ink_get_a_clear_error(model):
    wide = np.zeros((28, LINE_SHAPE[1] + 50), np.uint8)
    wide[:, -10:] = 255
    with pytest.raises(ValueError, match="Split it into shorter lines"):
        model.predict_on_image(wide)


def test_evaluate_reports_cer_and_line_accuracy(model):
    x = np.random.default_rng(2).integers(0, 256, (5, *LINE_SHAPE), dtype=np.uint8)
    results = model.evaluate(x, padded(["ab", "c", "dd", "e f", "xy"]))
    assert results["num_samples"] == 5
    assert results["character_error_rate"] >= 0.0 and 0.0 <= results["line_accuracy"] <= 1.0
    assert 0.0 <= results["mean_confidence"] <= 1.0
    assert results["examples"][0][0] == "ab"


def test_saved_weights_reload_to_the_same_logits(model, tmp_path):
    _, config_path = model.save(tmp_path / "line")
    reloaded = LineModelCtc.load(config_path)
    x = np.random.default_rng(4).integers(0, 256, (2, *LINE_SHAPE), dtype=np.uint8)
    np.testing.assert_allclose(reloaded.predict_logits(x), model.predict_logits(x), rtol=1e-5, atol=1e-5)


def test_bad_network_args_are_a_clear_error():
    with pytest.raises(ModelConfigError, match="lstm_size"):
        LineModelCtc(MAPPING, LINE_SHAPE, "line_lstm_ctc", {"lstm_size": 3})
