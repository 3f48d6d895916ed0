"""The Lab 7 notebook's autograded cells (nbgrader), one case each."""

from autograder.suites.notebook import notebook_report, notebook_test  # noqa: F401 - the fixture

test_notebook_cell = notebook_test(7)
