"""`start_wandb_run` and `log_final_results` write real offline W&B runs in the sandbox (the
`wandb_tracking` recipe); the `offline_wandb_runs` observer reads each run's file back, and the
parent compares what W&B recorded with what the hidden inputs ask for."""

from __future__ import annotations

import math

from autograder.pipeline.marks import graded
from autograder.suites.lab4 import cases

RECIPE = ("wandb_tracking", {})
IMPORTS = ("text_recognizer.training.tracking",)
HIDDEN = "Checked on hidden configs and metrics: beyond the figures above, no details are shown."


def offline_runs(reply) -> list[dict]:
    """The runs the call left in its folder (each read, or the reason it could not be)."""
    runs = reply.value.get("runs", []) if reply.ok and isinstance(reply.value, dict) else []
    return [run.get("value") if run.get("ok") else {"unreadable": run.get("error")} for run in runs]


def start_problems(runs: list[dict], expected: dict) -> tuple[int, list[str]]:
    """How many of the run's six facts are right, and what is wrong with the others."""
    ours = [run for run in runs if str(run.get("folder", "")).endswith(f"-{expected['run_id']}")]
    if len(ours) != 1:
        return 0, [f"expected one offline run folder ending in the run id under the run folder, found "
                   f"{len(ours)} (of {len(runs)} runs there)"]
    run = ours[0]
    facts = {"the run's id": run.get("run_id") == expected["run_id"],
             "its name (the config's name)": run.get("name") == expected["name"],
             "its project (WANDB_PROJECT, or PROJECT when unset)": run.get("project") == expected["project"],
             "its group and job type": (run.get("group"), run.get("job_type")) == (expected["group"], "train"),
             "its config, flat under dotted keys": run.get("config") == expected["config"]}
    return 1 + sum(facts.values()), [f"{what} is not right" for what, right in facts.items() if not right]


@graded("start_wandb_run: an offline run with the run's id, name, project, group and flat config", 8,
        hidden_message=HIDDEN)
def test_start_wandb_run(sandbox, seed, feedback):
    hidden = cases.tracking_start_cases(seed)
    right = 0
    for case in hidden:
        call = case["call"]
        reply = sandbox.call("start", call["config"], call["run_id"], call["group"], call["project"],
                             call["leftover"], on=RECIPE, observe="offline_wandb_runs", imports=IMPORTS, timeout=90)
        if not reply.ok:
            feedback.say(f"start_wandb_run raised: {reply.message()}")
            continue
        facts, problems = start_problems(offline_runs(reply), case["expected"])
        right += facts
        where = "with a run left open before it" if call["leftover"] else \
            "with a group" if call["group"] else "without a group or WANDB_PROJECT"
        for problem in problems:
            feedback.say(f"{where}: {problem}")
    total = 6 * len(hidden)
    feedback.partial(right / total, f"{right} of {total} facts of the runs right.")
    assert right == total, "some runs do not record what the contract asks"


def _same_numbers(got: object, expected: dict) -> bool:
    return isinstance(got, dict) and all(isinstance(got.get(k), (int, float)) and math.isclose(got[k], v)
                                         for k, v in expected.items())


@graded("log_final_results: the metrics in the summary, the weights as a model artifact", 6, hidden_message=HIDDEN)
def test_log_final_results(sandbox, seed, feedback):
    hidden = cases.tracking_record_cases(seed)
    right = 0
    for case in hidden:
        reply = sandbox.call("record", case["metrics"], case["files"], case["artifact_name"], on=RECIPE,
                             observe="offline_wandb_runs", imports=IMPORTS, timeout=90)
        runs = offline_runs(reply)
        if not reply.ok or len(runs) != 1:
            feedback.say(f"log_final_results raised: {reply.message()}" if not reply.ok else
                         f"expected the grader's one run, found {len(runs)}")
            continue
        run = runs[0]
        artifacts = run.get("artifacts") or []
        artifact = artifacts[0] if len(artifacts) == 1 else {}
        facts = {"the summary holds every metric": _same_numbers(run.get("summary"), case["metrics"]),
                 "the run logs one artifact": len(artifacts) == 1,
                 "the artifact's type is model and its name the one given":
                     (artifact.get("type"), artifact.get("name")) == ("model", case["artifact_name"]),
                 "the artifact holds each file under its own name": artifact.get("files") == sorted(case["files"]),
                 "the artifact's metadata are the metrics": _same_numbers(artifact.get("metadata"), case["metrics"])
                 and len(artifact.get("metadata")) == len(case["metrics"])}
        right += sum(facts.values())
        for what, ok in facts.items():
            if not ok:
                feedback.say(f"not so: {what}")
    total = 5 * len(hidden)
    feedback.partial(right / total, f"{right} of {total} facts of the runs right.")
    assert right == total, "some runs do not record what the contract asks"
