"""Lab 3 probes: run INSIDE the sandbox, next to the student's code. Plain data out, no verdicts.

The parent chooses every input (labels, logits, network arguments, line images) and keeps every
expectation (lengths, CTC losses, decodings, the hidden lines' text); these functions only
report what the student's code returned, as arrays, plain str and float.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Set by the runner: the folder holding job.json and the input files.
JOB_DIR = Path("/job")
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

    return np.asarray(keras.ops.convert_to_numpy(value)).astype("float64")


def _plain_str(value) -> str | None:
    """The characters of a str (or str subclass), never its overridden methods."""
    return str.__str__(value)[:200] if isinstance(value, str) else None


def _plain_float(value) -> float | None:
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, (np.floating, np.integer)) or type(value) is int:
        return float(value)
    return None


def _pair(result) -> dict:
    record = {"container": type(result).__name__[:60]}
    if isinstance(result, (tuple, list)) and len(result) == 2:
        text, confidence = result
        record.update(text=_plain_str(text), confidence=_plain_float(confidence),
                      confidence_type=type(confidence).__name__[:60])
    return record


def ctc_lengths(args: dict, arrays: dict) -> dict:
    """The student's ctc_lengths on integer and float labels."""
    from text_recognizer.models.line_model_ctc import ctc_lengths as student_lengths

    observed = {}
    for kind in ("int", "float"):
        def call(kind=kind):
            label_length, logit_length = student_lengths(arrays[f"labels_{kind}"].copy(), arrays["logits"].copy())
            return {"label_length": _array(label_length), "logit_length": _array(logit_length)}

        observed[kind] = _guard(call)
    return observed


def ctc_loss(args: dict, arrays: dict) -> dict:
    """The student's CtcLoss().call per line on the parent's labels and logits."""
    from text_recognizer.models.line_model_ctc import CtcLoss

    loss = CtcLoss()
    return {"per_line": _guard(lambda: _array(loss.call(arrays["labels"].copy(), arrays["logits"].copy())))}


def ctc_decode(args: dict, arrays: dict) -> dict:
    """The student's ctc_decode_logits on the parent's logits, for each strategy."""
    from text_recognizer.models.line_model_ctc import ctc_decode_logits

    observed = {}
    for strategy in args["strategies"]:
        def call(strategy=strategy):
            result = ctc_decode_logits(arrays["logits"].copy(), list(args["mapping"]), strategy, args["beam_width"])
            return [_pair(item) for item in list(result)[: len(arrays["logits"]) + 1]]

        observed[strategy] = _guard(call)
    return observed


def line_lstm_ctc(args: dict, arrays: dict) -> dict:
    """The student's LSTM-CTC network: output, weights and parameter count."""
    import keras

    from text_recognizer.networks.line_lstm_ctc import line_lstm_ctc as student_network

    kwargs = {k: v for k, v in args.items() if k not in ("input_shape", "num_classes")}
    network = student_network(tuple(args["input_shape"]), args["num_classes"], **kwargs)
    record = {"type": type(network).__name__[:60], "is_keras_model": isinstance(network, keras.Model)}
    record["output"] = _guard(lambda: _array(network(arrays["inputs"], training=False)).astype("float32"))
    record["count_params"] = _guard(lambda: int(network.count_params()))

    def weights():
        found = [np.asarray(w).astype("float32") for w in network.get_weights()]
        if sum(w.size for w in found) > MAX_WEIGHT_ELEMENTS:
            raise ValueError("too many weights to report")
        return found

    record["weights"] = _guard(weights)
    return record


def support_lines(args: dict, arrays: dict) -> dict:
    """The student's deployed LinePredictor on line image files (read by the student's code)."""
    from text_recognizer.predictors.line_predictor import LinePredictor

    predictor = LinePredictor()
    return {"calls": [_guard(lambda path=JOB_DIR / relative: _pair(predictor.predict(path)))
                      for relative in args["files"]]}


def hidden_lines(args: dict, arrays: dict) -> dict:
    """Text the deployed predictor reads in the hidden lines (their text stays outside).

    All lines go through the model in batches (`predict_texts`); the first `args["check"]` also
    go through the predictor's own `predict`, and the agreement is reported.
    """
    from text_recognizer.predictors.line_predictor import LinePredictor

    predictor = LinePredictor()
    images = arrays["images"]
    texts, batch_error = [], None
    try:
        texts = [_plain_str(_pair(item).get("text")) for item in predictor.model.predict_texts(images)]
        if len(texts) != len(images):
            texts, batch_error = [], "wrong count"
    except Exception as error:  # noqa: BLE001 - fall back to the predictor, line by line
        batch_error = type(error).__name__[:60]
        texts = []
    checked = agree = errors = 0
    first_error = None
    for index, image in enumerate(images):
        if texts and index >= args.get("check", 8):
            break
        try:
            text = _plain_str(predictor.predict(image.copy())[0])
        except Exception as error:  # noqa: BLE001
            text, errors = None, errors + 1
            first_error = first_error or type(error).__name__[:60]
        if texts:
            checked += 1
            agree += text == texts[index]
        else:
            texts.append(text)
    return {"texts": texts, "errors": errors, "first_error_type": first_error, "batch_error": batch_error,
            "checked": checked, "agree": agree}
