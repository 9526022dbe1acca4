"""Risk · no licence, or one the Hub does not know."""

from __future__ import annotations

from ptmscope.licenses import PLACEHOLDER_LICENSES, hub_licenses, license_ids
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
from ptmscope.probes.cues import card_metadata
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="risk.license",
    kind=ProbeKind.RISK,
    short="No usable licence",
    motivation=(
        "Reusing a model without a licence, or under terms nobody can look up, exposes the "
        "reuser to claims they cannot defend; tooling cannot check an identifier it does not know."
    ),
    implementation=(
        "Detected when the card YAML has no `license`; when it is not in the Hub's licence list; "
        "or when it is `other`/`unknown` without `license_name` and `license_link`. A LICENSE "
        "file alone lowers the severity to low."
    ),
    remediation="Set `license:` to a Hub licence identifier (or `other` with `license_name` and `license_link`).",
    severity=Severity.MEDIUM,
    stride=(Stride.REPUDIATION,),
)


def run(package: Package) -> Finding:
    """Judge the card's licence identifiers against the Hub's list, softened by a LICENSE file.

    A LICENSE file alone lowers the severity because the terms exist but no tool can read
    them; an identifier the Hub does not know is as unusable to tooling as none.
    """
    meta = card_metadata(package)
    license_file = next(
        (
            f
            for f in package.files
            if "/" not in f.path and f.path.upper().startswith(("LICENSE", "LICENCE"))
        ),
        None,
    )
    ids = list(license_ids(meta.get("license")))
    if not ids:
        if license_file is not None:
            return detected(
                DEFINITION,
                "no licence identifier in the card; only a LICENSE file",
                [Evidence(license_file.path, "file")],
                Severity.LOW,
            )
        return detected(DEFINITION, "no licence in the card metadata and no LICENSE file")
    known = hub_licenses()
    unknown_ids = [i for i in ids if i.lower() not in known]
    if unknown_ids:
        return detected(
            DEFINITION,
            f"licence not in the Hub's list: {', '.join(unknown_ids)}",
            [Evidence("README.md#license", repr(ids))],
        )
    placeholder = [i for i in ids if i.lower() in PLACEHOLDER_LICENSES]
    if placeholder and not (meta.get("license_name") and meta.get("license_link")):
        return detected(
            DEFINITION,
            f"licence '{placeholder[0]}' without license_name and license_link",
            [Evidence("README.md#license", repr(ids))],
            Severity.LOW if license_file is not None else None,
        )
    return clear(
        DEFINITION, f"licence {', '.join(ids)}", [Evidence("README.md#license", repr(ids))]
    )


PROBE = Probe(DEFINITION, run)
