"""Generated pickle bypass cases (issue 13): FRAME tricks, embedded payloads, allowances
by kind and use. Malicious payloads are inert canaries assembled opcode by opcode (a
call that would create the marker file ``root / MARKER``); benign look-alikes are real
files written by the installed libraries (skipped when a library is missing).
"""

from __future__ import annotations

import argparse
import base64
import io
import pickle
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.scan.generated import Case

MARKER = "pickle-canary-fired"
"""File a malicious case would create if anything ran it."""


def _short(text: bytes) -> bytes:
    return b"\x8c" + bytes([len(text)]) + text


def _frame(length: int) -> bytes:
    return b"\x95" + struct.pack("<Q", length)


def _system(command: bytes) -> bytes:
    """``os.system(command)`` with GLOBAL: pushes one value."""
    return b"cos\nsystem\n" + _short(command) + b"\x85R"


def canary_pickle(marker: Path) -> bytes:
    """A protocol-4 pickle of ``os.system('touch MARKER')`` assembled by hand."""
    return b"\x80\x04" + _system(f"touch {marker}".encode()) + b"."


def frame_straddle(marker: Path) -> bytes:
    """A BININT2 operand runs past its FRAME: ``pickle.loads`` reads a harmless bytes
    literal, ``pickle.load`` from a file (``torch.load``) skips the frame's last byte and
    runs the bytes that literal held."""
    command = f"touch {marker}".encode()
    size = next((c for c in b")N]}" if c >= 16 + len(command)), None)
    if size is None:
        raise ValueError("marker path too long for this case")
    content = b"0" + _system(command.ljust(size - 16))
    assert len(content) == size
    return (
        b"\x80\x04" + _frame(4) + b"N0" + b"M\x05"  # the frame ends inside M's operand
        + b"\x00C" + bytes([size]) + content + b"00N."
    )  # fmt: skip


def frame_nested(marker: Path) -> bytes:
    """A FRAME inside a frame that it does not fit: a file reader drops the outer frame's
    last bytes (a SHORT_BINBYTES header that ``pickle.loads`` reads) and runs what that
    header hid."""
    hidden = _system(f"touch {marker}".encode())
    tail = b"C" + bytes([len(hidden)])
    rest = hidden + b"0N."
    return b"\x80\x04" + _frame(2 + 9 + len(tail)) + b"N0" + _frame(len(rest)) + tail + rest


def frame_overlong(marker: Path) -> bytes:
    """A FRAME longer than the data: the C unpickler stops at it, the Python unpickler
    (``pickle._loads``) runs what follows."""
    body = _system(f"touch {marker}".encode()) + b"."
    return b"\x80\x04" + _frame(len(body) + 4096) + body


def _reduce(module: bytes, name: bytes, args: bytes) -> bytes:
    """``module.name(*args)`` where ``args`` pushes a tuple."""
    return b"c" + module + b"\n" + name + b"\n" + args + b"R"


def _binbytes(data: bytes) -> bytes:
    return b"B" + struct.pack("<I", len(data)) + data


def embedded_decoder(marker: Path) -> bytes:
    """``torch.utils.data``'s decoder handed a pickle: it unpickles what it receives."""
    args = b"(" + _short(b"pickle") + _binbytes(canary_pickle(marker)) + b"t"
    call = _reduce(b"torch.utils.data.datapipes.utils.decoder", b"basichandlers", args)
    return b"\x80\x04" + call + b"."


def embedded_base64_state(marker: Path) -> bytes:
    """An object whose state holds a base64 pickle (its ``__setstate__`` would load it)."""
    blob = base64.b64encode(canary_pickle(marker))
    state = b"}" + _short(b"blob") + b"X" + struct.pack("<I", len(blob)) + blob + b"s"
    return b"\x80\x04" + b"cmylib.restore\nRestorer\n)\x81" + state + b"b."


