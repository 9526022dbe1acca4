"""Run the registry with uvicorn (``ptmscope registry serve``)."""

from __future__ import annotations

from pathlib import Path

from ptmscope.errors import InputError
from ptmscope.registry.app import Registry
from ptmscope.registry.gateway import Gateway, GatewayPolicy
from ptmscope.registry.store import Store


def build(
    root: Path,
    policy: Path | None = None,
    audit_log: Path | None = None,
    rate_limit: float | None = None,
) -> Registry:
    if not root.is_dir():
        raise InputError(f"{root}: not a folder of packages (ROOT/<owner>/<name>/)")
    gateway = None
    if policy is not None:
        log = audit_log or root / ".ptmscope" / "gateway-audit.jsonl"
        gateway = Gateway(GatewayPolicy.load(policy), log)
    return Registry(Store(root), gateway, rate_limit)


def serve(registry: Registry, host: str, port: int) -> None:
    import socket

    import uvicorn

    try:  # a busy or forbidden address is the user's to fix: one line, exit 2
        with socket.create_server((host, port), reuse_port=False):
            pass
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None

    print(f"ptmscope registry: serving {registry.store.root} on http://{host}:{port}", flush=True)
    if registry.gateway is not None:
        print(
            f"ptmscope registry: gateway on; refusals logged to {registry.gateway.log_path}",
            flush=True,
        )
    uvicorn.run(registry.app(), host=host, port=port, log_level="warning", access_log=False)
