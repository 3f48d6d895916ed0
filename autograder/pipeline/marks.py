"""What a hidden test declares about itself: points, visibility, feedback, leaderboard, credit.

    @graded(name="MLP: parameter count", points=8, merge=True)
    @pytest.mark.parametrize("case", MLP_CASES)
    def test_parameter_count(case, mlp_network): ...

Like Gradescope's `gradescope-utils` decorators (`weight`, `visibility`, `leaderboard`,
`partial_credit`) and otter's test metadata, everything the results need sits on the test.

- `points`: what the test (or the merged row of its parametrized cases) is worth.
- `visibility`: Gradescope's `visible`, `after_due_date`, `after_published` or `hidden`.
- `hidden_message`: for tests that touch hidden data, the only failure text the student sees
  (never the compared values, which pytest's assertion rewriting would otherwise print).
- `leaderboard`: `(name, order)`, order `"desc"` (higher is better) or `"asc"`; the test
  publishes its values with the `leaderboard` fixture.
- `merge`: the parametrized cases of one test become one results row, each case worth an equal
  share of `points`. Partial credit inside one test comes from the `feedback` fixture
  (`feedback.partial(0.4)`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class GradedMeta:
    """The metadata of one hidden test (read from its `graded` mark)."""

    name: str
    points: float
    visibility: str = "visible"
    hidden_message: str | None = None
    leaderboard: tuple[str, str] | None = None
    merge: bool = False


def graded(
    name: str,
    points: float,
    *,
    visibility: str = "visible",
    hidden_message: str | None = None,
    leaderboard: tuple[str, str] | None = None,
    merge: bool = False,
) -> pytest.MarkDecorator:
    """Mark a hidden test with its results row (see the module docstring)."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}, not {visibility!r}")
    if points < 0:
        raise ValueError("points cannot be negative")
    if leaderboard is not None and (len(leaderboard) != 2 or leaderboard[1] not in ORDERS):
        raise ValueError(f"leaderboard must be (name, order) with order in {ORDERS}")
    meta = GradedMeta(name, float(points), visibility, hidden_message,
                      tuple(leaderboard) if leaderboard else None, merge)
    return pytest.mark.graded(meta)


def meta_of(item: pytest.Item) -> GradedMeta | None:
    """The `graded` metadata of a collected test (None for an unmarked test)."""
    mark = item.get_closest_marker("graded")
    if mark is None or not mark.args or not isinstance(mark.args[0], GradedMeta):
        return None
    return mark.args[0]
