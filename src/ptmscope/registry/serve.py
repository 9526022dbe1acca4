"""Run the registry with uvicorn (``ptmscope registry serve``).

Limits (each a named constant; the flags are those ``build()`` takes):

==========================  ========  =====================================================
limit                       default   what it bounds
==========================  ========  =====================================================
``--max-body-bytes``        16 MiB    a request body, received and after gzip decoding (413)
``--body-timeout``          30 s      receiving a whole request body (408)
``--git-timeout``           600 s     one ``git upload-pack`` run (killed after it)
``--workers``               32        threads doing blocking work at once (judge, git, files)
``KEEP_ALIVE_S``            5 s       idle keep-alive connections
``MAX_CONNECTIONS``         1000      connections/tasks at once (503 beyond, by uvicorn)
``MAX_PATH``                4096      request path length (414)
``SPOOL_THRESHOLD``         1 MiB     git blobs above it are spooled once to a temp file
``MAX_SPOOL_BYTES``         8 GiB     spooled blobs kept per repository reader (LRU)
``MAX_GIT_DIR_ENTRIES``     500,000   entries walked in a git dir for symlinks (refused above)
``MAX_FOLDER_FILES``        50,000    files in a folder package
==========================  ========  =====================================================
"""

from __future__ import annotations

from pathlib import Path

from ptmscope.errors import InputError
from ptmscope.registry.app import Registry
from ptmscope.registry.body import (
    BODY_TIMEOUT_S,
    GIT_TIMEOUT_S,
    MAX_BODY_BYTES,
    WORKERS,
    ServerLimits,
)
from ptmscope.registry.gateway import Gateway, GatewayPolicy
from ptmscope.registry.store import Store

KEEP_ALIVE_S = 5
"""Idle keep-alive connections are closed after this (uvicorn's default)."""
MAX_CONNECTIONS = 1000
"""Connections and in-flight tasks beyond this are answered 503 by uvicorn."""
MAX_PORT = 65535


def build(
    root: Path,
    policy: Path | None = None,
    audit_log: Path | None = None,
    rate_limit: float | None = None,
    max_body_bytes: int | None = None,
    body_timeout: float | None = None,
    git_timeout: float | None = None,
    workers: int | None = None,
    dry_run: bool = False,
) -> Registry:
    """The registry ``registry serve`` runs (public as :func:`ptmscope.registry.create_registry`).

    A limit left ``None`` keeps its default (the table above); one that is not
    positive is an input error naming its flag.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder of packages (ROOT/<owner>/<name>/)")
    limits = ServerLimits(
        MAX_BODY_BYTES if max_body_bytes is None else max_body_bytes,
        BODY_TIMEOUT_S if body_timeout is None else body_timeout,
        GIT_TIMEOUT_S if git_timeout is None else git_timeout,
        WORKERS if workers is None else workers,
    )
    for name, value in (
        ("--max-body-bytes", limits.max_body_bytes),
        ("--body-timeout", limits.body_timeout_s),
        ("--git-timeout", limits.git_timeout_s),
        ("--workers", limits.workers),
    ):
        if not value > 0:
            raise InputError(f"{name} must be positive")
    if rate_limit is not None and not rate_limit > 0:  # also NaN
        raise InputError(f"--rate-limit must be positive (got {rate_limit})")
    if dry_run and policy is None:
        raise InputError("--dry-run needs --policy (it logs what the policy would refuse)")
    gateway = None
    if policy is not None:
        log = audit_log or root / ".ptmscope" / "gateway-audit.jsonl"
        loaded = GatewayPolicy.load(Path(policy))
        if dry_run and loaded.admission is None:
            raise InputError(
                f"{policy}: --dry-run needs an admission policy (checks, rules, templates); "
                "the older gateway file refuses files, it decides nothing to rehearse"
            )
        gateway = Gateway(loaded, Path(log), dry_run=dry_run)
    return Registry(Store(root), gateway, rate_limit, limits)


def serve(registry: Registry, host: str, port: int) -> None:
    """Serve ``registry`` on ``host:port`` until interrupted.

    The address is tried first, so a busy or forbidden port is one input error (exit 2)
    rather than uvicorn's traceback after start-up.
    """
    import socket

    import uvicorn

    if not 0 <= port <= MAX_PORT:
        raise InputError(f"--port must be 0-{MAX_PORT} (got {port})")
    try:  # a busy or forbidden address is the user's to fix: one line, exit 2
        with socket.create_server((host, port), reuse_port=False):
            pass
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None

    print(f"ptmscope registry: serving {registry.store.root} on http://{host}:{port}", flush=True)
    if registry.gateway is not None:
        gateway = registry.gateway
        mode = "dry run (denied revisions served, logged)" if gateway.dry_run else "gateway on"
        print(
            f"ptmscope registry: {mode}; decisions and refusals logged to {gateway.log_path}",
            flush=True,
        )
    uvicorn.run(
        registry.app(),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_S,
        limit_concurrency=MAX_CONNECTIONS,
    )
