"""HubSource and its one retry policy, against real servers on 127.0.0.1.

``registry serve`` plays the Hub for the source itself (range reads, refusals,
its rate limiter's 429 + ``Retry-After``); a scripted ``http.server`` answers
429/503 a set number of times for the retry loop. Hub clients run in a
subprocess so ``HF_HOME`` (the Hub cache) is a temporary folder.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ptmscope.errors import SourceError
from ptmscope.retry import MAX_RETRY_AFTER_S, Again, RetryPolicy, retry_after_seconds
from ptmscope.sources.hub import call_hub
from tests.registry.conftest import Server, build_root, run_client
from tests.registry.conftest import make_server as make_server  # the registry's fixture
from tests.sources.flaky_server import Answer, Script, flaky_server, rate_limited


def _get(url: str) -> bytes:
    from huggingface_hub import get_session, hf_raise_for_status

    response = get_session().get(url, timeout=10)
    hf_raise_for_status(response)
    return bytes(response.content)


def _recording(waits: list[float], **kwargs: object) -> RetryPolicy:
    """A policy that records its waits instead of sleeping (no timing in the assertions)."""
    return RetryPolicy(sleep=waits.append, **kwargs)  # type: ignore[arg-type]


# -- the policy ------------------------------------------------------------------------


def test_policy_honours_retry_after_capped_and_backs_off_without_it() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=4.0, max_retry_after_s=10.0)
    assert policy.delay(0, "2") == 2.0  # the server's word wins over back-off
    assert policy.delay(3, "0") == 0.0
    assert policy.delay(0, "86400") == 10.0  # capped by the named maximum
    assert [policy.delay(n) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert policy.delay(1, "soon") == 1.0  # unreadable: back-off
    assert RetryPolicy().delay(0, "999999") == MAX_RETRY_AFTER_S
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # an HTTP date, past
    future = retry_after_seconds(
        time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 120))
    )
    assert future is not None and 100 < future <= 121


def test_policy_run_is_bounded() -> None:
    waits: list[float] = []
    calls: list[int] = []

    def always_busy() -> Again:
        calls.append(1)
        return Again("busy", "1")

    outcome = _recording(waits, attempts=4, max_retry_after_s=0.25).run(always_busy)
    assert isinstance(outcome, Again) and len(calls) == 4
    assert waits == [0.25, 0.25, 0.25]  # no wait after the last try


# -- call_hub against a real server ---------------------------------------------------


def test_call_hub_waits_out_429_and_503_then_succeeds() -> None:
    script = rate_limited(3, "7", Answer(200, b"finally"))
    waits: list[float] = []
    policy = _recording(waits, max_retry_after_s=3.0)
    with flaky_server(script) as url:
        body = call_hub("acme/tiny", url, lambda: _get(f"{url}/file"), policy)
    assert body == b"finally"
    assert len(script.requests) == 4
    assert waits == [3.0, 3.0, 3.0]  # Retry-After: 7, capped at 3


def test_call_hub_without_retry_after_backs_off() -> None:
    script = Script([Answer(503), Answer(503), Answer(200, b"ok")])
    waits: list[float] = []
    with flaky_server(script) as url:
        body = call_hub(
            "acme/tiny", url, lambda: _get(f"{url}/f"), _recording(waits, base_delay_s=0.125)
        )
    assert body == b"ok" and waits == [0.125, 0.25]


def test_call_hub_gives_up_after_the_policy_attempts() -> None:
    script = rate_limited(1, "1", Answer(429, b"", (("Retry-After", "1"),)))
    waits: list[float] = []
    with flaky_server(script) as url, pytest.raises(SourceError) as caught:
        call_hub("acme/tiny", url, lambda: _get(f"{url}/f"), _recording(waits, attempts=3))
    assert "rate limited (429) after 3 tries" in str(caught.value)
    assert len(script.requests) == 3


def test_call_hub_does_not_retry_a_refusal_and_names_it() -> None:
    script = Script([Answer(401, b"{}", (("X-Error-Message", "token required"),))])
    with flaky_server(script) as url, pytest.raises(SourceError) as caught:
        call_hub("acme/secret", url, lambda: _get(f"{url}/f"), _recording([]))
    message = str(caught.value)
    assert "access refused (401)" in message and "token required" in message
    assert "--token" in message  # not a gateway: the token hint is given
    assert len(script.requests) == 1


def test_a_refusal_with_a_token_gives_no_token_advice() -> None:
    """The hint to pass a token appears only when none was sent (issue 14)."""
    script = Script([Answer(403, b"{}", (("X-Error-Message", "forbidden"),))])
    with flaky_server(script) as url, pytest.raises(SourceError) as caught:
        call_hub("acme/secret", url, lambda: _get(f"{url}/f"), _recording([]), token_given=True)
    message = str(caught.value)
    assert "access refused (403)" in message and "--token" not in message
    assert "the token sent was not accepted" in message


def test_call_hub_real_sleep_is_bounded_by_the_cap() -> None:
    """A server asking for an hour is asked again after the cap (here 0.05 s), not an hour."""
    script = rate_limited(2, "3600", Answer(200, b"ok"))
    started = time.monotonic()
    with flaky_server(script) as url:
        body = call_hub("a/b", url, lambda: _get(f"{url}/f"), RetryPolicy(max_retry_after_s=0.05))
    assert body == b"ok"
    assert time.monotonic() - started < 60  # uncapped, this would take two hours


# -- HubSource against `registry serve` -----------------------------------------------

HUB_CODE = """
import json
from ptmscope.errors import SourceError
from ptmscope.retry import RetryPolicy
from ptmscope.sources.hub import HubSource

