"""Lab folders to grade without a student: the honest solution and the stubbed lab.

Used by the demo (`python -m autograder demo`), the benchmark and the tests.

- solved: solutions/ itself (its `text_recognizer/` package, deployed weights included) is the
  honest submission of every lab;
- stubbed: the committed `labN/` when it exists; otherwise every module of solutions/ rendered
  for lab N with the instructor package's own marker renderer (the code `make labs` runs):
  lab N's exercises raise NotImplementedError exactly as students get them. The manifest is
  not consulted, so a lab still being written elsewhere in solutions/ cannot break this.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.paths import REPO_ROOT, SOLUTIONS_DIR

PACKAGE = "text_recognizer"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


def write_lab(lab: int, dest: Path, *, solved: bool, prefer_committed: bool = True) -> Path:
    """Write lab `lab`'s `text_recognizer/` (stubbed as students get it, or solved) into `dest`."""
    dest = Path(dest)
    source = SOLUTIONS_DIR / PACKAGE
    if solved:
        shutil.copytree(source, dest / PACKAGE, ignore=_IGNORE)
        return dest
    committed = REPO_ROOT / f"lab{lab}" / PACKAGE
    if prefer_committed and (committed / "__init__.py").is_file():
        shutil.copytree(committed, dest / PACKAGE, ignore=_IGNORE)
        return dest
    from instructor.markers import parse_module

    for path in sorted(source.rglob("*")):
        relative = path.relative_to(SOLUTIONS_DIR)
        if not path.is_file() or "__pycache__" in relative.parts or path.suffix == ".pyc":
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".py":
            module = parse_module(relative.as_posix(), path.read_text(encoding="utf-8"))
            target.write_text(module.render(lab, lab - 1), encoding="utf-8")
        else:
            shutil.copyfile(path, target)
    return dest
