"""Regenerate the SPDX 3.0.1 JSON schema ptmscope ships, from PyPI packages alone.

spdx.org publishes the schema as shacl2code's rendering of the model's shapes
(``shacl2code generate --input spdx-model.ttl --input jsonld-annotations.ttl
--context-url spdx-context.jsonld https://spdx.org/rdf/3.0.1/spdx-context.jsonld
jsonschema``). This script reads the same shapes back from ``spdx-python-model``
(:mod:`ptmscope.export.spdx_model`), runs the same command with shacl2code 0.0.23 (the
release of the schema's last publication, 2025-11-21) and keeps the published file's
CRLF line ends. The result must hash to the digest every pin of the published schema
records, or nothing is written: the copy in ``src/ptmscope/data`` is the official file,
checked, not an approximation. ``make spdx-schema`` runs it; ``--check`` only compares.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHACL2CODE_VERSION = "0.0.23"


@contextmanager
def _program_name(name: str) -> Iterator[None]:
    """shacl2code names ``sys.argv[0]`` in the schema's ``$comment``; spdx.org ran the
    ``shacl2code`` command."""
    saved = sys.argv[0]
    sys.argv[0] = name
    try:
        yield
    finally:
        sys.argv[0] = saved


def generate() -> bytes:
    """The schema's bytes as shacl2code renders the shapes read from the bindings."""
    from importlib.metadata import version

    from rdflib import BNode, URIRef
    from rdflib.namespace import SH
    from shacl2code.main import main as shacl2code

    from ptmscope.export.spdx_model import CONTEXT_URL, TERMS, read_model, to_graph

    found = version("shacl2code")
    if found != SHACL2CODE_VERSION:
        raise SystemExit(
            f"shacl2code {SHACL2CODE_VERSION} renders the published schema; {found} is installed"
        )
    model = read_model()
    graph = to_graph(model)
    # The published inputs declare Element's `extension` twice (the JSON-LD annotations
    # repeat the model's), and shacl2code 0.0.23 renders each declaration; the bindings
    # can hold it once only.
    element = URIRef(TERMS + "Core/Element")
    for shape in list(graph.objects(element, SH.property)):
        if graph.value(shape, SH.path) == URIRef(TERMS + "Core/extension"):
            repeat = BNode()
            for predicate, value in list(graph.predicate_objects(shape)):
                graph.add((repeat, predicate, value))
            graph.add((element, SH.property, repeat))
    with tempfile.TemporaryDirectory() as tmp:
        shapes, context, out = (
            Path(tmp, "model.ttl"),
            Path(tmp, "context.json"),
            Path(tmp, "schema.json"),
        )
        graph.serialize(shapes, format="turtle")
        context.write_text(json.dumps({"@context": dict(model.context)}), encoding="utf-8")
        args = ["generate", "--input", str(shapes), "--context-url", str(context), CONTEXT_URL]
        with _program_name("shacl2code"):
            code = shacl2code([*args, "jsonschema", "--output", str(out)])
        if code:
            raise SystemExit(f"shacl2code failed ({code})")
        return out.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped copy only")
    args = parser.parse_args()
    import hashlib

    from ptmscope.export.validate import SPDX_SCHEMA_PATH, SPDX_SCHEMA_SHA256

    data = generate()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SPDX_SCHEMA_SHA256:
        print(f"generated schema hashes to {digest}, not the published {SPDX_SCHEMA_SHA256}")
        return 1
    if args.check:
        same = SPDX_SCHEMA_PATH.read_bytes() == data
        print("shipped schema is the published one" if same else "shipped schema differs")
        return 0 if same else 1
    SPDX_SCHEMA_PATH.write_bytes(data)
    print(f"wrote {SPDX_SCHEMA_PATH.relative_to(ROOT)} ({len(data):,} bytes, sha256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
