"""One grading, stage by stage: a submission in, results rows out.

`intake` takes the submission in (a checked copy); `notebooks` builds the lab notebook to run;
`grading` decides how the sandbox runs and writes the `context` of the grading; `suite_run`
starts the lab's hidden suite (found by `lab_suites`) in a trusted pytest process, where
`plugin` gives the tests their `sandbox` (`sandbox_job`) and turns their `marks` into rows.
"""
