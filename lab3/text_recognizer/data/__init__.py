"""Datasets of the course, by name, for experiment configs.

    dataset = get_dataset("emnist", {"source": "auto", "balance": True})

Every dataset follows `base.Dataset`: `prepare()`, `load()`, `batches(...)`, `summary()`, and a
`source_name` that says plainly when the data is an offline substitute.
"""

from __future__ import annotations

import inspect
import warnings

from .base import Dataset, Splits
from .emnist import EmnistCharacters
from .errors import DataError

DATASETS: dict[str, type[Dataset]] = {"emnist": EmnistCharacters}

# `python -m text_recognizer.data.emnist` runs a module that this package has already imported;
# Python warns about that ("found in sys.modules"), harmlessly here: keep the command quiet.
warnings.filterwarnings("ignore", r"'text_recognizer\.data\.\w+' found in sys\.modules", RuntimeWarning)

__all__ = ["DATASETS", "DataError", "Dataset", "EmnistCharacters", "Splits", "get_dataset"]

from .emnist_lines import EmnistLines  # noqa: E402  (extends the Lab 1 registry above)

DATASETS["emnist_lines"] = EmnistLines
__all__ += ["EmnistLines"]


def get_dataset(name: str, args: dict | None = None) -> Dataset:
    """The dataset registered as `name`, built with the keyword arguments `args`."""
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; valid names are: {', '.join(sorted(DATASETS))}")
    cls, args = DATASETS[name], dict(args or {})
    accepted = [p for p in inspect.signature(cls).parameters if p != "self"]
    unknown = sorted(set(args) - set(accepted))
    if unknown:
        raise ValueError(
            f"Dataset {name!r} does not take the argument(s) {unknown}; it takes: {', '.join(accepted)}"
        )
    return cls(**args)
