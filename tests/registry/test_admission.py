"""The gateway under an admission policy, through the clients people use.

One policy, one decision: ``policy check``, ``audit --policy`` and ``registry serve
--policy`` decide the same for the same package; a denied revision is refused whole,
and the real ``huggingface_hub`` and ``transformers`` clients raise errors that quote
the rule and the reason; every decision (allow included) is a line of the log.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git
from tests.registry.conftest import MAIN, Server, run_cli, run_client

POLICY = """\
version: 1
templates:
  trusted_owners: [acme]          # only our own models
  formats: [safetensors]          # weights in safetensors only
  licenses: {deny: [cc-by-nc-4.0]}  # nothing non-commercial, base models included
"""


def _tiny_bert(folder: Path, pickled: bool, card: str = "license: apache-2.0") -> None:
    """A real (tiny) BERT written by transformers: safetensors, or a torch pickle."""
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=32,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=1,
        intermediate_size=16,
        max_position_embeddings=16,
    )
    model = BertModel(config)
    model.save_pretrained(folder)
    if pickled:  # transformers 5 writes safetensors only: the pickle as torch.save writes it
        import torch

        (folder / "model.safetensors").unlink()
        torch.save(model.state_dict(), folder / "pytorch_model.bin")
    (folder / "README.md").write_text(
        f"---\n{card}\nlibrary_name: transformers\n---\n# tiny\nA tiny BERT.\n"
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("admission")
    root = base / "root"
    _tiny_bert(root / "acme" / "safe", pickled=False)
    _tiny_bert(root / "acme" / "pickled", pickled=True)
    _tiny_bert(root / "stranger" / "safe", pickled=False)
    _tiny_bert(root / "acme" / "parent", pickled=False, card="license: cc-by-nc-4.0")
    _tiny_bert(
        root / "acme" / "child", pickled=False, card="license: apache-2.0\nbase_model: acme/parent"
    )
    _tiny_bert(root / "acme" / "history", pickled=True)
    git(root / "acme" / "history", "init", "-q", "-b", "main")
    git(root / "acme" / "history", "add", "-A")
    git(root / "acme" / "history", "commit", "-q", "-m", "a pickled model")
    cleaned = root / "acme" / "cleaned"  # a pickle deleted from the tip, still in the history
    _tiny_bert(cleaned, pickled=True)
    git(cleaned, "init", "-q", "-b", "main")
    git(cleaned, "add", "-A")
    git(cleaned, "commit", "-q", "-m", "a pickled model")
    (cleaned / "pytorch_model.bin").unlink()
    _tiny_bert(base / "fresh", pickled=False)
    shutil.copy(base / "fresh" / "model.safetensors", cleaned / "model.safetensors")
    git(cleaned, "add", "-A")
    git(cleaned, "commit", "-q", "-m", "safetensors now")
    policy = base / "policy.yaml"
    policy.write_text(POLICY)
    return {"base": base, "root": root, "policy": policy}


@pytest.fixture(scope="module")
def enforcing(world: dict[str, Path]) -> Server:
    log = world["base"] / "enforcing.jsonl"
    server = Server(world["root"], "--policy", str(world["policy"]), "--audit-log", str(log))
    yield server  # type: ignore[misc]
    server.stop()


@pytest.fixture(scope="module")
def dry_run(world: dict[str, Path]) -> Server:
    log = world["base"] / "dry.jsonl"
    server = Server(
        world["root"], "--policy", str(world["policy"]), "--dry-run", "--audit-log", str(log)
    )
    yield server  # type: ignore[misc]
    server.stop()


def _client(server: Server, home: Path, code: str) -> dict[str, str]:
    """Run ``code`` (which sets ``out``) as a real client; what it raised, as type and text."""
    wrapped = (
        "import json\nout = {}\ntry:\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + "except Exception as exc:\n"
        "    out = {'type': type(exc).__name__, 'message': str(exc)}\n"
        "print(json.dumps(out))\n"
    )
    result = run_client(server, home, wrapped)
    assert isinstance(result, dict)
    return result


def _decisions(log: Path) -> list[dict[str, object]]:
    records = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return [r for r in records if r.get("event") == "decision"]


def test_hf_hub_download_shows_the_rule_and_reason(enforcing: Server, tmp_path: Path) -> None:
    got = _client(
        enforcing,
        tmp_path / "home",
        "from huggingface_hub import hf_hub_download\n"
        "hf_hub_download('acme/pickled', 'config.json')",
    )
    assert got["type"] == "GatedRepoError", got
    message = got["message"]
    assert "templates.formats" in message and "only weights in these formats" in message
    assert "pytorch_model.bin" in message  # the evidence: which file broke the rule
    assert "check your connection" not in message.lower()


def test_snapshot_download_shows_the_rule_and_reason(enforcing: Server, tmp_path: Path) -> None:
    got = _client(
        enforcing,
        tmp_path / "home",
        "from huggingface_hub import snapshot_download\nsnapshot_download('stranger/safe')",
    )
    assert got["type"] == "GatedRepoError", got
    assert "templates.trusted_owners" in got["message"]
    assert "owner 'stranger'" in got["message"]


def test_transformers_shows_the_rule_and_reason(enforcing: Server, tmp_path: Path) -> None:
    got = _client(
        enforcing,
        tmp_path / "home",
        "from transformers import AutoModel\nAutoModel.from_pretrained('acme/pickled')",
    )
    assert got["type"] == "OSError", got
    assert "templates.formats" in got["message"], got
    assert "does not appear to have a file named" not in got["message"]


def test_git_clone_shows_the_rule_and_reason(enforcing: Server, tmp_path: Path) -> None:
    done = subprocess.run(
        ["git", "clone", "-q", f"{enforcing.endpoint}/acme/history", str(tmp_path / "clone")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and not (tmp_path / "clone").exists()
    assert "remote: ptmscope gateway: clone of acme/history refused" in done.stderr
    assert "templates.formats" in done.stderr, done.stderr


def test_a_clone_carries_the_history_so_the_history_must_meet_the_formats(
    enforcing: Server, tmp_path: Path
) -> None:
    """The tip is safetensors only (allowed, its files download), but a clone would carry
    the pickle deleted from it: the clone is refused."""
    got = _client(
        enforcing,
        tmp_path / "home",
        "from huggingface_hub import hf_hub_download\n"
        "hf_hub_download('acme/cleaned', 'model.safetensors')\nout = {'ok': 'yes'}",
    )
    assert got == {"ok": "yes"}
    done = subprocess.run(
        ["git", "clone", "-q", f"{enforcing.endpoint}/acme/cleaned", str(tmp_path / "clone")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and not (tmp_path / "clone").exists()
    assert "templates.formats" in done.stderr and "in the history" in done.stderr, done.stderr


def test_an_allowed_model_loads_and_every_decision_is_logged(
    enforcing: Server, world: dict[str, Path], tmp_path: Path
) -> None:
    got = _client(
        enforcing,
        tmp_path / "home",
        "from transformers import AutoModel\n"
        "m = AutoModel.from_pretrained('acme/safe')\n"
        "out = {'layers': str(m.config.num_hidden_layers)}",
    )
    assert got == {"layers": "1"}
    decisions = {str(d["repo"]): d for d in _decisions(world["base"] / "enforcing.jsonl")}
    assert decisions["acme/safe"]["decision"] == "allow"
    assert decisions["acme/safe"]["violations"] == []
    digest = hashlib.sha256(world["policy"].read_bytes()).hexdigest()
    assert decisions["acme/safe"]["policy_digest"] == digest
    assert decisions["acme/safe"]["enforced"] is True


def test_each_revision_is_decided_once(
    enforcing: Server, world: dict[str, Path], tmp_path: Path
) -> None:
    for _ in range(2):
        _client(
            enforcing,
            tmp_path / "home",
            "from huggingface_hub import hf_hub_download\n"
            "hf_hub_download('acme/pickled', 'README.md', force_download=True)",
        )
    pickled = [
        d for d in _decisions(world["base"] / "enforcing.jsonl") if d["repo"] == "acme/pickled"
    ]
    assert len(pickled) == 1 and pickled[0]["decision"] == "deny"


def test_dry_run_serves_and_logs_what_it_would_refuse(
    dry_run: Server, world: dict[str, Path], tmp_path: Path
) -> None:
    got = _client(
        dry_run,
        tmp_path / "home",
        "from huggingface_hub import hf_hub_download\n"
        "p = hf_hub_download('acme/pickled', 'config.json')\n"
        "out = {'size': str(len(open(p).read()) > 0)}",
    )
    assert got == {"size": "True"}
    pickled = [d for d in _decisions(world["base"] / "dry.jsonl") if d["repo"] == "acme/pickled"]
    assert pickled and pickled[0]["decision"] == "deny" and pickled[0]["enforced"] is False
    assert "would have refused" in str(pickled[0]["action"])


def _verdict(decision: dict[str, object]) -> tuple[object, list[object]]:
    violations = decision["violations"]
    assert isinstance(violations, list)
    return decision["decision"], sorted(v["rule"] for v in violations)


@pytest.mark.parametrize("repo", ["acme/safe", "acme/pickled", "stranger/safe", "acme/child"])
def test_one_decision_from_policy_check_audit_and_the_gateway(
    repo: str, dry_run: Server, enforcing: Server, world: dict[str, Path], tmp_path: Path
) -> None:
    """The same package and policy: ``policy check`` and ``audit --policy`` (reading the
    package through the dry-run gateway, which serves everything) decide what both
    gateways logged."""
    home = tmp_path / "home"
    check = run_cli(dry_run, home, "policy", "check", repo, "--policy", str(world["policy"]),
                    "--format", "json")  # fmt: skip
    assert check.returncode in (0, 1), check.stderr
    audit = run_cli(dry_run, home, "audit", repo, "--policy", str(world["policy"]),
                    "--format", "json")  # fmt: skip
    assert audit.returncode == check.returncode, audit.stderr
    from_check = _verdict(json.loads(check.stdout))
    from_audit = _verdict(json.loads(audit.stdout)["policy"])
    _client(enforcing, home, f"from huggingface_hub import model_info\nmodel_info('{repo}')")
    logged = {}
    for name in ("dry", "enforcing"):
        found = [d for d in _decisions(world["base"] / f"{name}.jsonl") if d["repo"] == repo]
        assert found, f"{name} gateway logged no decision for {repo}"
        logged[name] = _verdict(found[0])
    assert from_check == from_audit == logged["dry"] == logged["enforcing"]
    expected = {"acme/safe": ("allow", []), "acme/pickled": ("deny", ["templates.formats"]),
                "stranger/safe": ("deny", ["templates.trusted_owners"]),
                "acme/child": ("deny", ["templates.licenses"])}[repo]  # fmt: skip
    assert from_check == expected
    expected = expected[0]
    assert check.returncode == (1 if expected == "deny" else 0)


def test_a_licence_inherited_from_the_base_model_is_judged(
    enforcing: Server, tmp_path: Path
) -> None:
    got = _client(
        enforcing,
        tmp_path / "home",
        "from huggingface_hub import hf_hub_download\nhf_hub_download('acme/child', 'config.json')",
    )
    assert got["type"] == "GatedRepoError", got
    assert "ancestor acme/parent (base model, depth 1) is licensed cc-by-nc-4.0" in got["message"]


def test_model_info_carries_the_decision(enforcing: Server, tmp_path: Path) -> None:
    got = _client(
        enforcing,
        tmp_path / "home",
        "from huggingface_hub import model_info\n"
        "info = model_info('acme/pickled', securityStatus=True)\n"
        "out = info.security_repo_status['policyDecision']",
    )
    assert got["decision"] == "deny" and got["enforced"] is True
    assert [v["rule"] for v in got["violations"]] == ["templates.formats"]


def test_a_bad_policy_stops_the_server_before_it_listens(
    world: dict[str, Path], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ntemplates:\n  formats: safetensors\n")
    done = subprocess.run(
        [sys.executable, "-c", MAIN, "registry", "serve", str(world["root"]), "--policy", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"{bad}:3: templates.formats" in done.stderr and "Traceback" not in done.stderr


def test_dry_run_needs_an_admission_policy(world: dict[str, Path], tmp_path: Path) -> None:
    older = tmp_path / "gateway.yaml"
    older.write_text("version: 1\nblock: high\n")
    done = subprocess.run(
        [sys.executable, "-c", MAIN, "registry", "serve", str(world["root"]), "--policy",
         str(older), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "--dry-run needs an admission policy" in done.stderr
