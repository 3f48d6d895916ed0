"""The course's shared JupyterHub: accounts, releasing labs into nbgrader's exchange, and the
grading service that grades each submission in the autograder's sandbox (README: instructor guide).

It sits beside `autograder/`, above it: the hub grades through `autograder.pipeline.grading` and
records through `autograder.records`; nothing of the autograder imports the hub. `config/` holds
the hub's configuration: JupyterHub's (`jupyterhub_config.py`), nbgrader's for every user
(`jupyter/`), the students' JupyterLab (`jupyter-student/`) and Kubernetes values (`z2jh-values.yaml`).
"""
