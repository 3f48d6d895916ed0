"""Find a network, model or dataset by the name an experiment config gives it.

A config says `"network": "lenet"`; the code that builds it looks that name up in the package
that holds such things: first among the package's own attributes (what its `__init__.py` imports,
or what a caller added with `setattr`), then in each module of the package. There is no list of
names to keep up to date: a new lab's file, say `networks/my_net.py` with
`def my_net(input_shape, num_classes, ...)`, can be named in a config as it is.

    find("text_recognizer.networks", "lenet", is_network)   # -> the function lenet
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

Accept = Callable[[str, Any], bool]
"""`accept(name, obj)`: whether `obj`, found under `name`, is the kind of thing looked for."""


class UnknownNameError(ValueError):
    """No object of the wanted kind has that name (the message lists the names there are)."""


def find(package: str, name: str, accept: Accept, kind: str) -> Any:
    """The object called `name` in `package` (or one of its modules) that `accept` takes.

    Raises:
        UnknownNameError: naming the `kind` ("network", "model", ...) and listing the valid names.
    """
    for found_name, obj in candidates(package, accept):
        if found_name == name:
            return obj
    raise UnknownNameError(f"Unknown {kind} {name!r}; choose one of: {', '.join(available(package, accept))}.")


def available(package: str, accept: Accept) -> list[str]:
    """The sorted names under which `find` finds something in `package`."""
    return sorted({name for name, _ in candidates(package, accept)})


def candidates(package: str, accept: Accept) -> Iterator[tuple[str, Any]]:
    """(name, object) for the package's own attributes, then for each of its modules' attributes."""
    root = importlib.import_module(package)
    yield from _accepted(root, accept)
    for module in _modules(root):
        yield from _accepted(module, accept)


def lazy_exports(package: str) -> Callable[[str], Any]:
    """A module `__getattr__` (PEP 562) that imports what a package's modules define on first use.

    `from text_recognizer.predictors import LinePredictor` then works although the package's
    `__init__.py` imports none of its modules. That keeps `python -m package.module` quiet:
    Python warns when it runs, as a script, a module that its package has already imported.
    """

    def __getattr__(name: str) -> Any:
        if not name.startswith("_"):
            for module in _modules(importlib.import_module(package)):
                obj = getattr(module, name, None)
                exported = name in getattr(module, "__all__", ())  # a module may re-export a name
                if obj is not None and (exported or defined_in(package, obj)):
                    return obj
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


def defined_in(package: str, obj: Any) -> bool:
    """Whether `obj` was defined in one of `package`'s modules (not imported from elsewhere)."""
    return getattr(obj, "__module__", "").startswith(package + ".")


def _modules(root: ModuleType) -> Iterator[ModuleType]:
    for info in pkgutil.iter_modules(root.__path__):
        yield importlib.import_module(f"{root.__name__}.{info.name}")


def _accepted(module: ModuleType, accept: Accept) -> Iterator[tuple[str, Any]]:
    for name, obj in list(vars(module).items()):  # a copy: importing a module adds to its package
        if not name.startswith("_") and not isinstance(obj, ModuleType) and accept(name, obj):
            yield name, obj
