"""Verify benchmark (``make bench-verify``): evaluation throughput and peak memory.

Baseline, same model and data, same run: a naive loop calling a transformers
``pipeline`` one example at a time (what most evaluation scripts do). Ours: the
``verify`` runner (length-sorted batches under ``torch.inference_mode``). Each
side runs in its own process so peak memory (max RSS) is its own; medians of 3.
Two workloads: the real all-MiniLM-L6-v2 embedding WordSim353 pairs (gensim),
and text classification with a BERT built from a config on the Pang & Lee
sentences (gensim), as a card's claims would be checked. Target: >= 3x.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 3

SETUP = r"""
import json, resource, sys, time
from pathlib import Path
import torch
torch.set_num_threads(2)
from gensim.test.utils import datapath
from ptmscope.demo import demo_model_path
words = [l.split("\t")[:2] for l in Path(datapath("wordsim353.tsv")).read_text().splitlines() if l and not l.startswith("#")]
sentences = [l.split(" ", 1)[1] for l in Path(datapath("pang_lee_polarity.cor")).read_text(encoding="latin-1").splitlines() if l.strip()]
texts = ([a for a, _ in words] + [b for _, b in words]) * 4
sentences = sentences * 10
folder = demo_model_path()
"""
CLASSIFIER = r"""
import tempfile
from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast
tmp = Path(tempfile.mkdtemp())
tokenizer = BertTokenizerFast.from_pretrained(str(folder))
torch.manual_seed(0)
BertForSequenceClassification(BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=128, num_hidden_layers=4, num_attention_heads=4, intermediate_size=512, num_labels=2)).save_pretrained(tmp)
tokenizer.save_pretrained(tmp)
"""
# Timed from before the model is loaded to the last prediction, on both sides.
OURS = {
    "embed": "from ptmscope.verify.run import Runner\nstart = time.perf_counter(); runner = Runner(Path(folder)); out = runner.embed(texts); n = len(texts)",
    "classify": "from ptmscope.verify.run import Runner\nstart = time.perf_counter(); runner = Runner(tmp); out = runner.classify(sentences); n = len(sentences)",
}
NAIVE = {
    "embed": "from transformers import pipeline\nstart = time.perf_counter(); pipe = pipeline('feature-extraction', model=str(folder), device='cpu'); out = [pipe(t) for t in texts]; n = len(texts)",
    "classify": "from transformers import pipeline\nstart = time.perf_counter(); pipe = pipeline('text-classification', model=str(tmp), device='cpu'); out = [pipe(t) for t in sentences]; n = len(sentences)",
}
REPORT = "\nelapsed = time.perf_counter() - start\nprint(json.dumps({'rate': n / elapsed, 'rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"


def run(code: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    for name, label in (
        ("embed", "all-MiniLM-L6-v2 embeddings, WordSim353 words"),
        ("classify", "BERT classifier, Pang & Lee sentences"),
    ):
        prefix = SETUP + (CLASSIFIER if name == "classify" else "")
        ours = [run(prefix + OURS[name] + REPORT) for _ in range(REPEATS)]
        naive = [run(prefix + NAIVE[name] + REPORT) for _ in range(REPEATS)]
        ours_rate = statistics.median(r["rate"] for r in ours)
        naive_rate = statistics.median(r["rate"] for r in naive)
        print(
            f"{label}: verify runner {ours_rate:,.0f} samples/s (peak RSS {statistics.median(r['rss'] for r in ours):,.0f} MiB) "
            f"vs one-at-a-time pipeline {naive_rate:,.0f} samples/s (peak RSS {statistics.median(r['rss'] for r in naive):,.0f} MiB) "
            f"-> {ours_rate / naive_rate:.1f}x (target >= 3x)"
        )


if __name__ == "__main__":
    main()
