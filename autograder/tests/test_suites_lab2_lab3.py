"""Labs 2 and 3: the honest solution gets full marks, the stubbed lab zero on its exercises, and a
hostile submission earns nothing from the tests it attacks."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest

from autograder.labs import write_lab
from autograder.pipeline.grading import catalogue
from autograder.records.results import validate_results
from autograder.tests.conftest import TEST_LIMITS, graded_once
from autograder.tests.hostile import append, prepend, rewrite_weights

LAB2_EXERCISES = ("LeNet:", "extract_windows:", "Line CNN all-conv:")
LAB3_EXERCISES = ("ctc_lengths:", "CtcLoss:", "ctc_decode_logits:", "line_lstm_ctc:")
LAB3_CTC = ("ctc_lengths:", "CtcLoss:", "ctc_decode_logits:")
LINE_WEIGHTS = "text_recognizer/weights/line_model_ctc_line_lstm_ctc.weights.h5"
#: The first Keras call of a grading (inside the first call) can take seconds on a loaded
#: 2-core machine: looser call deadlines than the Lab 1 tests' keep the honest gradings stable.
LIMITS = dataclasses.replace(TEST_LIMITS, timeout_scale=0.5)

EXIT_AT_IMPORT = """
import os
os._exit(0)
"""

ALWAYS_EQUAL = """

class _Anything(float):
    def __eq__(self, other):
        return True
    __hash__ = float.__hash__
    def __lt__(self, other):
        return True
    __le__ = __gt__ = __ge__ = __lt__


