"""Optional dependencies, named by the extra that installs them.

A plain ``pip install ptmscope`` audits, scans, serves and studies; re-measuring
claims needs numpy, torch and transformers (``ptmscope[verify]``). Asking for a
command whose extra is missing ends in one line that says what to install, never
in a ``ModuleNotFoundError`` traceback.
"""

from __future__ import annotations

import importlib

from ptmscope.errors import InputError

EXTRAS = {
    "verify": ("numpy", "torch", "transformers", "safetensors", "sklearn", "scipy"),
    "dask": ("dask", "distributed"),
    "h5": ("h5py",),
}
"""Extra name → the modules it provides (as imported)."""


class MissingExtraError(InputError):
    """A feature needs an optional dependency group that is not installed."""


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
