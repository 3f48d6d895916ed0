"""The hidden suites, one folder per lab (`autograder/suites/labN/test_*.py`), and their shared helpers.

Each folder is a pytest suite run by the grader's trusted pytest process
(`autograder.pipeline.suite_run`), with the fixtures of `autograder.pipeline.plugin`. Its
`__init__.py` names the lab (`TITLE`); a `hidden_set.py` with `load_or_build(state_dir, seed)`
builds hidden data once, before grading (`autograder.pipeline.lab_suites.prepare`).
Suites never leave autograder/: they are not part of any lab folder or student release.
"""
