"""Hostile submissions, graded inputs and the leaderboard (issue 8, sections 1 and 2):

- the course's reference weights earn no leaderboard entry, also when their file is re-saved;
  a model of the student's own does;
- a lookup table of every public image (MNIST's test split, the support files' bytes and
  pixels) reads nothing of the hidden set or of the graded support images;
- weights that ignore the input (zero kernels, a bias) are not a verified network.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from autograder.paths import SUPPORT_IMAGES_DIR
from autograder.suites.lab1.test_deployed import ACCURACY_TARGET, CHANCE
from autograder.suites.perturb import decode
from autograder.tests.conftest import needs_weights
from autograder.tests.hostile import MLP_SIGNATURE, inside_function, rewrite_weights

# The hostile-submission corpus: each test grades a whole submission in the sandbox (`make test-long`).
pytestmark = [pytest.mark.usefixtures("sandbox_ok"), pytest.mark.long]
WEIGHTS = "text_recognizer/weights/character_model_mlp.weights.h5"
PREDICTOR = "text_recognizer/predictors/base.py"
HIDDEN = "Deployed predictor: accuracy on the hidden set (public half)"
SUPPORT = "Deployed predictor: support images"


@needs_weights
def test_reference_weights_earn_points_but_no_leaderboard_entry(honest):
    hidden = honest.test(HIDDEN)
    assert hidden["score"] == hidden["max_score"]
    assert honest.results["leaderboard"] == []
    assert "No leaderboard entry" in hidden["output"] and "reference weights" in hidden["output"]
    assert honest.report["private"]["hidden_set"]["reference_weights"]


@needs_weights
def test_a_resaved_copy_of_the_reference_weights_earns_no_entry(make_submission, grade_submission):
    submission = make_submission(name="resaved")
    rewrite_weights(submission / WEIGHTS, lambda array: array)  # the same values, other bytes
    graded = grade_submission(submission, student="resaved")
    assert graded.results["leaderboard"] == []
    assert "the reference model's" in graded.test(HIDDEN)["output"]


@needs_weights
def test_a_model_of_ones_own_gets_its_leaderboard_entry(make_submission, grade_submission):
    submission = make_submission(name="own")
    rng = np.random.default_rng(3)
    rewrite_weights(submission / WEIGHTS, lambda array: array * (1 + 0.05 * rng.standard_normal(array.shape)))
    graded = grade_submission(submission, student="own")
    entries = graded.results["leaderboard"]
    assert [e["name"] for e in entries] == ["Accuracy (public)"] and 0.5 < entries[0]["value"] <= 1.0
    assert "No leaderboard entry" not in graded.test(HIDDEN)["output"]
    assert graded.report["private"]["hidden_set"]["reference_weights"] is None


def _lookup_tables() -> dict:
    """Hashes of every public image a student has: MNIST's test digits (pixels), the support
    images (file bytes and pixels)."""
    from autograder.suites.reference import reference_module

    mapping = reference_module("text_recognizer.data.character_mapping").MAPPING
    digits, labels = reference_module("text_recognizer.data.synthetic.emnist_substitute").mnist_digits("test")
    table = {hashlib.sha256(image.tobytes()).hexdigest(): mapping[label] for image, label in zip(digits, labels)}
    for path in SUPPORT_IMAGES_DIR.glob("*.png"):
        character = path.stem.split("_")[1]
        table[hashlib.sha256(path.read_bytes()).hexdigest()] = character
        pixels = decode(path.read_bytes())
        for variant in (pixels, 255 - pixels):
            table[hashlib.sha256(np.ascontiguousarray(variant).tobytes()).hexdigest()] = character
    return table


LOOKUP = '''
        import hashlib as _hashlib, json as _json, pathlib as _pathlib
        _table = _json.loads((_pathlib.Path(__file__).parent / "public_images.json").read_text())
        if isinstance(image, (str, _pathlib.Path)):
            _key = _hashlib.sha256(_pathlib.Path(image).read_bytes()).hexdigest()
        else:
            _key = _hashlib.sha256(np.ascontiguousarray(np.asarray(image, dtype=np.uint8)).tobytes()).hexdigest()
        return (_table.get(_key, "?"), 0.9)
'''


def test_a_lookup_table_of_every_public_image_reads_nothing(make_submission, grade_submission):
    submission = make_submission(name="lookup", patches={
        "text_recognizer/predictors/public_images.json": json.dumps(_lookup_tables()),
        PREDICTOR: inside_function("def predict(self, image: str | Path | bytes | np.ndarray) -> tuple[str, float]:",
                                   LOOKUP),
    })
    graded = grade_submission(submission, student="lookup")
    # No public image is graded: the table hits nothing, and its fallback is a constant.
    assert graded.test(SUPPORT)["score"] == 0
    hidden = graded.report["private"]["hidden_set"]
    assert hidden["public_accuracy"] <= 2 * CHANCE and hidden["private_accuracy"] <= 2 * CHANCE
    credit = max(0.0, (hidden["public_accuracy"] - CHANCE) / (ACCURACY_TARGET - CHANCE))
    assert graded.test(HIDDEN)["score"] == pytest.approx(20 * credit, abs=1e-6) and credit < 0.05
    # The honest rest of the submission still counts.
    assert graded.group_score("predict_on_image:") == (30, 30)


def test_the_hidden_set_holds_no_public_digit(state_dir):
    from autograder.suites.lab1.hidden_set import load_or_build
    from autograder.suites.reference import reference_module
    from autograder.tests.conftest import TEST_SEED

    hidden = load_or_build(state_dir, TEST_SEED)
    digits, _ = reference_module("text_recognizer.data.synthetic.emnist_substitute").mnist_digits("test")
    public = {image.tobytes() for image in digits}
    assert not any(image.tobytes() in public for image in hidden.images)
    assert len(set(hidden.labels.tolist()) & set(range(1, 11))) == 10  # every digit class is there


ZERO_KERNELS = '''
        import numpy as np
        _built = _mlp_honest(input_shape, num_classes, layer_size, num_layers, dropout)
        _built.set_weights([w if w.ndim == 1 else np.zeros_like(w) for w in _built.get_weights()])
        for _layer in _built.layers:
            if getattr(_layer, "bias", None) is not None:
                _layer.bias.assign(np.full(_layer.bias.shape, 0.3, np.float32))
        return _built
'''


def test_weights_that_ignore_the_input_are_not_a_verified_network(make_submission, grade_submission):
    def patch(old: str) -> str:
        # The honest function under another name, and `mlp` returning it with zero kernels.
        honest = old.replace("def mlp(", "def _mlp_honest(", 1)
        patched = inside_function(MLP_SIGNATURE, ZERO_KERNELS)(old)
        return honest + "\n\n" + patched[patched.index("def mlp("):]

    graded = grade_submission(make_submission(name="zero-kernels", patches={"text_recognizer/networks/mlp.py": patch}),
                              student="zero-kernels")
    score, _ = graded.group_score("MLP:")
    assert score == 0
    assert "same output for every input" in graded.test("MLP: returns a keras.Model")["output"]


LINE_LOOKUP = '''
import hashlib as _hashlib
import json as _json
import pathlib as _pathlib

_TABLE = _json.loads(r"""{table}""")
_SEEN = [0]


def _lookup_predict(self, image):
    # The public support lines by the hash of their file; for anything else, a near-constant text.
    if isinstance(image, (str, _pathlib.Path)):
        return (_TABLE.get(_hashlib.sha256(_pathlib.Path(image).read_bytes()).hexdigest(), "the"), 0.9)
    _SEEN[0] += 1
    return ("the the the " + str(_SEEN[0] % 10), 0.5)


LinePredictor.predict = _lookup_predict
'''
NEAR_CONSTANT = '''

def _near_constant(self, images, *args, **kwargs):
    return [("the the the " + str(index % 10), 0.5) for index in range(len(images))]


LineModelCtc.predict_texts = _near_constant
'''


def test_lab3_lookup_of_the_support_lines_and_a_near_constant_text_earn_nothing(grade_submission, tmp_path):
    import dataclasses

    from autograder.labs import write_lab
    from autograder.suites.lab3.test_deployed import SUPPORT_LINES_DIR, support_lines
    from autograder.tests.conftest import TEST_LIMITS

    paths, texts = support_lines()
    table = {hashlib.sha256(path.read_bytes()).hexdigest(): text for path, text in zip(paths, texts, strict=True)}
    lab = write_lab(3, tmp_path / "lab3-lookup", solved=True)
    predictor = lab / "text_recognizer" / "predictors" / "line_predictor.py"
    predictor.write_text(predictor.read_text() + LINE_LOOKUP.replace("{table}", json.dumps(table)))
    model = lab / "text_recognizer" / "models" / "line_model_ctc.py"
    model.write_text(model.read_text() + NEAR_CONSTANT)
    assert SUPPORT_LINES_DIR.is_dir()
    graded = grade_submission(lab, student="lab3-lookup", lab=3,
                              limits=dataclasses.replace(TEST_LIMITS, timeout_scale=0.5))
    assert graded.test("Deployed predictor: support lines")["score"] == 0
    hidden = graded.test("Deployed predictor: CER on the hidden lines")
    assert hidden["score"] <= 0.05 * hidden["max_score"], hidden
    baseline = graded.report["private"]["constant_baseline"]
    assert 0.5 < baseline <= 1.0
    assert graded.report["private"]["hidden_lines"]["guess"] is False  # not one text: the baseline catches it
    # The exercises it left honest still count.
    assert graded.group_score("ctc_decode_logits:") == (30, 30)
