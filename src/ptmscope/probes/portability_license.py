"""Portability · license: whether the terms of reuse are stated."""

from __future__ import annotations

from ptmscope.probes.base import Definition
from ptmscope.probes.cues import Cues, factor_probe
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="portability.license",
    kind=ProbeKind.FACTOR,
    attribute="portability",
    factor="license",
    short="License",
    motivation=(
        "Without a licence a model cannot legally be reused at all; practitioners check it "
        "before anything else when deploying commercially."
    ),
    implementation=(
        "Present if the card YAML sets `license` (or `license_name`/`license_link`), a "
        "LICENSE file ships, or a filled licence section exists. Whether the identifier is "
        "valid is the `risk.license` probe's question."
    ),
    remediation="Set `license:` in the card YAML to a Hub licence identifier and ship the LICENSE text.",
)

CUES = Cues(
    yaml=("license", "license_name", "license_link"),
    files=(r"^LICEN[CS]E(\.md|\.txt)?$", r"^COPYING(\.md|\.txt)?$"),
    headings=(r"licen[cs]e",),
)

PROBE = factor_probe(DEFINITION, CUES)
