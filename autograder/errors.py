"""Errors of the autograder: each message says what went wrong and what to do next."""

from __future__ import annotations


class GraderError(Exception):
    """A problem the instructor can fix (bad option, missing tool, unusable submission...)."""


class SandboxUnavailable(GraderError):
    """bubblewrap or user namespaces are missing: grading untrusted code would be unsafe."""


class SubmissionRejected(GraderError):
    """The submission cannot be graded at all (empty, too large, not a lab folder...).

    The grader still writes a results file that gives the reason and scores every test zero.
    """
