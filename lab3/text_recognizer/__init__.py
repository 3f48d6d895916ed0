"""Handwritten text recognizer: datasets, networks, models, predictors and training."""

import os

# Keras reads its backend once, at first import: default to TensorFlow (the course's backend)
# while letting `KERAS_BACKEND=jax` or `torch` run the same labs on other backends.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
