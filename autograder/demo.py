"""The README's main job for the autograder: grade each lab's solution and stubbed lab.

For every lab with a hidden suite, two submissions are graded through grade-all (in parallel,
sandboxed): `labN-solution` (solutions/, the honest submission, which must score full marks)
and `labN-stubbed` (the lab as students get it, which must score zero on its exercises). The
scores and the leaderboard are printed. Labs without a suite are listed as such.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from autograder.labs import write_lab
from autograder.parallel import grade_all, summary_table
from autograder.pipeline.grading import GradeOptions, metric, sandbox_problem
from autograder.pipeline.lab_suites import available_labs
from autograder.records.leaderboard import Leaderboard, format_table
from autograder.sandbox.limits import Limits
from autograder.sandbox.users import sandbox_identity

DEMO_LABS = (1, 2, 3)


def run_demo(state_dir: Path, out: Path, allow_unsandboxed: bool = False, echo: Callable[[str], None] = print) -> int:
    """Grade the solutions and stubbed labs; return 0 when both behave as they must."""
    problem = sandbox_problem(sandbox_identity(0), Limits())
    if problem and not allow_unsandboxed:
        echo(f"error: refusing to grade: {problem}")
        return 2
    if out.exists():
        shutil.rmtree(out)
    ok = True
    for lab in DEMO_LABS:
        if lab not in available_labs():
            echo(f"\nLab {lab}: no hidden suite yet (autograder/suites/lab{lab}/), not graded.")
            continue
        name, order = metric(lab) or ("Value", "desc")
        submissions = out / f"lab{lab}-submissions"
        write_lab(lab, submissions / "solution", solved=True)
        write_lab(lab, submissions / "stubbed", solved=False)
        db = out / "leaderboard.sqlite"
        base = GradeOptions(
            lab=lab,
            student="",
            out_dir=out / f"lab{lab}-results",
            state_dir=state_dir,
            allow_unsandboxed=allow_unsandboxed,
            leaderboard_db=db,
            notebook=False,
        )
        echo(f"\nLab {lab}: grading the solution and the stubbed lab (sandboxed)")
        outcomes = {o.student: o for o in grade_all(submissions, base)}
        echo(summary_table(list(outcomes.values()), f"{name} (public)"))
        solution, stubbed = outcomes["solution"], outcomes["stubbed"]
        exercise_points = _exercise_points(stubbed.results_path)
        echo(
            f"  solution: {solution.score:.1f} / {solution.max_score:.0f}"
            f"{'  (full marks)' if solution.score >= solution.max_score - 1e-6 else '  (NOT full marks)'}"
        )
        echo(
            f"  stubbed lab: {exercise_points:.1f} points on the exercises"
            f"{'  (zero, as it must be)' if exercise_points == 0 else '  (NOT zero)'}"
        )
        ok &= solution.score >= solution.max_score - 1e-6 and exercise_points == 0
        if solution.public_value is None:
            if metric(lab) is None:
                echo(f"\nLab {lab} has no leaderboard (its suite ranks nothing).")
            else:
                echo(f"\nLab {lab}: the solution deploys the course's reference weights, which get no "
                     "leaderboard entry (the leaderboard ranks the students' own models).")
            continue
        board = Leaderboard(db)
        better = "lower is better" if order == "asc" else "higher is better"
        echo(f"\nLab {lab} leaderboard ({name}, {better}; public split, the private split is kept "
             "for the final ranking):")
        echo(format_table(board.table(lab, "public"), name, "public"))
    echo(f"\nResults in {out}")
    return 0 if ok else 1


def _exercise_points(results_path: Path) -> float:
    """Points the stubbed lab got on exercise tests (all but the deployed-predictor ones)."""
    import json

    tests = json.loads(results_path.read_text())["tests"]
    return sum(t["score"] for t in tests if not t["name"].startswith("Deployed predictor"))
