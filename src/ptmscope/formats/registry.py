"""One registry of renderers per result type: the only way a result becomes output.

A renderer turns a result into the whole output as text; a renderer that can
also draw on a terminal (colours, tables that fit the width) offers ``print``.
An unknown format name is an input error (exit 2), never a silent fallback, and
the CLI's ``--format`` choices are read from here, so a new format is one new
renderer registered in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from ptmscope.errors import InputError

R = TypeVar("R")
R_contra = TypeVar("R_contra", contravariant=True)


class Renderer(Protocol[R_contra]):
    """Renders one result type in one format."""

    def render(self, result: R_contra) -> str:
        """The whole output, as text."""
        ...


@runtime_checkable
class ConsoleRenderer(Protocol):
    """A renderer that can also draw on a rich console (used for a terminal's stdout)."""

    def print(self, result: Any, console: Any) -> None:
        """Draw ``result`` on ``console`` (a :class:`rich.console.Console`)."""
        ...


@dataclass(frozen=True)
class Formats(Generic[R]):
    """The renderers of one result type, by format name."""

    result: str
    """What is rendered: ``audit``, ``scan``, ``verify`` or ``study``."""
    renderers: Mapping[str, Renderer[R]]
    default: str = "text"
    """The format a command uses when none is asked for."""

    def __post_init__(self) -> None:
        if self.default not in self.renderers:
            raise ValueError(f"default format {self.default!r} of {self.result} is not registered")

    @property
    def names(self) -> tuple[str, ...]:
        """Format names in registration order (the CLI's ``--format`` choices)."""
        return tuple(self.renderers)

    def get(self, name: str) -> Renderer[R]:
        """The renderer called ``name``; an unknown name is an :class:`InputError`."""
        try:
            return self.renderers[name]
        except KeyError:
            raise InputError(
                f"unknown {self.result} format {name!r}; choose from {', '.join(self.names)}"
            ) from None

    def render(self, name: str, result: R) -> str:
        """``result`` rendered as ``name`` (the whole output, as text)."""
        return self.get(name).render(result)

    def with_renderer(self, name: str, renderer: Renderer[R]) -> Formats[R]:
        """A copy where ``name`` is drawn by ``renderer`` (a renderer with options, such as
        the audit text view with every evidence item)."""
        self.get(name)  # only an existing format can be given options
        return replace(self, renderers={**self.renderers, name: renderer})
