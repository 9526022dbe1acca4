"""The real ``huggingface_hub`` client against ``ptmscope registry serve``, then ptmscope itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tests.registry.conftest import Server, run_cli, run_client

CLIENT = """
import filecmp, json, os
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
api = HfApi()
info = api.model_info("acme/tiny", files_metadata=True)
listed = [m.id for m in api.list_models(author="acme")]
searched = [m.id for m in api.list_models(search="tin")]
filtered = [m.id for m in api.list_models(filter="license:apache-2.0", limit=10)]
commits = api.list_repo_commits("acme/history")
refs = api.list_repo_refs("acme/history")
at_tag = api.model_info("acme/history", revision="v1")
at_branch = api.model_info("acme/history", revision="release/2024")
tree = [f.path for f in api.list_repo_tree("acme/tiny", recursive=True)]
paths = [f.path for f in api.get_paths_info("acme/tiny", ["config.json", "sub"])]
one = hf_hub_download("acme/tiny", "sub/notes.txt")
folder = snapshot_download("acme/tiny")
same = all(
    filecmp.cmp(os.path.join(SRC, p), os.path.join(folder, p), shallow=False)
    for p in ("README.md", "config.json", "model.safetensors", "sub/notes.txt")
)
old = hf_hub_download("acme/bare", "README.md", revision=at_tag.sha)
print(json.dumps({
    "sha": info.sha, "siblings": sorted(s.rfilename for s in info.siblings),
    "lfs": [s.rfilename for s in info.siblings if s.lfs], "pipeline": info.pipeline_tag,
    "card_license": info.card_data.license if info.card_data else None,
    "listed": listed, "searched": searched, "filtered": filtered,
    "commits": [c.title for c in commits], "branches": sorted(b.name for b in refs.branches),
    "tags": [t.name for t in refs.tags], "tag_sha": at_tag.sha, "branch_sha": at_branch.sha,
    "tree": tree, "paths": paths, "one": open(one).read(), "same": same, "old": open(old).read(),
}))
"""


def test_real_client_round_trip(server: Server, registry_root: Path, tmp_path: Path) -> None:
    code = f"SRC = {str(registry_root / 'acme' / 'tiny')!r}\n" + CLIENT
    result = run_client(server, tmp_path / "home", code)
    assert isinstance(result, dict)
    assert len(result["sha"]) == 40
    assert result["siblings"] == ["README.md", "config.json", "model.safetensors", "sub/notes.txt"]
    assert result["lfs"] == ["model.safetensors"]
    assert result["pipeline"] == "text-classification" and result["card_license"] == "apache-2.0"
    assert {"acme/tiny", "acme/history", "acme/bare"} <= set(result["listed"])
    assert result["searched"] == ["acme/tiny"]
    assert "acme/tiny" in result["filtered"] and "evil/zip" not in result["filtered"]
    assert result["commits"] == ["second", "first"]
    assert result["branches"] == ["main", "release/2024"] and result["tags"] == ["v1"]
    assert result["tag_sha"] != result["branch_sha"]
    assert "sub/notes.txt" in result["tree"] and set(result["paths"]) == {"config.json", "sub"}
    assert result["one"] == "nested file\n" and result["same"] is True
    assert "# v1" in result["old"]  # a commit sha resolves, on the bare clone too


def test_remote_audit_and_scan(server: Server, tmp_path: Path) -> None:
    done = run_cli(server, tmp_path / "home", "audit", "acme/tiny", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["package"]["source"] == "hub" and len(report["package"]["commit"]) == 40
    assert report["transfer"]["package_bytes"] > 0
    scan = run_cli(server, tmp_path / "home", "scan", "evil/zip", "--format", "json")
    assert scan.returncode == 1, scan.stderr
    files = {f["path"]: f for f in json.loads(scan.stdout)["files"]}
    evil = files["evil/zip/pytorch_model.bin"]
    assert evil["verdict"] == "malicious" and evil["format"] == "pytorch-zip"
    assert any(f["target"] in ("posix.system", "os.system") for f in evil["findings"])
    assert not (tmp_path.parent / "MARKER").exists()


@pytest.mark.slow
def test_large_package_audited_from_a_fraction_of_its_bytes(make_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import torch
    from safetensors.torch import save_file

    root = tmp_path / "root"
    big = root / "acme" / "big"
    big.mkdir(parents=True)
    (big / "README.md").write_text("---\nlicense: mit\n---\n# big\n")
    save_file(
        {"embed.weight": torch.zeros(40_000, 1024), "proj.weight": torch.zeros(40_000, 1024)},
        str(big / "model.safetensors"),
    )
    assert (big / "model.safetensors").stat().st_size >= 300_000_000
    server = make_server(root)
    done = run_cli(server, tmp_path / "home", "audit", "acme/big", "--format", "json")
    assert done.returncode == 0, done.stderr
    transfer = json.loads(done.stdout)["transfer"]
    assert transfer["package_bytes"] >= 300_000_000
    assert transfer["bytes_downloaded"] < transfer["package_bytes"] / 100, transfer


def test_errors_are_one_line_exit_2(server: Server, tmp_path: Path) -> None:
    for args, expected in (
        (("audit", "acme/missing"), "no such model"),
        (("audit", "acme/history@no-such-branch"), "no such revision"),
        # what could be passed instead (issue 14: it named nothing)
        (("audit", "acme/history@no-such-branch"), "branches: main, release/2024; tags: v1"),
        (("scan", "acme/missing"), "no such model"),
        (("audit", "acme/missing"), "a private model needs --token"),
        (("audit", "acme/missing", "--token", "hf_x"), "the token sent does not grant access"),
    ):
        done = run_cli(server, tmp_path / "home", *args)
        assert (
            done.returncode == 2 and expected in done.stderr and "Traceback" not in done.stderr
        ), done.stderr
        if "--token" in args:
            assert "--token or" not in done.stderr  # no advice to pass what was passed


def test_unreachable_endpoint(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.registry.conftest import MAIN, free_port

    env = {**os.environ, "HF_ENDPOINT": f"http://127.0.0.1:{free_port()}", "HF_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", MAIN, "audit", "acme/tiny"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2 and "cannot reach" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.skipif(
    not SHARED_DATA.joinpath("git_repos").is_dir(), reason="shared git repositories absent"
)
def test_real_histories_served(server: Server, tmp_path: Path) -> None:
    code = """
