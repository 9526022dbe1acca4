"""Seed files for fuzzing: one real file of every container the scanner reads."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.scan import builders as b


def seed_files() -> list[bytes]:
    with tempfile.TemporaryDirectory() as folder:
        d = Path(folder)
        marker = d / "MARKER"
        paths = [
            b.write_torch_zip(d / "z.pt", marker),
            b.write_torch_zip(d / "l.pt", marker, legacy=True),
            b.write_torch_tar(d / "t.pt", marker),
            b.write_npy(d / "o.npy", marker),
            b.write_npz(d / "o.npz", marker),
            b.write_joblib(d / "j.joblib", marker),
            b.write_joblib(d / "jz.joblib", marker, ("zlib", 3)),
            b.write_zip(d / "a.zip", "w.data", b.canary_pickle(marker)),
            b.write_7z(d / "a.7z", "m.pkl", b.canary_pickle(marker)),
            b.write_keras_h5(d / "k.h5", marker),
            b.write_keras_v3(d / "k.keras", marker),
            b.write_onnx(d / "o.onnx", external="../x"),
            b.write_gguf(d / "g.gguf", b.SSTI_TEMPLATE),
            b.write_saved_model(d / "sm", ["ReadFile"]),
        ]
        (d / "p.pkl").write_bytes(b.laundered_pickle(marker))
        paths.append(d / "p.pkl")
        data = [p.read_bytes() for p in paths]
        data += _generated_cases(d / "generated")
        assert not marker.exists()
        return data


def _generated_cases(root: Path) -> list[bytes]:
    """The issue-13 bypass cases (configs, chat templates, frames, embedded blobs, ZIP
    flags), so the fuzzer mutates the newer readers' formats too."""
    from tests.scan.generated import config_cases, pickle_cases

    root.mkdir()
    cases = [*config_cases.cases(root / "c"), *pickle_cases.cases(root / "p")]
    return [case.path.read_bytes() for case in cases if case.path.is_file()]
