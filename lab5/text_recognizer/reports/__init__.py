"""Scripts whose product is a `reports/*.json` (and its pictures): evaluations of the deployed models.

Each is a command (`python -m text_recognizer.reports.<name>`, or its `make` target) that
measures, prints and writes its figures; none is imported by the library below it.
"""
