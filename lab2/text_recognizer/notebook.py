"""What the first cell of every lab notebook calls: `lab = start_notebook(LAB_DIR)`.

It configures the process (`environment.configure_environment`) and seeds Keras, so that a
rerun gives the same numbers. It also holds the one switch the course's own tests use: with
`LAB_QUICK=1` in the environment a notebook runs on a few examples for one epoch, to check
that every cell runs (not to learn anything). Students can ignore quick mode: without the
variable, `lab.experiment(...)` and `lab.dataset_args(...)` return the lab's configs unchanged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from text_recognizer.environment import configure_environment

_TINY_CHARACTERS = {"letters_per_class_per_font": 3, "test_letters_per_class_per_font": 2, "digits_per_class": 20}
QUICK_DATASET_ARGS: dict[str, dict[str, Any]] = {
    "emnist": {"source": "substitute", **_TINY_CHARACTERS},
    "emnist_lines": {"source": "substitute", "num_train": 64, "num_val": 16, "num_test": 16,
                     "symbols_per_class": 3, "char_args": _TINY_CHARACTERS},
    "iam_lines": {"source": "substitute", "width": 256, "max_length": 24, "num_train": 48, "num_val": 10,
                  "num_test": 14},
    "iam_pages": {"size": 64, "num_train": 8, "num_val": 2, "num_test": 4},
}
"""Quick mode: the tiny offline data each dataset is built from."""
QUICK_NETWORK_ARGS: dict[str, dict[str, Any]] = {
    "mlp": {"layer_size": 32},
    "lenet": {"conv_dim": 4, "fc_dim": 16},
    "line_lstm_ctc": {"conv_dim": 4, "fc_dim": 16, "lstm_dim": 16},
    "line_crnn": {"conv_dims": [4, 8, 8, 8], "lstm_dim": 16, "lstm_layers": 1},
    "line_detector": {"filters": [4, 8, 8, 8], "dilation_rates": [2]},
}
"""Quick mode: smaller networks (those not named keep their size)."""
QUICK_TRAIN_ARGS = {"epochs": 1, "batch_size": 16}
_SIZES = ("num_train", "num_val", "num_test")


@dataclass(frozen=True)
class LabNotebook:
    """The lab folder a notebook works in, and whether it runs in quick mode."""

    lab_dir: Path
    quick: bool = False

    def dataset_args(self, dataset: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        """`args` for `get_dataset(dataset, args)`; in quick mode, built from tiny offline data."""
        args = dict(args or {})
        if not self.quick or dataset not in QUICK_DATASET_ARGS:
            return args
        tiny = QUICK_DATASET_ARGS[dataset]
        merged = {**args, **{key: value for key, value in tiny.items() if key not in _SIZES}}
        for key in _SIZES:  # asked-for sizes shrink to the tiny ones, never grow
            if key in tiny:
                merged[key] = min(args.get(key, tiny[key]), tiny[key])
        return merged

    @property
    def may_deploy(self) -> bool:
        """Whether `run_experiment(..., deploy=...)` may install weights in `text_recognizer/weights/`.

        Yes in a lab folder whose package is writable; never in the course's source (solutions/,
        which holds the reference weights and a `manifest.toml`) nor where the package is read-only
        (a grader's copy).
        """
        from text_recognizer import paths

        if (self.lab_dir / "manifest.toml").is_file():
            return False
        return os.access(paths.WEIGHTS_DIR if paths.WEIGHTS_DIR.is_dir() else paths.PACKAGE_DIR, os.W_OK)

    def experiment(self, name: str, **changes: dict[str, Any]) -> dict[str, Any]:
        """The experiment config `experiments/<name>.json` with `changes` merged into its parts.

            lab.experiment("lab1_mlp", train_args={"epochs": 10})

        Returns the config as a dict, for `parse_config` and `run_experiment`.
        """
        config = json.loads((self.lab_dir / "experiments" / f"{name}.json").read_text())
        for key, value in changes.items():
            config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
        if self.quick:
            config["dataset_args"] = self.dataset_args(config["dataset"], config.get("dataset_args"))
            config["network_args"] = {**config.get("network_args", {}), **QUICK_NETWORK_ARGS.get(config["network"], {})}
            config["train_args"] = {**config.get("train_args", {}), **QUICK_TRAIN_ARGS}
        return config


def start_notebook(lab_dir: str | Path) -> LabNotebook:
    """Configure the process, seed Keras, and say which Keras backend runs the notebook."""
    configure_environment()
    import keras  # after configure_environment: Keras reads its backend when first imported

    keras.utils.set_random_seed(0)
    lab = LabNotebook(Path(lab_dir), quick=os.environ.get("LAB_QUICK") == "1")
    print("Keras", keras.__version__, "on", keras.backend.backend(), "| quick mode" if lab.quick else "")
    return lab
