"""Errors a user can cause, and the exit codes the CLI maps them to.

Anything raised as :class:`InputError` is the user's input being unusable (a
missing path, a hostile YAML file, an unknown revision). The CLI prints its
message on one line and exits with :data:`EXIT_INPUT`; it never shows a
traceback for these.
"""

from __future__ import annotations

EXIT_OK = 0
"""The audit ran and nothing reached ``--fail-on``."""
EXIT_FINDINGS = 1
"""The audit ran and at least one finding is at or above ``--fail-on``."""
EXIT_INPUT = 2
"""Usage error or unusable input: nothing was audited."""
EXIT_INTERNAL = 3
"""A bug in ptmscope (reported with a short message; ``PTMSCOPE_DEBUG=1`` shows the traceback)."""


class PtmscopeError(Exception):
    """Base class of every error ptmscope raises on purpose."""


class InputError(PtmscopeError):
    """The reference, a file in the package, or an option cannot be used."""


class SourceError(InputError):
    """A source could not read the package (corrupt repository, unknown revision…)."""


class HostileInputError(InputError):
    """Input that looks built to exhaust time or memory (YAML bombs, huge files)."""


class MissingExtraError(InputError):
    """A feature needs an optional dependency group that is not installed.

    An input error (exit 2) because the user fixes it by installing the extra the
    message names (``pip install 'ptmscope[verify]'``), not by reporting a bug.
    """
