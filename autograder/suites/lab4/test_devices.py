"""`trial_resources` and `trial_environment` on hidden requests, against the reference package."""

from __future__ import annotations

from autograder.pipeline.marks import graded
from autograder.suites.reference import reference_module
from autograder.suites.lab4 import cases
from autograder.suites.lab4.test_experiment_group import error_path_credit, raised_value_error

MODULE = "text_recognizer.training.devices"
IMPORTS = (MODULE,)


@graded("trial_resources: one GPU or none, the cores asked for; no trial without a core", 6)
def test_trial_resources(sandbox, seed, feedback):
    reference = reference_module(MODULE).trial_resources
    requests = cases.resource_cases(seed)
    right = 0
    for use_gpu, cpus in requests:
        reply = sandbox.call(f"{MODULE}:trial_resources", use_gpu, cpus, imports=IMPORTS, timeout=30)
        expected = reference(use_gpu, cpus)
        if reply.ok and reply.value == expected:
            right += 1
        elif len(feedback.notes) < 3:
            shown = reply.value if reply.ok else reply.message()
            feedback.say(f"trial_resources({use_gpu}, {cpus}): expected {expected}, got {shown}")
    refused = sandbox.call(f"{MODULE}:trial_resources", False, 0, imports=IMPORTS, timeout=30)
    raised = raised_value_error(refused)
    right += error_path_credit(raised, right)
    if not raised:
        feedback.say("trial_resources(False, 0) must raise ValueError: a trial needs a core")
    feedback.partial(right / (len(requests) + 1))
    assert right == len(requests) + 1, "some resource requests are wrong"


@graded("trial_environment: a CPU trial hides every GPU, a GPU trial sees its own; thread pools sized", 6)
def test_trial_environment(sandbox, seed, feedback):
    module = reference_module(MODULE)
    requests = cases.environment_cases(seed)
    right = 0
    for gpu_ids, cpus in requests:
        reply = sandbox.call(f"{MODULE}:trial_environment", gpu_ids, cpus, imports=IMPORTS, timeout=30)
        expected = module.trial_environment(gpu_ids, cpus)
        got = reply.value if reply.ok and isinstance(reply.value, dict) else None
        wrong = ["the call raised"] if got is None else [f"{name}={got.get(name)!r} (expected {value!r})"
                                                         for name, value in expected.items() if got.get(name) != value]
        if not wrong:
            right += 1
        elif len(feedback.notes) < 4:
            feedback.say(f"trial_environment({gpu_ids}, {cpus}): {', '.join(wrong)}")
    feedback.partial(right / len(requests))
    assert right == len(requests), "some trial environments are wrong"