class _AnyText(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__


class _Everything:
    shape = property(lambda self: (5,))
    def __eq__(self, other):
        return True
    def __array__(self, *args, **kwargs):
        raise TypeError("no")


def ctc_lengths(y_true, y_pred):
    return _Everything(), _Everything()


def _call(self, y_true, y_pred):
    return _Everything()


CtcLoss.call = _call


def ctc_decode_logits(logits, mapping, strategy="greedy", beam_width=10):
    return [(_AnyText(""), _Anything(0.5)) for _ in range(len(logits))]
"""


GREEDY_FOR_BEAM = """
_decode_honestly = ctc_decode_logits


def ctc_decode_logits(logits, mapping, strategy="greedy", beam_width=10):
    return _decode_honestly(logits, mapping, "greedy", beam_width)
"""


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    root = tmp_path_factory.mktemp("labs23")
    made = {
        "lab2-honest": write_lab(2, root / "lab2-honest", solved=True),
        "lab2-stub": write_lab(2, root / "lab2-stub", solved=False, prefer_committed=False),
        "lab3-honest": write_lab(3, root / "lab3-honest", solved=True),
        "lab3-stub": write_lab(3, root / "lab3-stub", solved=False, prefer_committed=False),
    }

    def patched(name: str, base: str, module: str, patch) -> None:
        """A copy of `made[base]` whose `module` (under text_recognizer/) is rewritten by `patch`."""
        made[name] = root / name
        shutil.copytree(made[base], made[name])
        path = made[name] / "text_recognizer" / module
        path.write_text(patch(path.read_text()))

    patched("lab2-hostile", "lab2-honest", "networks/lenet.py", prepend(EXIT_AT_IMPORT))
    patched("lab3-hostile", "lab3-honest", "models/line_model_ctc.py", append(ALWAYS_EQUAL))
    # A model of the student's own: the reference weights, nudged (so they are not the course's).
    own = root / "lab3-own"
    shutil.copytree(made["lab3-honest"], own)
    rng = np.random.default_rng(3)
    rewrite_weights(own / LINE_WEIGHTS, lambda array: array * (1 + 0.01 * rng.standard_normal(array.shape)))
    made["lab3-own"] = own
    # The reference weights under another name, named by the saved config (one line changed).
    renamed = root / "lab3-renamed"
    shutil.copytree(made["lab3-honest"], renamed)
    weights = renamed / LINE_WEIGHTS
    weights.rename(weights.with_name("my_own_training.weights.h5"))
    config = weights.with_name("line_model_ctc_line_lstm_ctc.json")
    config.write_text(config.read_text().replace(weights.name, "my_own_training.weights.h5"))
    made["lab3-renamed"] = renamed
    patched("lab3-greedy-beam", "lab3-honest", "models/line_model_ctc.py", append(GREEDY_FOR_BEAM))
    return made


@pytest.fixture(scope="module")
def graded(sandbox_ok, sources, grade_submission):
    """Each submission graded once, on first use (its lab from its name: "lab2-...")."""
    by_lab = {lab: graded_once(grade_submission, sources, lab=lab, limits=LIMITS) for lab in (2, 3)}
    return lambda name: by_lab[int(name[3])](name)


def _failures(graded_one) -> list:
    return [(t["name"], t["score"], t["output"][:300]) for t in graded_one.results["tests"]
            if t["score"] != t["max_score"]]


def test_lab2_honest_solution_scores_full_marks(graded):
    honest = graded("lab2-honest")
    assert honest.results["score"] == pytest.approx(100.0), _failures(honest)
    assert honest.report["sandbox"]["starts"] == 1
    assert validate_results(honest.results) == []
    assert sum(t["max_score"] for t in honest.results["tests"]) == sum(row["max_score"] for row in catalogue(2))


def test_lab2_stubbed_lab_scores_zero(graded):
    stub = graded("lab2-stub")
    assert stub.results["score"] == 0
    assert stub.group_score(LAB2_EXERCISES)[1] == 100
    assert "NotImplementedError" in stub.test("LeNet: returns")["output"]


def test_lab2_module_that_exits_at_import_earns_nothing(graded):
    hostile = graded("lab2-hostile")
    assert hostile.results["score"] == 0, _failures(hostile)
    assert validate_results(hostile.results) == []


def test_lab3_honest_solution_scores_full_marks(graded):
    honest = graded("lab3-honest")
    assert honest.results["score"] == pytest.approx(100.0), _failures(honest)
    assert honest.report["sandbox"]["starts"] == 1
    # It deploys the course's reference weights: full points, but no leaderboard entry.
    assert honest.results["leaderboard"] == []
    assert "No leaderboard entry" in honest.test("Deployed predictor: CER on the hidden lines")["output"]
    assert honest.report["private"]["hidden_lines"]["reference_weights"] is True
    assert 0.0 <= honest.report["private"]["hidden_lines"]["private_cer"] < 0.2
    assert validate_results(honest.results) == []
    assert sum(t["max_score"] for t in honest.results["tests"]) == sum(row["max_score"] for row in catalogue(3))


def test_lab3_model_of_ones_own_gets_its_leaderboard_entry(graded):
    own = graded("lab3-own")
    entries = own.results["leaderboard"]
    assert [e["name"] for e in entries] == ["CER (public)"], _failures(own)
    assert entries[0]["order"] == "asc" and 0.0 <= entries[0]["value"] < 0.3
    assert own.report["private"]["hidden_lines"]["reference_weights"] is False


def test_lab3_renamed_reference_weights_get_no_leaderboard_entry(graded):
    """The reference model is known by its answers on the hidden lines, not by its file name."""
    renamed = graded("lab3-renamed")
    assert renamed.results["leaderboard"] == [], _failures(renamed)
    assert renamed.report["private"]["hidden_lines"]["reference_weights"] is True
    assert renamed.test("Deployed predictor: CER on the hidden lines")["score"] == 15


def test_lab3_greedy_decoding_earns_no_beam_search_point(graded):
    """Beam cases where beam search and greedy decoding differ: greedy for both earns no beam point."""
    greedy = graded("lab3-greedy-beam")
    assert greedy.group_score("ctc_decode_logits: beam search") == (0, 15)
    assert greedy.group_score("ctc_decode_logits: greedy") == (15, 15)


def test_lab3_stubbed_lab_scores_zero(graded):
    stub = graded("lab3-stub")
    assert stub.results["score"] == 0, _failures(stub)
    assert stub.group_score(LAB3_EXERCISES)[1] == 75
    assert "NotImplementedError" in stub.test("CtcLoss:")["output"]


def test_lab3_always_equal_objects_earn_nothing(graded):
    hostile = graded("lab3-hostile")
    assert hostile.group_score(LAB3_CTC) == (0, 55), _failures(hostile)
    # Its decoding reads nothing, so the deployed predictor earns nothing either.
    assert hostile.group_score(("Deployed predictor:",))[0] == 0
    # The parts it left honest still count: scoring is per test.
    assert hostile.group_score(("line_lstm_ctc:",)) == (20, 20)
