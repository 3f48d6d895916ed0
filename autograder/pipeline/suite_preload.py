"""What every trusted suite process needs, imported once by the suite fork server (`suite_run`).

The children forked from the server start with pytest, Keras (numpy backend), nbgrader and the plugin
already imported. Nothing here touches a submission.
"""

from __future__ import annotations

import importlib
import os
import sys


def configure() -> None:
    """The trusted suite process's environment (idempotent)."""
    os.environ.update({"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "TF_CPP_MIN_LOG_LEVEL": "3",
                       # The parent only runs reference networks forward: Keras' numpy backend
                       # does that and imports in a fraction of TensorFlow's time.
                       "KERAS_BACKEND": "numpy"})
    # Keras still imports TensorFlow lazily when it serialises some layers (Bidirectional),
    # two seconds per grading for nothing: a blocked import makes Keras treat it as absent.
    sys.modules.setdefault("tensorflow", None)


configure()

# nbgrader scores the notebook's cases; it takes seconds to import: once here, not per grading.
import keras  # noqa: E402,F401
import nbformat  # noqa: E402,F401
import nbgrader.utils  # noqa: E402,F401
import pytest  # noqa: E402,F401

import autograder.pipeline.plugin  # noqa: E402,F401

# The suites' shared network checks (Keras models): by name, as the pipeline loads every suite
# module (`lab_suites`), so that the suites stay above the pipeline (see tests/test_import_layers.py).
importlib.import_module("autograder.suites.networks")
