"""Property tests: whatever the bytes, the scanner returns a result, within its bounds.

``make test`` runs a few hundred generated and mutated inputs per reader; the
100,000-input campaign is ``make fuzz`` (benchmarks/fuzz_scan.py).
"""

from __future__ import annotations

import pickle
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptmscope.results.scan import FileScan
from ptmscope.scan.context import Limits
from ptmscope.scan.scanner import scan_bytes
from tests.scan import seeds

LIMITS = Limits(seconds=5.0, member_bytes=32 << 20, total_bytes=64 << 20, hdf5_library=False)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def _seeds() -> tuple[bytes, ...]:
    return tuple(seeds.seed_files())


def _check(data: bytes) -> FileScan:
    result = scan_bytes(data, limits=LIMITS)
    assert isinstance(result, FileScan)
    assert result.seconds < 30
    return result


@FAST
@given(st.binary(max_size=2048))
def test_random_bytes(data: bytes) -> None:
    _check(data)


@FAST
@given(
    st.sampled_from(list(range(6))), st.binary(max_size=64), st.integers(min_value=0, max_value=400)
)
def test_mutated_pickles(protocol: int, junk: bytes, cut: int) -> None:
    base = pickle.dumps({"a": [1, 2.0, "x" * 40], "b": (b"y" * 300,)}, protocol=protocol)
    point = cut % len(base)
    _check(base[:point] + junk + base[point:])
    _check(base[:point])


@FAST
@given(st.data())
def test_mutated_containers(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(_seeds()))
    flips = data.draw(
        st.lists(st.tuples(st.integers(0, len(seed) - 1), st.integers(0, 255)), max_size=8)
    )
    mutated = bytearray(seed)
    for index, value in flips:
        mutated[index] = value
    cut = data.draw(st.integers(0, len(seed)))
    _check(bytes(mutated))
    _check(bytes(mutated[:cut]))
