"""One grading's facts, handed from the grader to the trusted pytest process as a JSON file.

The grader (`grading.grade`) takes the submission in, decides how the sandbox runs, and writes
this file; `suite_run` starts pytest on the lab's hidden suite with it; the plugin's fixtures
read it (`grading` fixture) to start the sandbox and find the state folder.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.paths import secret_seed
from autograder.sandbox.limits import Limits


@dataclass
class GradingContext:
    """Everything a hidden suite's fixtures need to know about one grading."""

    lab: int
    #: The submission as taken in (host path): the sandbox sees it read-only.
    submission: str
    #: The grading's private work folder (0700): job/, grader/, the stage marker.
    work: str
    state_dir: str
    #: Where the plugin writes the results rows (JSON).
    rows: str
    limits: dict = field(default_factory=lambda: asdict(Limits()))
    slot: int = 0
    sandboxed: bool = True
    gpu: str | None = None
    #: The lab notebook prepared for execution (host path), or None when there is none.
    notebook: str | None = None
    notebook_notes: list[str] = field(default_factory=list)
    #: Why the submission could not be taken in: every test then scores 0 with this reason.
    rejected: str | None = None
    #: Extra read-only binds (host path, sandbox path) and environment for the runner.
    extra_binds: list[tuple[str, str]] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def limits_object(self) -> Limits:
        return Limits(**self.limits)

    @property
    def seed(self) -> int:
        return secret_seed(Path(self.state_dir))

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(asdict(self), indent=1))
        return path

    @classmethod
    def read(cls, path: Path) -> GradingContext:
        data = json.loads(Path(path).read_text())
        data["extra_binds"] = [tuple(bind) for bind in data.get("extra_binds", [])]
        return cls(**data)
