"""Write the README's reproduction table from a study database (``make study`` runs it).

The table between ``<!-- reproduction:start -->`` and ``<!-- reproduction:end -->`` in
README.md is replaced by :func:`ptmscope.formats.study.markdown.reproduction_table` of
``study report`` over ``--db``, with the paper values from ``--paper``; nothing else in the
README changes, so the table is always the report's, never typed by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- reproduction:start -->", "<!-- reproduction:end -->"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--paper", default="shipped")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = parser.parse_args()
    from ptmscope.formats.study.markdown import reproduction_table
    from ptmscope.study import report

    table = "\n".join(reproduction_table(report(args.db, paper=args.paper)))
    text = args.readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        print(f"{args.readme}: no {START} … {END} markers", file=sys.stderr)
        return 2
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    args.readme.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
    print(
        f"wrote the reproduction table ({table.count(chr(10)) - 1} measurements) into {args.readme}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
