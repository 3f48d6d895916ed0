"""Lab 4's hidden suite: the tracking calls of a run, experiment groups, Tune's search space and scheduler,
best-run selection, a trial's device.

| test | points | hidden inputs, checked in the parent against the reference package |
|---|---|---|
| start_wandb_run | 8 | hidden configs, run ids, groups, projects, a run left open: the offline run W&B wrote (read back from its file) has the id, name, project, group, job type and the config flat under dotted keys |
| log_final_results | 6 | hidden metrics and files on the grader's offline run: the summary, one `model` artifact of that name with those files and the metrics as metadata |
| set_dotted | 6 | configs and dotted keys; a path through a non-object raises ValueError |
| expand_group: list groups | 10 | bases and entries (dotted and nested keys): equal trial configs, in order |
| expand_group: grid groups | 10 | values and single values: every combination, `itertools.product` order |
| expand_group: random groups | 10 | ranges: count, names, types, bounds, every choice, per-seed, log spread |
| expand_group: Bayesian groups | 4 | raise ValueError (Optuna picks their trials) |
| tune_search_space | 8 | a Bayesian group of every kind of parameter: what each domain draws (1000 seeded draws) |
| tune_scheduler | 8 | list, Bayesian and random groups: ASHA's metric, mode, epochs, rungs, last epoch; None when off |
| select_best_run: direction | 6 | finished runs, min and max: the reference's winner |
| select_best_run: never win | 10 | better values on failed / stopped / NaN / missing-metric runs |
| select_best_run: ties, None, mode | 6 | earlier run wins a tie; None when none qualifies; bad mode raises |
| trial_resources | 6 | core counts with and without a GPU; no trial without a core |
| trial_environment | 6 | GPU ids and cores: `CUDA_VISIBLE_DEVICES` (empty for none), thread pools |
| Notebook cells | 12 | the notebook's autograded cells (nbgrader) |

116 points in all. No leaderboard: Lab 4 trains no model of its own to rank (its sweeps train Lab 1's MLP).
"""

TITLE = "Lab 4: experiment management"
