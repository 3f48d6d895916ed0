"""Lab 1 probes: run INSIDE the sandbox, next to the student's code. Plain data out, no verdicts.

Each probe calls the student's code on inputs the parent chose and reports what it observed:
numbers, strings, arrays of weights and logits. It decides nothing: the trusted parent compares
these observations with expectations computed outside the sandbox (see `checks.py`), so a
submission that tampers with this module, numpy or keras can only change what is reported,
never what is expected. Hidden labels never come here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Set by the runner: the folder holding job.json and the input files.
JOB_DIR = Path("/job")
MAX_LAYERS = 64
MAX_WEIGHT_ELEMENTS = 4_000_000


def _guard(function, *args, **kwargs) -> dict:
    """Run one observation; a failure becomes data about the failure."""
    try:
        return {"ok": True, "value": function(*args, **kwargs)}
    except BaseException as error:  # noqa: BLE001 - every failure is an observation
        try:
            message = str(error)[:1500]
        except BaseException:  # noqa: BLE001
            message = "<unprintable>"
        return {"ok": False, "error": f"{type(error).__name__}: {message}"}


def _plain_str(value) -> str | None:
    """The characters of a str (or str subclass), never its overridden methods."""
    return str.__str__(value)[:64] if isinstance(value, str) else None


def _plain_float(value) -> float | None:
    """The value of a float-like number, read without calling student-defined methods."""
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, (np.floating, np.integer)) or type(value) is int:
        return float(value)
    return None


# --- mlp ------------------------------------------------------------------------------------------
def _layer_record(layer, keras) -> dict:
    config = layer.get_config() if hasattr(layer, "get_config") else {}
    activation = config.get("activation")
    if not isinstance(activation, str):
        activation = None if activation is None else repr(activation)[:80]
    record = {
        "class_name": type(layer).__name__,
        "keras_class": type(layer).__module__.startswith("keras"),
        "name": str(layer.name)[:100],
        "units": config.get("units") if type(config.get("units")) is int else None,
        "activation": activation,
        "rate": _plain_float(config.get("rate")),
        "use_bias": config.get("use_bias") if type(config.get("use_bias")) is bool else None,
        "target_shape": [d for d in config.get("target_shape") or [] if type(d) is int],
        "max_value": _plain_float(config.get("max_value")),
        "negative_slope": _plain_float(config.get("negative_slope")),
        "threshold": _plain_float(config.get("threshold")),
        "axis": config.get("axis") if type(config.get("axis")) is int else None,
    }
    weights = [np.asarray(keras.ops.convert_to_numpy(w)) for w in layer.weights]
    if sum(w.size for w in weights) <= MAX_WEIGHT_ELEMENTS:
        record["weights"] = [w.astype("float32") for w in weights]
    return record


def mlp(args: dict, arrays: dict) -> dict:
    """Build the student's MLP with the given arguments; report its layers, weights and logits."""
    import keras

    from text_recognizer.networks.mlp import mlp as student_mlp

    network = student_mlp(
        tuple(args["input_shape"]),
        args["num_classes"],
        layer_size=args["layer_size"],
        num_layers=args["num_layers"],
        dropout=args["dropout"],
    )
    observed = {"type": type(network).__name__, "is_keras_model": isinstance(network, keras.Model)}

    def logits():
        output = network(arrays["inputs"], training=False)
        return np.asarray(keras.ops.convert_to_numpy(output)).astype("float32")

    def layers():
        found = list(network.layers)[:MAX_LAYERS + 1]
        return [_layer_record(layer, keras) for layer in found]

    observed["logits"] = _guard(logits)
    observed["count_params"] = _guard(lambda: int(network.count_params()))
    observed["layers"] = _guard(layers)
    return observed


