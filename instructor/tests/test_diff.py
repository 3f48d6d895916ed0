"""`diff N` shows exactly lab N's exercises: their solutions, and nothing else."""

from __future__ import annotations

from pathlib import Path

from .conftest import invoke


def _changed_lines(diff: str) -> tuple[list[str], list[str]]:
    removed = [
        ln[1:]
        for ln in diff.splitlines()
        if ln.startswith("-") and not ln.startswith("---")
    ]
    added = [
        ln[1:]
        for ln in diff.splitlines()
        if ln.startswith("+") and not ln.startswith("+++")
    ]
    return removed, added


def test_diff_shows_lab1_exercises_only(built: Path) -> None:
    result = invoke("diff", "1", "--root", built)
    assert result.exit_code == 0, result.output
    headers = [
        ln for ln in result.output.splitlines() if ln.startswith(("--- ", "+++ "))
    ]
    assert headers == [
        "--- lab1/notebooks/lab1.ipynb",
        "+++ lab1-solved/notebooks/lab1.ipynb",
        "--- lab1/pkg/mlp.py",
        "+++ lab1-solved/pkg/mlp.py",
        "--- lab1/pkg/model.py",
        "+++ lab1-solved/pkg/model.py",
    ]
    removed, added = _changed_lines(result.output)
    assert added == [
        "    return x * x  # the square",
        "Squaring loses the sign of the input because both signs give the same product.",
        "    scaled_values = [value * scale for value in x]",
        "    return [math.tanh(value) for value in scaled_values]",
        "        best_index = max(range(len(image)), key=lambda i: image[i])",
        "        confidence_value = image[best_index] / sum(image)",
        "        return self.mapping[best_index], confidence_value",
    ]
    assert removed[:3] == [
        "    # YOUR CODE HERE",
        "    raise NotImplementedError()",
        "YOUR ANSWER HERE",
    ]
    assert all("Lab 1 exercise" in line for line in removed[3:]) and len(removed) == 5
    # Notebooks are diffed as cell sources, not JSON.
    assert "# ---- cell 2 (square) [code] ----" in result.output
    assert '"cell_type"' not in result.output


def test_diff_of_lab2_shows_its_exercises_not_lab1s(built: Path) -> None:
    result = invoke("diff", "2", "--root", built)
    assert result.exit_code == 0, result.output
    removed, added = _changed_lines(result.output)
    assert added == [
        "    width = len(kernel)",
        "    positions = range(len(signal) - width + 1)",
        "    return [sum(signal[i + j] * kernel[j] for j in range(width)) for i in positions]",
        '        description = f"CharacterModel over {len(self.mapping)} classes"',
        "        return description",
    ]
    assert len(removed) == 2


def test_diff_of_a_lab_without_exercises(built: Path) -> None:
    result = invoke("diff", "5", "--root", built)
    assert result.exit_code == 0
    assert (
        result.output
        == "lab5 has no exercises of its own: it equals its solved form.\n"
    )


def test_diff_rejects_unknown_lab(built: Path) -> None:
    result = invoke("diff", "9", "--root", built)
    assert result.exit_code == 2
