"""Scanner benchmark (``make bench-scanners``): accuracy and speed against the tools people use.

1. Accuracy on ``shared/data/scanner/corpus`` (labels in ``labels.csv``; the files are
   never loaded): precision, recall and F1 of ptmscope beside picklescan, modelscan,
   fickling and ModelAudit. The four are installed by this script into their own
   virtual environment (``.cache/anchors``) and run on the same files in the same run,
   each through its public Python API in one process. A file counts as detected when
   ptmscope's verdict is ``malicious`` (a critical or high finding, what ``--fail-on
   high`` blocks) and when each anchor reports it dangerous by its own threshold
   (picklescan: dangerous globals; modelscan: an issue of medium severity or more;
   fickling: severity above LIKELY_SAFE; ModelAudit: a warning or critical issue).
   Target: recall >= 0.98 with precision >= 0.97.
2. Speed, same run, medians of 3: the whole corpus in one process against picklescan
   (target ratio <= 1.0); throughput on a generated >= 300 MB raw pickle of numpy
   arrays (target >= 1 GB/s); a >= 300 MB torch zip checkpoint against a 3 MB one
   (scan time should not depend on tensor bytes).
"""

from __future__ import annotations

import csv
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "data" / "scanner" / "corpus"
ANCHORS = ROOT / ".cache" / "anchors"
PINS = ["picklescan==1.0.5", "modelscan==0.8.8", "fickling==0.1.12", "modelaudit==0.2.54"]
TOOLS = ["picklescan", "modelscan", "fickling", "modelaudit"]
REPEATS = 3
QUIET_ENV = {
    "PROMPTFOO_DISABLE_TELEMETRY": "1",
    "MODELAUDIT_TELEMETRY_DISABLED": "1",
    "DO_NOT_TRACK": "1",
    "HF_HUB_OFFLINE": "1",
}


def ensure_anchors() -> Path:
    python = ANCHORS / "bin" / "python"
    if not python.exists():
        print(f"installing {', '.join(PINS)} into {ANCHORS} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(ANCHORS)], check=True)
    check = subprocess.run(
        [str(python), "-c", "import picklescan, modelscan, fickling, modelaudit"],
        capture_output=True,
    )
    if check.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PINS], check=True)
    return python


def run_anchor(python: Path, tool: str, paths: list[str]) -> dict[str, object]:
    out = subprocess.run(
        [str(python), str(ROOT / "benchmarks" / "anchors_runner.py"), tool],
        input=json.dumps(paths),
        capture_output=True,
        text=True,
        env={**os.environ, **QUIET_ENV},
        timeout=3600,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith('{"results"')]
    if not lines:
        raise RuntimeError(f"{tool} runner failed: {out.stderr[-2000:]}")
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def run_ptmscope(paths: list[str]) -> dict[str, object]:
    from ptmscope.results.scan import FileVerdict
    from ptmscope.scan.scanner import scan_file

    results: dict[str, object] = {}
    started = time.perf_counter()
    for path in paths:
        t0 = time.perf_counter()
        scan = scan_file(Path(path))
        results[path] = {
            "detected": scan.verdict is FileVerdict.MALICIOUS,
            "error": bool(scan.errors),
            "flagged_any": bool(scan.findings),
            "seconds": time.perf_counter() - t0,
        }
    return {"results": results, "seconds": time.perf_counter() - started}


def score(rows: list[dict[str, str]], run: dict[str, object]) -> dict[str, float | int]:
    results = run["results"]
    assert isinstance(results, dict)
    tp = fp = fn = tn = errors = benign_any = 0
    for row in rows:
        r = results[str(CORPUS / row["path"])]
        malicious = row["label"] == "malicious"
        tp += malicious and r["detected"]
        fn += malicious and not r["detected"]
        fp += (not malicious) and r["detected"]
        tn += (not malicious) and not r["detected"]
        errors += bool(r["error"])
        benign_any += (not malicious) and r["flagged_any"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": precision, "recall": recall,
            "f1": f1, "errors": errors, "benign_any": benign_any}  # fmt: skip


