"""Stream agents, one per module. Every module here is installed by `install_all`.

A module defines `install(app) -> None`, which declares its topics, tables, agents and
scrape-time metrics on the app. Adding a module is enough: nothing lists them by hand.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pillarwatch.streams.app import PillarwatchApp

__all__ = ["discover", "install_all"]


def discover() -> list[ModuleType]:
    """The agent modules of this package, in name order."""
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
        if not info.name.startswith("_")
    ]


def install_all(app: PillarwatchApp) -> None:
    for module in discover():
        install = getattr(module, "install", None)
        if not callable(install):
            raise TypeError(f"{module.__name__} has no install(app) function")
        install(app)
