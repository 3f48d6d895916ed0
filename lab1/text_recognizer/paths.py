"""Where the course keeps data, offline sources and deployed weights.

Data is shared by every lab: it lives in `<course root>/data` (the folder holding `setup/`),
or wherever `TEXT_RECOGNIZER_DATA_DIR` points.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
WEIGHTS_DIR = PACKAGE_DIR / "weights"


def course_root() -> Path:
    """The nearest folder above the package that holds `setup/` (the repo or a student release)."""
    for parent in PACKAGE_DIR.parents:
        if (parent / "setup" / "package.json").is_file():
            return parent
    # A lab copied somewhere on its own: keep everything beside the lab.
    return PACKAGE_DIR.parent


def data_dir() -> Path:
    """Root of `raw/` (downloads, never edited) and `processed/` (uint8 caches)."""
    override = os.environ.get("TEXT_RECOGNIZER_DATA_DIR")
    return Path(override).expanduser().resolve() if override else course_root() / "data"


def raw_dir(name: str) -> Path:
    """Folder for the raw files of dataset `name`."""
    return data_dir() / "raw" / name


def processed_dir(name: str) -> Path:
    """Folder for the processed (uint8) cache of dataset `name`."""
    return data_dir() / "processed" / name


def node_modules_dir() -> Path:
    """Where `setup/install.sh` put the offline npm data packages (override: TEXT_RECOGNIZER_NODE_MODULES)."""
    override = os.environ.get("TEXT_RECOGNIZER_NODE_MODULES")
    return Path(override).expanduser().resolve() if override else course_root() / "setup" / "node_modules"


def runs_dir() -> Path:
    """Where `run_experiment` writes each run's weights, config and metrics (override: TEXT_RECOGNIZER_RUNS_DIR)."""
    override = os.environ.get("TEXT_RECOGNIZER_RUNS_DIR")
    return Path(override).expanduser().resolve() if override else course_root() / "runs"
