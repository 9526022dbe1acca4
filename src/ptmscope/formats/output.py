"""Where a rendered result goes: a file, or stdout (a terminal gets the console renderer)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TypeVar

from ptmscope.errors import InputError
from ptmscope.formats.registry import ConsoleRenderer, Formats

R = TypeVar("R")


def emit(formats: Formats[R], name: str, result: R, output: str | Path | None = None) -> None:
    """Render ``result`` as ``name`` into ``output`` (a file) or stdout.

    The file is written whole or not at all (a failed write is an input error naming
    the file); on stdout a renderer that can draw on a console does so.
    """
    renderer = formats.get(name)
    if output is not None:
        text = renderer.render(result)
        target = Path(output)
        try:
            if target.exists() and not target.is_file():  # /dev/stdout, a FIFO: write through
                target.write_text(text, encoding="utf-8")
                return
            temporary = target.with_name(f".{target.name}.ptmscope-tmp")
            try:
                temporary.write_text(text, encoding="utf-8")
                temporary.replace(target)
            finally:
                temporary.unlink(missing_ok=True)
        except OSError as exc:
            raise InputError(f"cannot write {output}: {exc.strerror or exc}") from None
        return
    if isinstance(renderer, ConsoleRenderer):
        from rich.console import Console  # only a console view needs rich

        renderer.print(result, Console(highlight=False))
        return
    sys.stdout.write(renderer.render(result))
