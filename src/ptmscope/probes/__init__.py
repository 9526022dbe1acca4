"""Every probe, discovered from the modules of this package.

A probe module defines ``PROBE``; adding a check means adding one module here.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from ptmscope.probes.base import Probe

_NOT_PROBES = frozenset({"base", "cues"})


@lru_cache(maxsize=1)
def all_probes() -> tuple[Probe, ...]:
    found: list[Probe] = []
    for module in pkgutil.iter_modules(__path__):
        if module.name in _NOT_PROBES or module.name.startswith("_"):
            continue
        probe = getattr(importlib.import_module(f"{__name__}.{module.name}"), "PROBE", None)
        if isinstance(probe, Probe):
            found.append(probe)
    return tuple(sorted(found, key=lambda p: p.id))
