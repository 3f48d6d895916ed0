"""Lab 2 probes: run INSIDE the sandbox, next to the student's code. Plain data out, no verdicts.

Each probe calls the student's code on the parent's inputs and reports outputs and weights as
arrays; the trusted parent recomputes every expectation (numpy windows, its own reference
networks loaded with the reported weights) and decides.
"""

from __future__ import annotations

import numpy as np

MAX_WEIGHT_ELEMENTS = 4_000_000


def _error(error: BaseException) -> str:
    try:
        message = str(error)[:1500]
    except BaseException:  # noqa: BLE001
        message = "<unprintable>"
    return f"{type(error).__name__}: {message}"


def _guard(function, *args, **kwargs) -> dict:
    try:
        return {"ok": True, "value": function(*args, **kwargs)}
    except BaseException as error:  # noqa: BLE001 - every failure is an observation
        return {"ok": False, "error": _error(error)}


def _array(value) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(value)).astype("float32")


def network_record(network, inputs: np.ndarray) -> dict:
    """What the parent needs to check a network: its type, output, weights and parameter count."""
    import keras

    record = {"type": type(network).__name__[:60], "is_keras_model": isinstance(network, keras.Model)}
    record["output"] = _guard(lambda: _array(network(inputs, training=False)))
    record["count_params"] = _guard(lambda: int(network.count_params()))

    def weights():
        found = [np.asarray(w).astype("float32") for w in network.get_weights()]
        if sum(w.size for w in found) > MAX_WEIGHT_ELEMENTS:
            raise ValueError("too many weights to report")
        return found

    record["weights"] = _guard(weights)
    return record


def lenet(args: dict, arrays: dict) -> dict:
    """The student's LeNet built with the parent's arguments, on the parent's images."""
    from text_recognizer.networks.lenet import lenet as student_lenet

    network = student_lenet(tuple(args["input_shape"]), args["num_classes"], conv_dim=args["conv_dim"],
                            fc_dim=args["fc_dim"], dropout=args["dropout"])
    return network_record(network, arrays["inputs"])


def extract_windows(args: dict, arrays: dict) -> dict:
    """The student's extract_windows on the parent's images, one call per argument set."""
    from text_recognizer.networks.line_cnn import extract_windows as student_extract

    calls = []
    for case in args["cases"]:
        calls.append(_guard(lambda case=case: _array(student_extract(
            arrays["images"].copy(), case["window_width"], case["window_stride"], case["padding"]))))
    return {"calls": calls}


def all_conv_features(args: dict, arrays: dict) -> dict:
    """The student's all-convolutional feature network: output and weights."""
    from text_recognizer.networks.line_cnn import line_cnn_all_conv_features

    network = line_cnn_all_conv_features(tuple(args["input_shape"]), args["window_width"], args["window_stride"],
                                         args["padding"], args["conv_dim"], args["fc_dim"], args["dropout"])
    return network_record(network, arrays["inputs"])
