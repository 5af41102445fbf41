"""Source-format adapters. Importing this package registers every adapter (``--format NAME``).

Each module of this package registers its formats with :func:`register`; modules are discovered, so adding a
format is adding a module.
"""

import importlib
import pkgutil

from clusterwatch.io.adapters.base import Adapter, Extract, ReadOptions, get_adapter, list_adapters, register

for _info in pkgutil.iter_modules(__path__):
    if _info.name != "base" and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["Adapter", "Extract", "ReadOptions", "get_adapter", "list_adapters", "register"]