# --- predict_on_image -----------------------------------------------------------------------------
def _grader_network(weights: list[np.ndarray]):
    """A fixed two-layer network with the parent's weights: predict_on_image is tested alone,
    whatever the student's mlp does."""
    import keras

    def build(input_shape, num_classes, **_ignored):
        inputs = keras.Input(shape=input_shape)
        x = keras.layers.Flatten()(inputs)
        x = keras.layers.Dense(weights[0].shape[1], activation="relu")(x)
        logits = keras.layers.Dense(num_classes)(x)
        network = keras.Model(inputs, logits, name="grader_network")
        network.set_weights(weights)
        return network

    return build


def _character_model(mapping: list[str], weights: list[np.ndarray]):
    from text_recognizer.models.character_model import CharacterModel

    build = _grader_network(weights)
    try:
        from text_recognizer.networks import NETWORKS

        NETWORKS["grader_network"] = build
        return CharacterModel(mapping, (28, 28), "grader_network"), "constructor"
    except Exception:  # noqa: BLE001 - an unusual constructor: set the attributes directly
        model = CharacterModel.__new__(CharacterModel)
        model.mapping, model.input_shape = list(mapping), (28, 28)
        model.network_name, model.network_args = "grader_network", {}
        model.network = build((28, 28), len(mapping))
        return model, "attributes"


def _prediction_record(result) -> dict:
    record = {"container": type(result).__name__[:60]}
    if isinstance(result, (tuple, list)):
        record["length"] = len(result)
        if len(result) == 2:
            character, confidence = result
            record.update(
                character=_plain_str(character),
                character_type=type(character).__name__[:60],
                confidence=_plain_float(confidence),
                confidence_type=type(confidence).__name__[:60],
            )
    return record


def predict_on_image(args: dict, arrays: dict) -> dict:
    """Call the student's CharacterModel.predict_on_image on every image the parent chose."""
    weights = [arrays[name] for name in ("kernel1", "bias1", "kernel2", "bias2")]
    model, built_by = _character_model(args["mapping"], weights)
    calls = []
    for name in ("images_uint8", "images_float"):
        for image in arrays[name]:
            call = _guard(lambda image=image: _prediction_record(model.predict_on_image(image.copy())))
            calls.append(call)
    return {"calls": calls, "built_by": built_by}


# --- the deployed predictor -----------------------------------------------------------------------
def support_images(args: dict, arrays: dict) -> dict:
    """The student's deployed CharacterPredictor on image files (read by the student's code)."""
    from text_recognizer.predictors import CharacterPredictor

    predictor = CharacterPredictor()
    calls = []
    for relative in args["files"]:
        path = JOB_DIR / relative
        calls.append(_guard(lambda path=path: _prediction_record(predictor.predict(path))))
    return {"calls": calls}


def hidden_set(args: dict, arrays: dict) -> dict:
    """Characters the deployed predictor reads in the hidden images (their labels stay outside).

    The whole set goes through the model in batches (`predict_batch`, seconds instead of a
    minute); the first `args["check"]` images also go one by one through the predictor's own
    `predict`, and the agreement is reported, so a predictor that differs from its model shows.
    """
    from text_recognizer.predictors import CharacterPredictor

    predictor = CharacterPredictor()
    images = arrays["images"]
    characters, errors, first_error, batch_error = [], 0, None, None
    try:
        model = predictor.model
        probabilities = np.asarray(model.predict_batch(images))
        indices = probabilities.reshape(len(images), -1).argmax(axis=-1)
        characters = [_plain_str(model.mapping[int(i)]) for i in indices]
    except Exception as error:  # noqa: BLE001 - fall back to the predictor, image by image
        batch_error = type(error).__name__[:60]
        characters = []
    checked = agree = 0
    for index, image in enumerate(images):
        if characters and index >= args.get("check", 32):
            break
        try:
            character = _plain_str(predictor.predict(image.copy())[0])
        except Exception as error:  # noqa: BLE001
            character = None
            errors += 1
            first_error = first_error or type(error).__name__[:60]
        if characters:
            checked += 1
            agree += character == characters[index]
        else:
            characters.append(character)
    return {"characters": characters, "errors": errors, "first_error_type": first_error,
            "batch_error": batch_error, "checked": checked, "agree": agree}
