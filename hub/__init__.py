"""The course's shared JupyterHub: accounts, releasing labs into nbgrader's exchange, and the
grading service that grades each submission in the autograder's sandbox (README: instructor guide)."""
