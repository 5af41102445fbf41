"""Source-format adapters. Importing this package registers every adapter (``--format NAME``).

Each module of this package registers its formats with :func:`register`; modules are discovered, so adding a
format is adding a module.
"""

import importlib
import pkgutil

from clusterwatch.io.adapters._common import local_code, stable_id
from clusterwatch.io.adapters.base import Adapter, Extract, ReadOptions, get_adapter, list_adapters, register

for _info in pkgutil.iter_modules(__path__):
    if _info.name != "base" and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

# local_code and stable_id: the keys an adapter makes for a source without codes of a known system or without ids
__all__ = ["Adapter", "Extract", "ReadOptions", "get_adapter", "list_adapters", "local_code", "register", "stable_id"]
