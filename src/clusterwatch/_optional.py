"""Lazy imports of optional dependencies with an install hint."""

from __future__ import annotations

import importlib
from types import ModuleType

from clusterwatch.errors import MissingDependencyError


def import_optional(name: str, *, extra: str) -> ModuleType:
    """Import module ``name`` or raise :class:`MissingDependencyError` naming the extra that provides it.

    Parameters
    ----------
    name
        Module to import, e.g. ``"sentence_transformers"``.
    extra
        The clusterwatch extra that installs it, e.g. ``"text"``.

    Raises
    ------
    MissingDependencyError
        When the module cannot be imported.
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            f"{name} is needed for this and is not installed; install it with "
            f"`pip install 'clusterwatch[{extra}]'`"
        ) from exc
