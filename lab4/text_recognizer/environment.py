"""Process-wide settings for the course's command lines and notebooks, made explicitly.

Importing `text_recognizer` changes nothing in the process. A command line (`main()` of a
module run with `python -m`) or a notebook (through `text_recognizer.notebook.start_notebook`)
calls `configure_environment()` first, before Keras is imported.
"""

from __future__ import annotations

import os


def configure_environment() -> None:
    """Default to the TensorFlow backend and quiet TensorFlow's C++ start-up logs.

    Keras reads its backend once, when it is first imported; `setdefault` leaves a backend the
    user chose (`KERAS_BACKEND=jax` or `torch`) alone, so the same labs run on other backends.
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
