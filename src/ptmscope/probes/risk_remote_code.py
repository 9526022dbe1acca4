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

_CODE = re.compile(r"\.py$", re.IGNORECASE)

DEFINITION = Definition(
    id="risk.remote_code",
    kind="risk",
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
    evidence: list[Evidence] = []
    if package.config is not None and package.config.get("auto_map"):
        evidence.append(Evidence("config.json#auto_map", repr(package.config["auto_map"])[:100]))
    evidence += [Evidence(f.path, "Python module") for f in package.files if _CODE.search(f.path)]
    if evidence:
        modules = sum(1 for e in evidence if e.detail == "Python module")
        return detected(
            DEFINITION,
            f"custom code: auto_map={'yes' if evidence[0].location.endswith('auto_map') else 'no'}, {modules} Python file(s)",
            evidence[:6],
        )
    return clear(DEFINITION, "no auto_map and no Python files")


PROBE = Probe(DEFINITION, run)
