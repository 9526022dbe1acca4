"""The gateway audits what it serves, refuses what its policy forbids, and logs each refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptmscope.errors import InputError
from ptmscope.registry.gateway import GatewayPolicy
from tests.registry.conftest import build_root, run_cli, run_client

DOWNLOADS = """
import json
from huggingface_hub import hf_hub_download
from huggingface_hub.errors import HfHubHTTPError
out = {}
for repo, name in (("evil/zip", "pytorch_model.bin"), ("evil/zip", "README.md"), ("acme/tiny", "model.safetensors")):
    try:
        hf_hub_download(repo, name)
        out[f"{repo}/{name}"] = "ok"
    except Exception as exc:  # hf_hub_download wraps the 403 of its HEAD call
        cause = exc if isinstance(exc, HfHubHTTPError) else exc.__cause__
        out[f"{repo}/{name}"] = [cause.response.status_code, str(cause)]
from huggingface_hub import constants, get_session
out["status"] = get_session().get(f"{constants.ENDPOINT}/api/models/evil/zip").json()["securityRepoStatus"]
print(json.dumps(out, default=str))
"""


def test_gateway_refuses_unsafe_files_and_logs(make_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = build_root(tmp_path / "root")
    policy = tmp_path / "gateway.yaml"
    policy.write_text("version: 1\nblock: high\nrequire_license: true\n")
    log = tmp_path / "audit.jsonl"
    server = make_server(root, "--policy", str(policy), "--audit-log", str(log))
    result = run_client(server, tmp_path / "home", DOWNLOADS)
    assert isinstance(result, dict)
    status, message = result["evil/zip/pytorch_model.bin"]
    assert status == 403
    assert "pickle.process" in message and "system" in message
    assert result["evil/zip/README.md"] == "ok"  # the card is not a model file
    assert result["acme/tiny/model.safetensors"] == "ok"
    issues = {i["path"]: i for i in result["status"]["filesWithIssues"]}
    assert issues["pytorch_model.bin"]["level"] == "unsafe"
    assert issues["pytorch_model.bin"]["rule"] == "pickle.process"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(records) >= 1
    first = records[0]
    assert {"time", "repo", "revision", "file", "rule", "client"} <= first.keys()
    assert first["repo"] == "evil/zip" and first["file"] == "pytorch_model.bin"
    assert first["rule"] == "pickle.process" and first["client"].startswith("127.0.0.1:")
    assert not (tmp_path / "MARKER").exists()
    # ptmscope's own remote scan of the same package still sees the payload (by Range reads
    # of the scanned members, which the gateway also refuses): it reports, it does not pass.
    done = run_cli(server, tmp_path / "home", "scan", "evil/zip")
    assert done.returncode != 0


def test_owner_allow_list_and_safetensors_rule(make_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = build_root(tmp_path / "root")
    policy = tmp_path / "gateway.yaml"
    policy.write_text("allowed_owners: [acme]\nrequire_safetensors: true\nblock: none\n")
    server = make_server(root, "--policy", str(policy), "--audit-log", str(tmp_path / "log.jsonl"))
    code = """
import json
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
api = HfApi()
out = {"listed": sorted(m.id for m in api.list_models())}
try:
    api.model_info("evil/zip")
    out["evil"] = "ok"
except HfHubHTTPError as exc:
    out["evil"] = exc.response.status_code
print(json.dumps(out))
"""
    result = run_client(server, tmp_path / "home", code)
    assert isinstance(result, dict)
    assert "evil/zip" not in result["listed"] and "acme/tiny" in result["listed"]
    assert result["evil"] == 403


@pytest.mark.parametrize(
    "text", ["block: fatal", "allowed_owners: acme", "surprise: 1", "require_license: maybe", "- a"]
)
def test_bad_gateway_policy_is_an_input_error(text: str, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(InputError):
        GatewayPolicy.load(path)