waits = []
policy = RetryPolicy(attempts=40, max_retry_after_s=0.3, sleep=lambda s: (waits.append(s), __import__("time").sleep(s)))
out = {}
source = HubSource(REPO, endpoint=ENDPOINT, retry_policy=policy)
files = {f.path: f for f in source.files()}
big = files["model.safetensors"]
out["sizes"] = {p: f.size for p, f in files.items()}
out["head"] = big.read(0, 8).hex()
out["middle"] = big.read(1000, 64).hex()
out["fetched"] = source.transfer.bytes_downloaded
out["requests"] = source.transfer.requests
try:
    refused = HubSource("evil/zip", endpoint=ENDPOINT, retry_policy=policy)
    weights = {f.path: f for f in refused.files()}["pytorch_model.bin"]
    weights.read(0, 16)
    out["refused"] = None
except SourceError as exc:
    out["refused"] = str(exc)
out["waits"] = waits
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def hub_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from safetensors.torch import save_file

    root = build_root(tmp_path_factory.mktemp("hub") / "root")
    weights = {"big.weight": torch.arange(1 << 20, dtype=torch.float32)}  # 4 MiB
    save_file(weights, str(root / "acme" / "tiny" / "model.safetensors"))
    return root


def _run(server: Server, home: Path, repo: str) -> dict[str, object]:
    code = HUB_CODE.replace("REPO", repr(repo)).replace("ENDPOINT", repr(server.endpoint))
    result = run_client(server, home, code)
    assert isinstance(result, dict)
    return result


def test_hub_source_reads_byte_ranges_and_names_the_gateway_refusal(
    make_server: Callable[..., Server],
    hub_root: Path,
    tmp_path: Path,
) -> None:
    policy = tmp_path / "gateway.yaml"
    policy.write_text("block: high\n")
    server = make_server(
        hub_root, "--policy", str(policy), "--audit-log", str(tmp_path / "log.jsonl")
    )
    out = _run(server, tmp_path / "home", "acme/tiny")
    local = (hub_root / "acme" / "tiny" / "model.safetensors").read_bytes()
    sizes = out["sizes"]
    assert isinstance(sizes, dict) and sizes["model.safetensors"] == len(local)
    assert bytes.fromhex(str(out["head"])) == local[:8]
    assert bytes.fromhex(str(out["middle"])) == local[1000:1064]
    assert isinstance(out["fetched"], int) and 0 < out["fetched"] < len(local)  # ranges only
    refused = str(out["refused"])
    assert "access refused (403)" in refused and "ptmscope gateway" in refused, refused
    assert "--token" not in refused  # a gateway says which rule; no token hint


def test_hub_source_waits_out_the_registry_rate_limit(
    make_server: Callable[..., Server],
    hub_root: Path,
    tmp_path: Path,
) -> None:
    server = make_server(hub_root, "--rate-limit", "2")
    out = _run(server, tmp_path / "home", "acme/tiny")
    local = (hub_root / "acme" / "tiny" / "model.safetensors").read_bytes()
    assert bytes.fromhex(str(out["head"])) == local[:8]
    waits = out["waits"]
    assert isinstance(waits, list) and waits, "the rate limiter never answered 429"
    assert all(w == 0.3 for w in waits)  # Retry-After (>= 1 s) capped by the policy
