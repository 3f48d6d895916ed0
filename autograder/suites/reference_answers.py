"""The course's reference model, known by its answers on the hidden set (not by its file name).

The leaderboards rank the models students train. A submission whose deployed model answers the
hidden inputs as the course's reference model does (the same text on 99% of them, with the same
confidence to 1e-3) is the reference model, whatever its weights file is called or however it
was re-saved: it earns its points but no leaderboard entry (Lab 1's rule, for every lab with a
leaderboard).

The reference answers are computed once per installation and hidden set, in a separate trusted
process (solutions/ on its path, the same Keras backend as the sandbox), and cached in the state
folder (`<state>/labN/reference_answers.json`, 0600) so that a Gradescope zip carries them.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from autograder.errors import GraderError
from autograder.paths import SOLUTIONS_DIR, ensure_private_dir

VERSION = 1
#: Answers this close to the reference model's, on this share of the hidden inputs, are its answers.
SAME_CONFIDENCE = 1e-3
SAME_SHARE = 0.99
BUILD_TIMEOUT = 1800
WEIGHTS_DIR = SOLUTIONS_DIR / "text_recognizer" / "weights"

_RUN = """
import json, sys
import numpy as np
module, _, call = sys.argv[1].partition(":")
cls, _, method = call.partition("().")
import importlib
predict = getattr(getattr(importlib.import_module(module), cls)(), method)
with np.load(sys.argv[2], allow_pickle=False) as data:
    images = data["images"]
answers = []
for image in images:
    text, confidence = predict(image)
    answers.append([str(text), float(confidence)])
with open(sys.argv[3], "w") as file:
    json.dump(answers, file)
"""


def weights_digest(names: tuple[str, ...]) -> str | None:
    """A digest of the reference weights files `names`; None where solutions/ lacks them (a
    Gradescope zip: its cache was built at export)."""
    digest = hashlib.sha256()
    for name in names:
        path = WEIGHTS_DIR / name
        if not path.is_file():
            return None
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def load_or_build(path: Path, seed: int, predictor: str, weights: tuple[str, ...],
                  images: np.ndarray) -> list[tuple[str, float]]:
    """The reference `predictor`'s (text, confidence) per image, cached at `path` for this seed and
    these reference weights; computed by `predictor` (`module:Class().method`) from solutions/."""
    digest = weights_digest(weights)
    key = {"version": VERSION, "seed": seed, "predictor": predictor, "count": len(images)}
    if path.is_file():
        cached = json.loads(path.read_text())
        if {k: cached.get(k) for k in key} == key and (digest is None or cached.get("weights") == digest):
            return [(str(text), float(confidence)) for text, confidence in cached["answers"]]
    if digest is None:
        raise GraderError(f"the reference weights {', '.join(weights)} are not in {WEIGHTS_DIR} and {path} is "
                          "missing or stale: build it where solutions/ has them (`python -m autograder "
                          "export-gradescope` does) and copy the state folder.")
    answers = _run_reference(predictor, images)
    ensure_private_dir(path.parent)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        json.dump({**key, "weights": digest, "answers": answers}, file)
    partial.replace(path)
    return [(text, confidence) for text, confidence in answers]


def _run_reference(predictor: str, images: np.ndarray) -> list[list]:
    """Run the reference predictor in its own process: the trusted parent keeps Keras' numpy backend."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("KERAS_", "PYTHON"))}
    env.update({"PYTHONPATH": str(SOLUTIONS_DIR), "KERAS_BACKEND": os.environ.get("AUTOGRADER_KERAS_BACKEND",
                                                                                "tensorflow"),
                "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""})
    with tempfile.TemporaryDirectory(prefix="reference-answers-") as folder:
        inputs, outputs = Path(folder) / "images.npz", Path(folder) / "answers.json"
        np.savez(inputs, images=images)
        run = subprocess.run([sys.executable, "-c", _RUN, predictor, str(inputs), str(outputs)], env=env,
                             cwd=folder, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False)
        if run.returncode != 0 or not outputs.is_file():
            raise GraderError(f"the reference predictor {predictor} failed on the hidden set: {run.stderr[-1500:]}")
        return json.loads(outputs.read_text())


def same_as_reference(texts: list[str | None], confidences: list[float | None],
                      reference: list[tuple[str, float]]) -> bool:
    """Whether these answers are the reference model's (SAME_SHARE of them, to SAME_CONFIDENCE)."""
    if len(texts) != len(reference) or not reference:
        return False
    same = [text == ref_text and isinstance(confidence, float) and abs(confidence - ref_confidence) <= SAME_CONFIDENCE
            for text, confidence, (ref_text, ref_confidence) in zip(texts, confidences, reference, strict=True)]
    return float(np.mean(same)) >= SAME_SHARE
