"""Risk · custom code required to load the model (``trust_remote_code``)."""

from __future__ import annotations

import re

from ptmscope.package import Package
from ptmscope.probes.base import (
    Definition,
    Evidence,
    Finding,
    Probe,
    Severity,
    Stride,
    clear,
    detected,
)
from ptmscope.vocab import ProbeKind

_CODE = re.compile(r"\.py$", re.IGNORECASE)

AUTO_MAP_CHARS = 100
"""Characters of an ``auto_map`` quoted as evidence."""
MAX_CODE_EVIDENCE = 6
"""``auto_map`` configs and Python files listed together as evidence."""

DEFINITION = Definition(
    id="risk.remote_code",
    kind=ProbeKind.RISK,
    short="Custom code required",
    motivation=(
        "`trust_remote_code=True` imports Python from the repository with the reuser's "
        "privileges; any later commit to it changes what runs."
    ),
    implementation=(
        "Detected when `config.json` (or tokenizer/processor configs) has an `auto_map`, or "
        "Python modules ship in the package. Code is listed, never imported."
    ),
    remediation="Upstream the architecture to a library, or pin `revision=` to an audited commit when loading with trust_remote_code.",
    severity=Severity.HIGH,
    stride=(Stride.ELEVATION_OF_PRIVILEGE,),
)


def run(package: Package) -> Finding:
    modules = [Evidence(f.path, "Python module") for f in package.files if _CODE.search(f.path)]
    evidence = [
        Evidence(f"{path}#auto_map", mapping[:AUTO_MAP_CHARS])
        for path, mapping in package.auto_maps
    ]
    if evidence or modules:
        mapped = ", ".join(path for path, _ in package.auto_maps)
        loading = f"{mapped} map classes to repository code" if mapped else "no auto_map"
        message = f"custom code: {loading}; {len(modules)} Python file(s)"
        return detected(DEFINITION, message, (evidence + modules)[:MAX_CODE_EVIDENCE])
    return clear(DEFINITION, "no auto_map and no Python files")


PROBE = Probe(DEFINITION, run)
