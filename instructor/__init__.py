"""Instructor tools: generate lab1..lab7 from solutions/, check them, diff and release a lab.

Run `python -m instructor --help` from the repository root.
"""
