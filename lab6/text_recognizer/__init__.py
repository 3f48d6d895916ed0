"""Handwritten text recognizer: datasets, networks, models, predictors and training.

Importing the package changes nothing in the process; command lines and notebooks call
`text_recognizer.environment.configure_environment()` themselves.
"""
