"""The measurement registry: report order, and a new measurement is one registered function."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from ptmscope.results.study import Measurement, Row
from ptmscope.study import measure as measure_module
from ptmscope.study.db import StudyDB
from tests.study.test_study import _sources


@pytest.fixture()
def db(tmp_path: Path) -> StudyDB:
    from ptmscope.study.ingest import ingest

    study = StudyDB(tmp_path / "db")
    ingest(study, _sources(tmp_path), workers=1)
    return study


@pytest.fixture()
def restored() -> Iterator[None]:
    saved = list(measure_module.MEASUREMENTS)
    yield
    measure_module.MEASUREMENTS[:] = saved


def test_report_order_is_registration_order(db: StudyDB) -> None:
    found = measure_module.measure(db.connect(), {})
    assert [m.id for m in found] == [
        "claims_by_task", "documentation", "datasets", "architectures", "licenses",
        "verified_organisations", "commit_signing", "popularity_concentration",
        "serialization_formats", "factors_by_task", "factors_by_decile", "lineage", "name_squatting", "inputs",
    ]  # fmt: skip
    assert len(measure_module.MEASUREMENTS) == len(found)


def test_a_new_measurement_is_one_registered_function(db: StudyDB, restored: None) -> None:
    @measure_module.measurement
    def packages_with_a_card(c: measure_module.Context) -> Iterable[Measurement]:
        (count, total) = c.connection.execute(
            "SELECT count(*) FILTER (WHERE has_card), count(*) FROM packages"
        ).fetchone()
        yield Measurement("cards", "Packages with a card", "has_card", (Row("card", count, total),))

    found = measure_module.measure(db.connect(), {"M4": "paper says"})
    assert found[-1].id == "cards"
    assert found[-1].rows[0].denominator == 6  # the six packages of the shared study sources
    assert found[0].paper == "paper says"