import json
from huggingface_hub import HfApi
api = HfApi()
out = {}
for m in api.list_models(author="nlpconnect"):
    commits = api.list_repo_commits(m.id)
    out[m.id] = [len(commits), api.model_info(m.id).sha]
print(json.dumps(out))
"""
    result = run_client(server, tmp_path / "home", code)
    assert isinstance(result, dict) and result
    for count, sha in result.values():
        assert count >= 1 and len(sha) == 40
    repo = next(iter(result))
    done = run_cli(server, tmp_path / "home", "audit", repo, "--format", "json")
    report = json.loads(done.stdout)
    # The shared clones hold LFS pointers without their objects: the registry lists the
    # weights but cannot deliver them, so the audit fails closed and says which file.
    assert done.returncode == 1, done.stderr
    unreadable = next(f for f in report["findings"] if f["probe"] == "risk.unreadable_content")
    assert unreadable["outcome"] == "detected"
    assert all("no content" in e["detail"] for e in unreadable["evidence"]), unreadable
    assert report["package"]["history"]["commits"] == result[repo][0]


def test_refused_access_is_one_line_exit_2(make_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.registry.conftest import build_root

    root = build_root(tmp_path / "root")
    policy = tmp_path / "gateway.yaml"
    policy.write_text("allowed_owners: [acme]\n")
    server = make_server(root, "--policy", str(policy), "--audit-log", str(tmp_path / "log.jsonl"))
    done = run_cli(server, tmp_path / "home", "audit", "evil/zip")
    assert done.returncode == 2 and "403" in done.stderr and "allowed_owners" in done.stderr, (
        done.stderr
    )
    assert "Traceback" not in done.stderr


def test_listing_follows_link_pagination(make_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "root"
    for index in range(120):
        package = root / f"org{index % 3}" / f"model-{index:03d}"
        package.mkdir(parents=True)
        (package / "README.md").write_text(
            f"---\nlicense: mit\ntags: [n{index % 2}]\n---\n# {index}\n"
        )
    server = make_server(root)
    code = """
import json
from huggingface_hub import HfApi
api = HfApi()
print(json.dumps({
    "all": len(list(api.list_models())),
    "org1": len(list(api.list_models(author="org1"))),
    "tag": len(list(api.list_models(filter="n1"))),
    "limited": len(list(api.list_models(limit=7))),
    "sorted": [m.id for m in api.list_models(sort="id", limit=2)],
}))
"""
    result = run_client(server, tmp_path / "home", code)
    assert result == {
        "all": 120,
        "org1": 40,
        "tag": 60,
        "limited": 7,
        "sorted": ["org2/model-119", "org2/model-116"],
    }


def test_remote_history_carries_signatures_through_git(server: Server, tmp_path: Path) -> None:
    done = run_cli(server, tmp_path / "home", "audit", "acme/history", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["package"]["history"]["commits"] == 2
    finding = next(f for f in report["findings"] if f["probe"] == "risk.history_unsigned")
    assert finding["outcome"] == "detected"  # seen through a blob-less clone, not left unknown
    folder = run_cli(server, tmp_path / "home", "audit", "acme/tiny", "--format", "json")
    plain = next(
        f for f in json.loads(folder.stdout)["findings"] if f["probe"] == "risk.history_unsigned"
    )
    assert (
        plain["outcome"] == "unknown"
    )  # a folder package has no git: the API's list hides signatures
