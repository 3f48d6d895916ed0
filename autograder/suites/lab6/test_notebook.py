"""The Lab 6 notebook's autograded cell (nbgrader), one case."""

from autograder.suites.notebook import notebook_report, notebook_test  # noqa: F401 - the fixture

test_notebook_cell = notebook_test(6)
