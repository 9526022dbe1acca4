"""Optional dependencies, named by the extra that installs them.

A plain ``pip install ptmscope`` audits, scans, serves and studies; re-measuring
claims needs numpy, torch and transformers (``ptmscope[verify]``). Asking for a
command whose extra is missing ends in one line that says what to install, never
in a ``ModuleNotFoundError`` traceback.
"""

from __future__ import annotations

import importlib
import sys
from types import FunctionType, ModuleType
from typing import Any

from ptmscope.errors import MissingExtraError

__all__ = ["EXTRAS", "MissingExtraError", "keep_public_functions", "require"]

EXTRAS = {
    "verify": ("numpy", "torch", "transformers", "safetensors", "sklearn", "scipy"),
    "dask": ("dask", "distributed"),
    "h5": ("h5py",),
    "signing": ("model_signing", "OpenSSL"),
}
"""Extra name → the modules it provides (as imported)."""


def require(extra: str, feature: str) -> None:
    """Raise :class:`MissingExtraError` naming ``extra`` if any of its modules is missing."""
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError:
            raise MissingExtraError(
                f"{feature} needs the '{extra}' extra ({module} is not installed): "
                f"pip install 'ptmscope[{extra}]'"
            ) from None


class _FunctionsWin(ModuleType):
    """A package whose public functions share their names with submodules.

    Python binds a submodule as an attribute of its package when the submodule is
    first imported (``import ptmscope.study.ingest`` sets ``ptmscope.study.ingest``),
    which would silently replace a public function of the same name, depending on
    what happened to be imported first. This keeps the function; the submodule
    stays reachable through ``sys.modules`` and every ``import`` statement.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        current = self.__dict__.get(name)
        if (
            isinstance(current, FunctionType)
            and isinstance(value, ModuleType)
            and value.__name__ == f"{self.__name__}.{name}"
        ):
            return
        super().__setattr__(name, value)


def keep_public_functions(module_name: str) -> None:
    """Make the package ``module_name``'s functions win over its same-named submodules."""
    sys.modules[module_name].__class__ = _FunctionsWin