def accuracy_and_corpus_speed() -> None:
    if not (CORPUS / "labels.csv").exists():
        print(f"accuracy: skipped ({CORPUS} not available)")
        return
    rows = list(csv.DictReader((CORPUS / "labels.csv").open()))
    paths = [str(CORPUS / row["path"]) for row in rows]
    python = ensure_anchors()
    runs = {"ptmscope": [run_ptmscope(paths) for _ in range(REPEATS)]}
    for tool in TOOLS:
        repeats = REPEATS if tool == "picklescan" else 1
        runs[tool] = [run_anchor(python, tool, paths) for _ in range(repeats)]
    benign = sum(r["label"] == "benign" for r in rows)
    print(
        f"\naccuracy on {len(rows)} corpus files ({len(rows) - benign} malicious, {benign} benign)"
    )
    print(f"{'tool':<11} {'prec':>6} {'recall':>7} {'F1':>6} {'TP':>4} {'FN':>4} {'FP':>4} {'TN':>4} "
          f"{'errors':>7} {'benign w/ any finding':>22} {'corpus s':>9}")  # fmt: skip
    for tool, tool_runs in runs.items():
        s = score(rows, tool_runs[0])
        seconds = statistics.median(float(r["seconds"]) for r in tool_runs)  # type: ignore[arg-type]
        print(f"{tool:<11} {s['precision']:>6.3f} {s['recall']:>7.3f} {s['f1']:>6.3f} {s['tp']:>4} "
              f"{s['fn']:>4} {s['fp']:>4} {s['tn']:>4} {s['errors']:>7} {s['benign_any']:>22} {seconds:>9.3f}")  # fmt: skip
    for tool in TOOLS:
        results = runs[tool][0]["results"]
        assert isinstance(results, dict)
        missed = sorted(
            row["technique"]
            for row in rows
            if row["label"] == "malicious" and not results[str(CORPUS / row["path"])]["detected"]
        )
        if missed:
            print(f"  {tool} misses: {', '.join(missed[:12])}{' …' if len(missed) > 12 else ''}")
    ours = statistics.median(float(r["seconds"]) for r in runs["ptmscope"])  # type: ignore[arg-type]
    theirs = statistics.median(float(r["seconds"]) for r in runs["picklescan"])  # type: ignore[arg-type]
    print(f"corpus in one process: ptmscope {ours:.3f} s vs picklescan {theirs:.3f} s "
          f"-> ratio {ours / theirs:.2f}x (target <= 1.0)")  # fmt: skip


def _median_scan(path: Path) -> float:
    from ptmscope.scan.scanner import scan_file

    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = scan_file(path)
        timings.append(time.perf_counter() - started)
        assert not result.errors and result.verdict.value == "clean", (
            result.errors,
            result.findings,
        )
    return statistics.median(timings)


def throughput() -> None:
    import numpy as np
    import torch

    with tempfile.TemporaryDirectory() as folder:
        d = Path(folder)
        arrays = [
            np.random.default_rng(i).standard_normal(1_250_000).astype(np.float64)
            for i in range(32)
        ]
        raw = d / "arrays.pkl"
        with raw.open("wb") as handle:
            pickle.dump(
                {"arrays": arrays, "names": [f"layer{i}" for i in range(32)]}, handle, protocol=4
            )
        size = raw.stat().st_size
        seconds = _median_scan(raw)
        print(f"\nraw pickle of numpy arrays, {size / 1e6:,.0f} MB: median {seconds * 1000:,.1f} ms "
              f"-> {size / seconds / 1e9:,.2f} GB/s (target >= 1 GB/s)")  # fmt: skip
        del arrays
        big, small = d / "big.pt", d / "small.pt"
        torch.save({f"layer{i}.weight": torch.randn(1024, 2400) for i in range(32)}, big)
        torch.save({f"layer{i}.weight": torch.randn(10, 2400) for i in range(32)}, small)
        t_big, t_small = _median_scan(big), _median_scan(small)
        print(f"torch zip checkpoint: {big.stat().st_size / 1e6:,.0f} MB in {t_big * 1000:.2f} ms, "
              f"{small.stat().st_size / 1e6:,.1f} MB in {t_small * 1000:.2f} ms -> ratio "
              f"{t_big / t_small:.2f}x for {big.stat().st_size / small.stat().st_size:,.0f}x the bytes")  # fmt: skip
        if (ANCHORS / "bin" / "python").exists():
            base = run_anchor(
                ANCHORS / "bin" / "python", "picklescan", [str(raw), str(big), str(small)]
            )
            timings = base["results"]
            assert isinstance(timings, dict)
            print(
                "  baseline picklescan, same files: "
                f"raw pickle {timings[str(raw)]['seconds'] * 1000:,.1f} ms "
                f"(ptmscope/picklescan time ratio {seconds / timings[str(raw)]['seconds']:.4f}), torch zip "
                f"{timings[str(big)]['seconds'] * 1000:,.1f} ms vs {timings[str(small)]['seconds'] * 1000:,.1f} ms"
            )


if __name__ == "__main__":
    accuracy_and_corpus_speed()
    throughput()
