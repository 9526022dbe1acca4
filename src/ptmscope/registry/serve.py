"""Run the registry with uvicorn (``ptmscope registry serve``).

Limits (each a named constant; the flags are those ``build()`` takes):

==========================  ========  =====================================================
limit                       default   what it bounds
==========================  ========  =====================================================
``--max-body-bytes``        16 MiB    a request body, received and after gzip decoding (413)
``--body-timeout``          30 s      receiving a whole request body (408)
``--git-timeout``           600 s     one ``git upload-pack`` run (killed after it)
``--threads``               32        threads per worker doing blocking work (judge, git, files)
``--workers``               1         worker processes sharing one state (``--state``)
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

import json
import os
from pathlib import Path
from typing import Any

from ptmscope.errors import InputError
from ptmscope.registry.app import FrontServer, Registry
from ptmscope.registry.body import (
    BODY_TIMEOUT_S,
    GIT_TIMEOUT_S,
    MAX_BODY_BYTES,
    WORKERS,
    ServerLimits,
)
from ptmscope.registry.gateway import Gateway, GatewayPolicy
from ptmscope.registry.objects import OBJECTS, Objects
from ptmscope.registry.state import STATE_FILE, open_state
from ptmscope.registry.store import Store

KEEP_ALIVE_S = 5
"""Idle keep-alive connections are closed after this (uvicorn's default)."""
MAX_CONNECTIONS = 1000
"""Connections and in-flight tasks beyond this are answered 503 by uvicorn."""
MAX_PORT = 65535
MAX_WORKERS = 64
"""Worker processes ``--workers`` may start."""
CONFIG_ENV = "PTMSCOPE_REGISTRY_OPTIONS"
"""How the parent hands ``build``'s options to each worker process (JSON)."""
_PATHS = ("root", "policy", "audit_log", "state")


def build(
    root: Path,
    policy: Path | None = None,
    audit_log: Path | None = None,
    rate_limit: float | None = None,
    max_body_bytes: int | None = None,
    body_timeout: float | None = None,
    git_timeout: float | None = None,
    threads: int | None = None,
    dry_run: bool = False,
    state: Path | None = None,
    accel_redirect: str | None = None,
) -> Registry:
    """The registry ``registry serve`` runs (public as :func:`ptmscope.registry.create_registry`).

    A limit left ``None`` keeps its default (the table above); one that is not
    positive is an input error naming its flag. ``state`` is the shared store every
    worker reads and writes (``ROOT/.ptmscope/state.sqlite`` by default);
    ``accel_redirect`` the URL prefix of a front server's internal location over
    ``ROOT/.ptmscope/objects`` (``X-Accel-Redirect``; see ``examples/nginx``).
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder of packages (ROOT/<owner>/<name>/)")
    limits = ServerLimits(
        MAX_BODY_BYTES if max_body_bytes is None else max_body_bytes,
        BODY_TIMEOUT_S if body_timeout is None else body_timeout,
        GIT_TIMEOUT_S if git_timeout is None else git_timeout,
        WORKERS if threads is None else threads,
    )
    for name, value in (
        ("--max-body-bytes", limits.max_body_bytes),
        ("--body-timeout", limits.body_timeout_s),
        ("--git-timeout", limits.git_timeout_s),
        ("--threads", limits.workers),
    ):
        if not value > 0:
            raise InputError(f"{name} must be positive")
    if rate_limit is not None and not rate_limit > 0:  # also NaN
        raise InputError(f"--rate-limit must be positive (got {rate_limit})")
    if dry_run and policy is None:
        raise InputError("--dry-run needs --policy (it logs what the policy would refuse)")
    if policy is not None:
        log = audit_log or root / ".ptmscope" / "gateway-audit.jsonl"
        loaded = GatewayPolicy.load(Path(policy))
        if dry_run and loaded.admission is None:
            raise InputError(
                f"{policy}: --dry-run needs an admission policy (checks, rules, templates); "
                "the older gateway file refuses files, it decides nothing to rehearse"
            )
    shared = open_state(Path(state) if state is not None else root / ".ptmscope" / STATE_FILE)
    gateway = None
    if policy is not None:
        gateway = Gateway(loaded, Path(log), dry_run=dry_run, state=shared)
    accel = None
    if accel_redirect is not None:
        if not accel_redirect.startswith("/") or any(c in accel_redirect for c in "\r\n?#"):
            raise InputError("--accel-redirect must be a URL path such as /_ptmscope/objects/")
        accel = FrontServer(Objects(root / ".ptmscope" / OBJECTS), accel_redirect)
    return Registry(Store(root), gateway, rate_limit, limits, state=shared, accel=accel)


def worker_app() -> Any:
    """One worker process's application, built from the options its parent handed over
    (:data:`CONFIG_ENV`): every worker builds the same registry over the same state."""
    options: dict[str, Any] = json.loads(os.environ[CONFIG_ENV])
    for key in _PATHS:
        if options.get(key) is not None:
            options[key] = Path(options[key])
    return build(**options).app()


def serve(
    registry: Registry,
    host: str,
    port: int,
    workers: int = 1,
    options: dict[str, Any] | None = None,
) -> None:
    """Serve ``registry`` on ``host:port`` until interrupted; with ``workers`` > 1, that many
    processes, each building the registry from ``options`` (``build``'s keywords) and all
    sharing its state.

    The address is tried first, so a busy or forbidden port is one input error (exit 2)
    rather than uvicorn's traceback after start-up.
    """
    import socket

    import uvicorn

    if not 1 <= workers <= MAX_WORKERS:
        raise InputError(f"--workers must be 1-{MAX_WORKERS} (got {workers})")
    if workers > 1 and options is None:
        raise InputError("several workers need the registry's options to build one each")
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
    if registry.accel is not None:
        print(
            f"ptmscope registry: file bodies handed to the front server under "
            f"{registry.accel.prefix} (objects in {registry.accel.objects.folder})",
            flush=True,
        )
    common: dict[str, Any] = {
        "host": host, "port": port, "log_level": "warning", "access_log": False,
        "timeout_keep_alive": KEEP_ALIVE_S, "limit_concurrency": MAX_CONNECTIONS,
    }  # fmt: skip
    if workers == 1:
        uvicorn.run(registry.app(), **common)
        return
    print(f"ptmscope registry: {workers} worker processes", flush=True)
    os.environ[CONFIG_ENV] = json.dumps(options, default=str)
    uvicorn.run("ptmscope.registry.serve:worker_app", factory=True, workers=workers, **common)
