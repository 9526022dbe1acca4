"""The ordered registry: one reader per module, chosen by content, shared by scan and audit.

A test-only container shows what adding a format costs: one class, one
registration, and the scanner, nested recursion and the audit's weight reading
all use it. Order decides overlaps (magic before candidates; the first sure match
takes the file).
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from pathlib import Path

import pytest

from ptmscope.package import FileEntry
from ptmscope.scan.containers import archives, pickle_file, torch_legacy
from ptmscope.scan.containers.base import (
    HEAD_BYTES,
    Confidence,
    Container,
    Magic,
    WeightInfo,
    WeightProbe,
)
from ptmscope.scan.context import ScanContext, Span
from ptmscope.scan.registry import Registry, default_registry
from ptmscope.scan.scanner import scan_bytes, scan_file
from ptmscope.severity import Severity
from ptmscope.vocab import FileFormat
from ptmscope.weights import sniff
from tests.scan import builders as b

TEST_MAGIC = b"PTMTEST\x00"


class Evil:
    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("true",))


class TestContainer(Magic):
    """A made-up format: magic, a 4-byte member length, then a member scanned by content."""

    kind = FileFormat.UNKNOWN
    magic = (TEST_MAGIC,)

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        start = len(TEST_MAGIC) + 4
        length = int.from_bytes(span.read(len(TEST_MAGIC), 4), "little")
        hooks.add("test.seen", Severity.LOW, "the test container read this file")
        hooks.member("member").scan_member(span.sub(start, length))
        return "test-format"

    def weight_info(self, probe: WeightProbe) -> WeightInfo | None:
        return WeightInfo(FileFormat.UNKNOWN, pickle_based=True, parameters=42)


class TakesZips(Container):
    """Claims every zip, to show that whichever comes first in the order wins."""

    kind = FileFormat.ZIP

    def match(self, head: bytes, size: int) -> Confidence | None:
        return Confidence.SURE if head.startswith(archives.ZIP_MAGIC) else None

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return "claimed-by-test"


class DeclinesAll(Container):
    """A candidate for everything that confirms nothing: it must change no result."""

    kind = FileFormat.UNKNOWN

    def match(self, head: bytes, size: int) -> Confidence | None:
        return Confidence.CANDIDATE

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return None


def _test_file(member: bytes) -> bytes:
    return TEST_MAGIC + len(member).to_bytes(4, "little") + member


def test_a_registered_container_finds_its_magic_and_recurses_into_members() -> None:
    data = _test_file(pickle.dumps(Evil(), protocol=2))
    registry = default_registry().with_container(TestContainer(), before=FileFormat.ZIP)
    scan = scan_bytes(data, "model.test", registry=registry)
    assert scan.format == "test-format"
    rules = {f.rule for f in scan.findings}
    assert "test.seen" in rules
    system = next(f for f in scan.findings if f.target == "posix.system")
    assert system.location.members == ("member",)
    assert system.severity is Severity.CRITICAL
    # The default registry does not know the format: nothing reads the member.
    plain = scan_bytes(data, "model.test")
    assert plain.format != "test-format" and "test.seen" not in {f.rule for f in plain.findings}


def test_a_registered_container_is_used_inside_archives_too() -> None:
    inner = _test_file(pickle.dumps(Evil(), protocol=2))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("weights.test", inner)
    registry = default_registry().with_container(TestContainer(), after=FileFormat.ZIP)
    scan = scan_bytes(buffer.getvalue(), "bundle.zip", registry=registry)
    assert scan.format == FileFormat.ZIP
    system = next(f for f in scan.findings if f.target == "posix.system")
    assert system.location.members == ("weights.test", "member")


def test_the_audit_reads_weights_through_the_same_registry() -> None:
    data = _test_file(b"\x00" * 16)
    entry = FileEntry("model.test", len(data), "test:", reader=lambda o, n: data[o : o + (n or 0)])
    # Placed at the end, a pickle candidate ("P" is an opcode) would match it first.
    registry = default_registry().with_container(TestContainer(), before=FileFormat.ZIP)
    weight = sniff(entry, registry)
    assert weight.parameters == 42 and weight.pickle_based
    assert sniff(entry).parameters is None  # the default registry has no such reader


def test_order_resolves_overlaps_between_sure_matches(tmp_path: Path) -> None:
    path = b.write_zip(tmp_path / "a.zip", "notes.txt", b"hello")
    first = default_registry().with_container(TakesZips(), before=FileFormat.ZIP)
    last = default_registry().with_container(TakesZips())
    assert scan_file(path, registry=first).format == "claimed-by-test"
    assert scan_file(path, registry=last).format == FileFormat.ZIP


def test_zip_flavours_are_told_apart_by_member_names(tmp_path: Path) -> None:
    torch_zip = b.write_torch_zip(tmp_path / "pytorch_model.bin")
    keras_zip = b.write_keras_v3(tmp_path / "model.keras")
    npz = b.write_npz(tmp_path / "arrays.npz")
    plain = b.write_zip(tmp_path / "plain.zip", "notes.txt", b"hello")
    assert scan_file(torch_zip).format == FileFormat.PYTORCH_ZIP
    assert scan_file(keras_zip).format == FileFormat.KERAS_V3
    assert scan_file(npz).format == FileFormat.NPZ
    assert scan_file(plain).format == FileFormat.ZIP
    prefixed = tmp_path / "prefixed.bin"
    prefixed.write_bytes(b"#!junk before the archive\n" + torch_zip.read_bytes())
    assert scan_file(prefixed).format == FileFormat.PYTORCH_ZIP  # read from its end


def test_legacy_torch_magic_wins_over_plain_pickle(tmp_path: Path) -> None:
    legacy = b.write_torch_zip(tmp_path / "legacy.bin", legacy=True).read_bytes()
    registry = default_registry()
    assert registry.identify(legacy[:HEAD_BYTES], len(legacy)) is torch_legacy.PYTORCH_LEGACY
    plain = pickle.dumps({"a": 1}, protocol=2)
    assert registry.identify(plain, len(plain)) is pickle_file.PICKLE
    assert scan_bytes(legacy).format == FileFormat.PYTORCH_LEGACY
    # Put the plain pickle reader first and the same bytes are read as a pickle.
    swapped = Registry(
        (pickle_file.PICKLE, *(c for c in registry.containers if c is not pickle_file.PICKLE))
    )
    assert scan_bytes(legacy, registry=swapped).format == FileFormat.PICKLE


def test_a_declining_candidate_changes_no_result() -> None:
    protocol0 = pickle.dumps(Evil(), protocol=0)
    registry = default_registry().with_container(DeclinesAll(), before=FileFormat.ZIP)
    for data in (protocol0, b"not a model at all", _test_file(b"x")):
        with_it, without = scan_bytes(data, registry=registry), scan_bytes(data)
        assert (with_it.format, with_it.findings, with_it.errors) == (
            without.format,
            without.findings,
            without.errors,
        )
    assert scan_bytes(protocol0).format == FileFormat.PICKLE


def test_every_default_reader_names_a_file_format() -> None:
    containers = default_registry().containers
    assert all(isinstance(c.kind, FileFormat) for c in containers)
    assert len({id(c) for c in containers}) == len(containers)
    sure_first = [c.match(b"", 0) for c in containers]
    assert Confidence.SURE not in sure_first  # no reader claims an empty head


def test_placing_next_to_a_missing_kind_is_an_error() -> None:
    with pytest.raises(KeyError):
        default_registry().with_container(TestContainer(), before=FileFormat.MSGPACK)


def test_first_byte_shortcut_never_hides_a_match() -> None:
    """A reader that narrows its first bytes accepts nothing outside them: every first byte,
    with heads that would satisfy each reader's later checks, is matched the same with and
    without the shortcut."""
    import random

    from ptmscope.scan.registry import default_registry

    registry = default_registry()
    rng = random.Random(11)
    tails = [b"\x00" * 600, bytes(rng.randrange(256) for _ in range(600))]
    for container in registry.containers:
        first = container.first_bytes()
        if first is None:
            continue
        for byte in range(256):
            if byte in first:
                continue
            for tail in tails:
                for head in (bytes([byte]) + tail, bytes([byte]) + b"\x02" + tail):
                    assert container.match(head, len(head)) is None, (container.kind, byte)


def test_first_byte_table_keeps_the_registry_order() -> None:
    from ptmscope.scan.registry import default_registry

    registry = default_registry()
    for byte in (0x00, 0x80, ord("{"), ord("P"), 0x78):
        head = bytes([byte]) + b"\x02" + b"\x00" * 510
        slow = [(c, m) for c in registry.containers if (m := c.match(head, 512)) is not None]
        cut = next((i for i, (_, m) in enumerate(slow) if m.name == "SURE"), len(slow) - 1)
        assert list(registry.matches(head, 512)) == slow[: cut + 1]


def _heads() -> list[bytes]:
    """Heads a lazy reader's table must judge like the reader: every first byte, every
    known magic, random bytes, and the shared corpus when it is present."""
    import random

    from tests.conftest import SHARED_DATA

    rng = random.Random(13)
    heads = [bytes([b]) * 600 for b in range(256)]
    heads += [rng.randbytes(600) for _ in range(400)]
    magics = [
        b"PK\x03\x04", b"PK\x05\x06", b"7z\xbc\xaf\x27\x1c", b"\x93NUMPY\x01\x00",
        b"\x89HDF\r\n\x1a\n", b"GGUF\x03\x00\x00\x00", b"\x08\x07\x12\x04", b"{\"a\": 1}",
        (20).to_bytes(8, "little") + b'{"__metadata__":{}}',
    ]  # fmt: skip
    heads += [m + rng.randbytes(600) for m in magics]
    heads += [rng.randbytes(257) + b"ustar" + rng.randbytes(300)]
    corpus = SHARED_DATA / "scanner" / "corpus"
    if corpus.is_dir():
        heads += [p.read_bytes()[:512] for p in sorted(corpus.rglob("*")) if p.is_file()]
    return heads


def test_lazy_readers_agree_with_the_readers_they_stand_for() -> None:
    """The registry imports a reader's module only when a head may be its format: its table
    (kind, first bytes, necessary head condition) must never turn away what the reader takes."""
    from ptmscope.scan.registry import LazyContainer

    lazy = [c for c in default_registry().containers if isinstance(c, LazyContainer)]
    assert {c.module for c in lazy} >= {"archives", "keras", "json_file", "gguf", "safetensors"}
    heads = _heads()
    for container in lazy:
        real = container.real
        assert container.kind == real.kind, container
        assert container.first_bytes() == real.first_bytes(), container
        for head in heads:
            if container.quick is not None and not container.quick(head):
                assert real.match(head, 10_000) is None, (container, head[:16])


def test_scanning_a_pickle_loads_no_other_format_reader() -> None:
    import subprocess
    import sys

    code = (
        "import pickle, sys; from ptmscope.scan.scanner import scan_bytes; "
        "scan_bytes(pickle.dumps({'a': [1, 2]}), 'x.pkl'); "
        "print(sorted(m for m in sys.modules if m.startswith('ptmscope.scan.containers.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = out.stdout
    for heavy in ("archives", "keras", "json_file", "gguf", "safetensors", "savedmodel"):
        assert f"ptmscope.scan.containers.{heavy}'" not in loaded, loaded


def test_lazy_gates_turn_away_only_what_the_reader_would() -> None:
    """A gate lets a small member skip loading a reader; the reader must find nothing in
    any content its gate turns away (contents here are at most the head's size)."""
    import random

    from ptmscope.scan.context import Limits, ScanContext, Span
    from ptmscope.scan.policy import default_policy
    from ptmscope.scan.registry import LazyContainer

    gated = [
        c
        for c in default_registry().containers
        if isinstance(c, LazyContainer) and c.gate is not None
    ]
    assert gated
    rng = random.Random(29)
    contents = [rng.randbytes(rng.randrange(1, 512)) for _ in range(300)]
    contents += [b"little", b"3\n", b"0123456789", b'\x0a\x05{"a":1}']
    contents += [b'\x0a\x20{"class_name": "Dense", "config": {}}', b'{"module": "os"}']
    for container in gated:
        assert container.gate is not None
        for data in contents:
            if container.gate(data):
                continue
            ctx = ScanContext.start(default_policy(), Limits())
            assert container.real.scan(Span(data), ctx) is None, (container, data[:20])