def embedded_checkpoint(marker: Path) -> bytes:
    """A torch module whose state carries a whole torch checkpoint (a zip) as bytes."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("archive/data.pkl", canary_pickle(marker))
        archive.writestr("archive/version", "3\n")
    state = b"}" + _short(b"_checkpoint") + _binbytes(inner.getvalue()) + b"s"
    return b"\x80\x02" + b"ctorch.nn.modules.linear\nLinear\n)\x81" + state + b"b."


def kind_type_hints(marker: Path) -> bytes:
    """``typing.get_type_hints`` (a function in an allowed namespace) evaluates string
    annotations: called on a ``SimpleNamespace`` (a data holder), it runs one."""
    code = f"__import__('os').system('touch {marker}')".encode()
    state = b"}" + _short(b"__annotations__") + b"}" + _short(b"x") + _short(code) + b"ss"
    namespace = b"ctypes\nSimpleNamespace\n)R" + state + b"b"
    return b"\x80\x04" + b"ctyping\nget_type_hints\n" + namespace + b"\x85R."


MALICIOUS: dict[str, tuple[str, str, Callable[[Path], bytes]]] = {
    "frame_straddle.pkl": ("frame-straddle", "payload only a file reader sees", frame_straddle),
    "frame_nested.pkl": ("frame-nested", "payload behind a nested FRAME", frame_nested),
    "frame_overlong.pkl": ("frame-overlong", "payload in a FRAME longer than the data",
                           frame_overlong),
    "embedded_decoder.pt": ("embedded-blob", "pickle handed to a torch.utils.data decoder",
                            embedded_decoder),
    "embedded_b64.pkl": ("embedded-blob", "base64 pickle in an object's state",
                         embedded_base64_state),
    "embedded_ckpt.pt": ("embedded-blob", "torch checkpoint in a module's state",
                         embedded_checkpoint),
    "kind_type_hints.pkl": ("allowance-kind-use", "typing.get_type_hints called",
                            kind_type_hints),
}  # fmt: skip


def _benign_frames(root: Path) -> list[Case]:
    many = {f"key{i}": [i, float(i), f"value {i}" * 3, (i, b"xy" * 40)] for i in range(40_000)}
    cases = []
    for protocol in (4, 5):
        path = root / f"benign_frames_p{protocol}.pkl"
        path.write_bytes(pickle.dumps(many, protocol=protocol))
        cases.append(Case(path, "benign", "frame-straddle", f"pickle.dumps protocol {protocol}"))
    try:
        import numpy as np
    except ImportError:
        return cases
    arrays = {f"w{i}": np.arange(40_000, dtype=np.float64) * i for i in range(6)}
    for protocol in (4, 5):
        path = root / f"benign_arrays_p{protocol}.pkl"
        path.write_bytes(pickle.dumps(arrays, protocol=protocol))
        cases.append(Case(path, "benign", "frame-straddle", f"numpy arrays, protocol {protocol}"))
    return cases


def _benign_embedded(root: Path) -> list[Case]:
    path = root / "benign_namespace_blob.pkl"
    path.write_bytes(pickle.dumps(argparse.Namespace(blob=pickle.dumps([1, 2, 3])), protocol=4))
    cases = [Case(path, "benign", "embedded-blob", "argparse.Namespace holding a pickle")]
    try:
        import torch
    except ImportError:
        return cases
    path = root / "benign_tensor_pickle.pkl"
    path.write_bytes(pickle.dumps({"t": torch.arange(6.0)}, protocol=2))
    cases.append(Case(path, "benign", "embedded-blob", "tensor pickled: a torch zip inside"))
    return cases


def _benign_libraries(root: Path) -> list[Case]:
    """Real checkpoints whose pickles call library reconstructors and construct classes."""
    cases: list[Case] = []

    def add(name: str, write: Callable[[Path], object], what: str) -> None:
        path = root / name
        try:
            write(path)
        except ImportError:
            return
        cases.append(Case(path, "benign", "allowance-kind-use", what))

    def sklearn_models(path: Path) -> None:
        import joblib
        import numpy as np
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.neighbors import KNeighborsClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        x = np.random.default_rng(0).standard_normal((60, 4))
        y = (x[:, 0] > 0).astype(int)
        forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(x, y)
        knn = make_pipeline(StandardScaler(), KNeighborsClassifier(algorithm="kd_tree")).fit(x, y)
        joblib.dump({"forest": forest, "knn": knn}, path)

    def pandas_frame(path: Path) -> None:
        import pandas as pd

        frame = pd.DataFrame(
            {"a": [1, 2], "t": pd.to_datetime(["2024-01-01", "2024-02-01"]), "c": ["x", "y"]}
        )
        frame["k"] = frame["c"].astype("category")
        path.write_bytes(pickle.dumps({"frame": frame, "td": pd.Timedelta(1, "s")}, protocol=4))

    def torch_module(path: Path) -> None:
        import torch

        model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Dropout())
        torch.save({"model": model, "opt": torch.optim.SGD(model.parameters(), lr=0.1)}, path)

    def numpy_random(path: Path) -> None:
        import numpy as np
        import scipy.sparse

        state = {"rng": np.random.default_rng(1), "legacy": np.random.RandomState(2),
                 "sparse": scipy.sparse.random(5, 5, density=0.3, format="csr")}  # fmt: skip
        path.write_bytes(pickle.dumps(state, protocol=4))

    def gensim_model(path: Path) -> None:
        from gensim.models import Word2Vec

        Word2Vec([["a", "b", "c"], ["b", "c", "d"]], vector_size=8, min_count=1).save(str(path))

    add("benign_sklearn.joblib", sklearn_models, "scikit-learn forest and kd-tree pipeline")
    add("benign_pandas.pkl", pandas_frame, "pandas DataFrame with dates and categories")
    add("benign_torch_module.pt", torch_module, "whole torch module and optimizer")
    add("benign_numpy_random.pkl", numpy_random, "numpy generators and a scipy sparse matrix")
    add("benign_gensim.model", gensim_model, "gensim Word2Vec")
    return cases


def cases(root: Path) -> list[Case]:
    """Write every case under ``root``; malicious ones would create ``root / MARKER``."""
    root.mkdir(parents=True, exist_ok=True)
    marker = root / MARKER
    result = []
    for name, (technique, description, build) in MALICIOUS.items():
        path = root / name
        path.write_bytes(build(marker))
        result.append(Case(path, "malicious", technique, description))
    return result + _benign_frames(root) + _benign_embedded(root) + _benign_libraries(root)
