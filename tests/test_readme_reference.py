"""The README's reference section names every probe and scan rule family, with the anchors
SARIF ``helpUri`` links point at (a new probe or family without its row fails here)."""

from __future__ import annotations

from pathlib import Path

from ptmscope.formats.audit.sarif import PROBES_URI
from ptmscope.formats.scan.rules import families, help_uri
from ptmscope.probes import all_probes

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _anchor(uri: str) -> str:
    return uri.rpartition("#")[2]


def test_every_probe_has_its_anchor() -> None:
    for probe in all_probes():
        anchor = f"{_anchor(PROBES_URI)}-{probe.definition.id.replace('.', '-').replace('_', '-')}"
        assert f'<a id="{anchor}"></a>`{probe.definition.id}`' in README, probe.definition.id


def test_every_scan_rule_family_has_its_anchor() -> None:
    for family in families():
        assert f'<a id="{_anchor(help_uri(family + ".x"))}"></a>' in README, family
    assert _anchor(help_uri("no-such-family.rule")) == "scan-rules-scan"
