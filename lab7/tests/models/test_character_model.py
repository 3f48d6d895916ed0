"""Lab 1 exercise: CharacterModel.predict_on_image, and the model's weights round trip."""

import keras
import numpy as np
import pytest

from text_recognizer.data.character_mapping import MAPPING
from text_recognizer.models import CharacterModel, ModelConfigError


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(1)
    return CharacterModel(MAPPING, (28, 28), "mlp", {"layer_size": 16, "num_layers": 1})


def test_predict_on_image_returns_the_most_probable_character(model):
    images = np.random.default_rng(0).integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
    probabilities = model.predict_batch(images)
    for image, expected in zip(images, probabilities):
        character, confidence = model.predict_on_image(image)
        assert character == MAPPING[int(np.argmax(expected))], (
            f"predict_batch's most probable class is {MAPPING[int(np.argmax(expected))]!r}, predict_on_image said "
            f"{character!r}: they must agree (same scaling, same network, inference mode)")
        assert isinstance(confidence, float), f"the confidence must be a Python float, got {type(confidence)}"
        assert confidence == pytest.approx(float(expected.max()), rel=1e-4), (
            f"confidence {confidence}, expected the class's probability {float(expected.max()):.6f} "
            "(a softmax probability, not a logit)")


def test_predict_on_image_scales_uint8_like_floats(model):
    image = np.random.default_rng(1).integers(0, 256, size=(28, 28), dtype=np.uint8)
    assert model.predict_on_image(image)[0] == model.predict_on_image(image / 255.0)[0], (
        "a uint8 image and the same image as floats in [0, 1] must read the same: scale as the model does")


@pytest.mark.parametrize("shape", [(28,), (27, 28), (1, 28, 28), (28, 28, 3)])
def test_predict_on_image_rejects_wrong_shapes_clearly(model, shape):
    with pytest.raises(ValueError, match=r"shape \(28, 28\)"):
        model.predict_on_image(np.zeros(shape, np.uint8))


def test_saved_weights_reload_to_the_same_predictions(model, tmp_path):
    _, config_path = model.save(tmp_path / "model", extra={"note": "test"})
    reloaded = CharacterModel.load(config_path)
    images = np.random.default_rng(2).integers(0, 256, size=(4, 28, 28), dtype=np.uint8)
    np.testing.assert_allclose(reloaded.predict_batch(images), model.predict_batch(images), rtol=1e-5)


def test_warm_start_loads_saved_weights_of_the_same_form_only(model, tmp_path):
    _, config_path = model.save(tmp_path / "model")
    keras.utils.set_random_seed(5)
    fresh = CharacterModel(MAPPING, (28, 28), "mlp", {"layer_size": 16, "num_layers": 1})
    images = np.random.default_rng(3).integers(0, 256, size=(4, 28, 28), dtype=np.uint8)
    assert not np.allclose(fresh.predict_batch(images), model.predict_batch(images))
    fresh.warm_start(config_path)
    np.testing.assert_allclose(fresh.predict_batch(images), model.predict_batch(images), rtol=1e-5)
    wider = CharacterModel(MAPPING, (28, 28), "mlp", {"layer_size": 32, "num_layers": 1})
    with pytest.raises(ModelConfigError, match="network_args"):
        wider.warm_start(config_path)


def test_loading_corrupt_weights_says_so(model, tmp_path):
    weights_path, config_path = model.save(tmp_path / "model")
    weights_path.write_bytes(b"not an h5 file")
    with pytest.raises(ModelConfigError, match="corrupt"):
        CharacterModel.load(config_path)


def test_unknown_network_or_bad_network_args_are_clear_errors():
    with pytest.raises(ModelConfigError, match="Unknown network"):
        CharacterModel(MAPPING, (28, 28), "resnet")
    with pytest.raises(ModelConfigError, match="layer_sizes"):
        CharacterModel(MAPPING, (28, 28), "mlp", {"layer_sizes": 3})


def test_networks_are_found_by_name_and_custom_ones_can_be_added():
    """A config names a network; `get_network` finds it in its module, or on the package."""
    import text_recognizer.networks as networks
    from text_recognizer.lookup import UnknownNameError
    from text_recognizer.networks.mlp import mlp

    assert networks.get_network("mlp") is mlp
    with pytest.raises(UnknownNameError, match="choose one of: .*mlp"):
        networks.get_network("no_such_network")

    def tiny(input_shape, num_classes, **_):
        return mlp(input_shape, num_classes, layer_size=4, num_layers=1)

    networks.tiny_test_network = tiny  # what a caller does to add a network by name
    try:
        model = CharacterModel(MAPPING, (28, 28), "tiny_test_network")
        assert model.network.count_params() == 784 * 4 + 4 + 4 * 80 + 80
    finally:
        delattr(networks, "tiny_test_network")
