"""Every probe has a definition and a test in its family's file, as Scorecard's checks list theirs.

A new probe module without a test naming its id fails here, before review, so the probe set and
the tested set cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ptmscope.probes import all_probes
from ptmscope.scoring import ATTRIBUTES, FACTORS
from ptmscope.vocab import ProbeKind

HERE = Path(__file__).parent
FAMILIES = (*ATTRIBUTES, "risk")
"""One test file per family: ``test_<family>.py`` beside this one."""


def _family(probe_id: str) -> str:
    return probe_id.split(".", 1)[0]


def test_every_probe_belongs_to_a_family_with_a_test_file() -> None:
    for probe in all_probes():
        assert _family(probe.id) in FAMILIES, probe.id
    for family in FAMILIES:
        assert (HERE / f"test_{family}.py").is_file(), family


@pytest.mark.parametrize("probe_id", [p.id for p in all_probes()])
def test_every_probe_is_named_by_a_test_in_its_family_file(probe_id: str) -> None:
    text = (HERE / f"test_{_family(probe_id)}.py").read_text()
    assert f'"{probe_id}"' in text, f"no test in test_{_family(probe_id)}.py names {probe_id}"


def test_the_probe_set_is_not_empty_and_ids_are_unique() -> None:
    """Guards the parametrized test above against passing on an empty or duplicated list."""
    ids = [p.id for p in all_probes()]
    assert len(ids) == len(set(ids)) >= len(FAMILIES) * 2


def test_every_table_i_factor_has_a_probe_with_a_definition() -> None:
    ids = {p.id for p in all_probes()}
    for attribute, factors in FACTORS.items():
        for factor in factors:
            assert f"{attribute}.{factor}" in ids
    for probe in all_probes():
        d = probe.definition
        assert d.motivation and d.implementation and d.remediation
        if d.kind is ProbeKind.RISK:
            assert d.severity is not None and d.stride
        else:
            assert d.attribute == _family(probe.id)
