"""Marker parsing and rendering of single modules (no nbgrader, fast)."""

from __future__ import annotations

import ast

import pytest

from instructor.errors import CourseError
from instructor.manifest import glob_matches
from instructor.markers import parse_module, significant_lines

from .conftest import CNN, MLP, MODEL, dedent


def test_stub_replaces_region_at_its_indentation() -> None:
    module = parse_module("pkg/model.py", MODEL)
    lab1 = module.render(1)
    assert (
        '        raise NotImplementedError("Lab 1 exercise: implement '
        "CharacterModel.predict_on_image: Predict the character in an image; return it with "
        'its confidence. See notebooks/lab1.ipynb.")'
    ) in lab1.split("\n")
    assert "best_index" not in lab1
    assert (
        '"""Predict the character in an image; return it with its confidence."""'
        in lab1
    )
    ast.parse(lab1)


def test_exercise_of_a_later_lab_stays_stubbed_until_its_lab_is_over() -> None:
    module = parse_module("pkg/model.py", MODEL)
    for lab in (1, 2):
        assert (
            "Lab 2 exercise: implement CharacterModel.describe: Describe the model in one sentence."
            in module.render(lab)
        )
    assert "description = f" in module.render(3)
    # The solved form of lab 2 solves lab 2's own exercise.
    assert "description = f" in module.render(2, solved_through=2)


def test_solved_region_drops_markers_and_keeps_body() -> None:
    lab2 = parse_module("pkg/mlp.py", MLP).render(2)
    assert "### " not in lab2
    assert "    scaled_values = [value * scale for value in x]" in lab2.split("\n")


def test_in_line_from_lab_blocks_are_refused_with_what_to_do() -> None:
    source = "### BEGIN FROM LAB 2\ndef tracked():\n    return 1\n### END FROM LAB 2\n"
    with pytest.raises(CourseError) as info:
        parse_module("x.py", source)
    assert [p.split(": ", 1)[0] for p in info.value.problems] == ["solutions/x.py:1", "solutions/x.py:4"]
    assert all("a file of its own, listed at that lab in solutions/manifest.toml" in p
               for p in info.value.problems)


def test_qualified_names_and_docstring_summary() -> None:
    module = parse_module("pkg/model.py", MODEL)
    assert [(e.qualname, e.lab, e.line) for e in module.exercises] == [
        ("CharacterModel.predict_on_image", 1, 12),
        ("CharacterModel.describe", 2, 20),
    ]
    conv = parse_module("pkg/cnn.py", CNN).exercises[0]
    assert conv.summary == 'Convolve a signal with a kernel ("valid" mode).'
    # Quotes in the docstring are escaped in the stub literal.
    ast.parse(parse_module("pkg/cnn.py", CNN).render(2))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "def f():\n    ### BEGIN SOLUTION lab1\n    return 1\n",
            "x.py:2: solution region is never closed",
        ),
        (
            "def f():\n    return 1\n    ### END SOLUTION\n",
            "x.py:3: `### END SOLUTION` without a matching BEGIN",
        ),
        (
            "def f():\n    ### BEGIN SOLUTION lab9\n    return 1\n    ### END SOLUTION\n",
            "x.py:2: marker names lab 9",
        ),
        (
            "def f():\n    ### BEGIN SOLUTION lab0\n    return 1\n    ### END SOLUTION\n",
            "x.py:2: marker names lab 0",
        ),
        (
            "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n",
            "x.py:2: solution marker without its lab",
        ),
        (
            "def f():\n    ## BEGIN SOLUTION lab1\n    return 1\n",
            "x.py:2: malformed marker",
        ),
        (
            (
                "def f():\n    ### BEGIN SOLUTION lab1\n    ### BEGIN SOLUTION lab1\n    return 1\n"
                "    ### END SOLUTION\n    ### END SOLUTION\n"
            ),
            "x.py:3: solution region opened inside another solution region",
        ),
        (
            "### BEGIN SOLUTION lab1\nx = 1\n### END SOLUTION\n",
            "x.py:1: a solution region must sit inside a function",
        ),
        (
            "def f():\n    x = 1\n    ### BEGIN SOLUTION lab1\n    # todo\n    ### END SOLUTION\n",
            "x.py:3: the solution region holds no code",
        ),
        (
            "def f():\n    ### BEGIN HIDDEN TESTS\n    return 1\n",
            "x.py:2: hidden tests and mark schemes belong in notebook",
        ),
        ("def f(:\n", "x.py:1: not valid Python"),
        (
            "def f(:\n### END SOLUTION\n",
            "x.py:2: `### END SOLUTION` without a matching BEGIN",
        ),
    ],
)
def test_marker_errors_name_file_and_line(source: str, expected: str) -> None:
    with pytest.raises(CourseError) as info:
        parse_module("x.py", source)
    assert any(expected in problem for problem in info.value.problems), (
        info.value.problems
    )


def test_all_marker_problems_reported_at_once() -> None:
    source = dedent(
        """\
        def f():
            ### BEGIN SOLUTION lab8
            return 1
            ### END SOLUTION
        ### END FROM LAB 2
        """
    )
    with pytest.raises(CourseError) as info:
        parse_module("x.py", source)
    assert len(info.value.problems) == 3
    assert all(p.startswith("solutions/x.py:") for p in info.value.problems)


def test_significant_lines_skip_trivial_code() -> None:
    lines = [
        "",
        "    # comment",
        "    return",
        "    pass",
        "    )",
        "    else:",
        "    value = compute(x)",
    ]
    assert significant_lines(lines) == ["value = compute(x)"]


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("text_recognizer/data/**", "text_recognizer/data/emnist.py", True),
        ("text_recognizer/data/**", "text_recognizer/data/sub/x.json", True),
        ("text_recognizer/data/**", "text_recognizer/datax/a.py", False),
        ("tests/test_*.py", "tests/test_mlp.py", True),
        ("tests/test_*.py", "tests/sub/test_mlp.py", False),
        ("**/conftest.py", "conftest.py", True),
        ("**/conftest.py", "a/b/conftest.py", True),
        ("weights/model.*", "weights/model.h5", True),
        ("experiments/lab1_?.json", "experiments/lab1_a.json", True),
    ],
)
def test_manifest_globs_follow_pathlib(pattern: str, path: str, matches: bool) -> None:
    assert glob_matches(pattern, path) is matches


def test_stub_message_names_the_notebook_section_the_docstring_points_to() -> None:
    source = dedent(
        '''
        def mlp(x):
            """Scale every input.

            Notebook: "Exercise: the MLP network" shows why.
            """
            ### BEGIN SOLUTION lab1
            return [2 * v for v in x]
            ### END SOLUTION
        '''
    )
    [exercise] = parse_module("pkg/mlp.py", source).exercises
    assert exercise.section == "Exercise: the MLP network"
    assert exercise.stub_message() == (
        'Lab 1 exercise: implement mlp: Scale every input. See notebooks/lab1.ipynb, '
        'section "Exercise: the MLP network".'
    )
