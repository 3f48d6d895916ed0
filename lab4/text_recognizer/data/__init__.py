"""Datasets of the course, found by the name an experiment config gives them.

    dataset = get_dataset("emnist", {"source": "auto", "balance": True})

Every dataset is a subclass of `base.Dataset` in a module of this package, with a `name`
("emnist", "emnist_lines"): `prepare()`, `load()`, `batches(...)`, `summary()`, and a
`source_name` that says plainly when the data is an offline substitute (built by the modules of
`data/synthetic/`). A new dataset needs only its class. Classes can also be imported from here:
`from text_recognizer.data import EmnistLines` imports its module on first use.
"""

from __future__ import annotations

import inspect

from text_recognizer import lookup

__getattr__ = lookup.lazy_exports(__name__)


def is_dataset_class(name: str, obj: object) -> bool:
    """Whether `obj` is a concrete dataset class (a `base.Dataset` subclass with a `name`)."""
    from text_recognizer.data.base import Dataset

    return isinstance(obj, type) and issubclass(obj, Dataset) and not inspect.isabstract(obj)


def dataset_classes() -> dict[str, type]:
    """Dataset name (as in experiment configs) -> its class."""
    return {cls.name: cls for _, cls in lookup.candidates(__name__, is_dataset_class)}


def get_dataset(name: str, args: dict | None = None):
    """The dataset called `name`, built with the keyword arguments `args`.

    Raises:
        lookup.UnknownNameError: for an unknown name (the message lists the names);
        ValueError: for arguments the dataset does not take.
    """
    classes = dataset_classes()
    if name not in classes:
        raise lookup.UnknownNameError(f"Unknown dataset {name!r}; choose one of: {', '.join(sorted(classes))}.")
    cls, args = classes[name], dict(args or {})
    accepted = [p for p in inspect.signature(cls).parameters if p != "self"]
    unknown = sorted(set(args) - set(accepted))
    if unknown:
        raise ValueError(
            f"Dataset {name!r} does not take the argument(s) {unknown}; it takes: {', '.join(accepted)}"
        )
    return cls(**args)
