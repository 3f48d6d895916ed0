"""The one exception type the instructor tools raise for problems a person must fix."""

from __future__ import annotations


class CourseError(Exception):
    """A problem in the course tree or the command line that the instructor must fix.

    Each entry of `problems` is a complete sentence naming the file (and line where known)
    and saying what to do next; the CLI prints them one per line.
    """

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))
