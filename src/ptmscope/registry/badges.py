"""``/badge/{owner}/{name}.svg`` and ``.json``: live badges of a package's scorecard.

The SVG is drawn here (no shields.io round trip, nothing fetched): a label and a
message box in the ``flat`` or ``flat-square`` style, with a ``<title>`` naming the
audited short commit and its audit date so a reader can tell what the badge is about.
The ``.json`` form is shields.io's endpoint format (``schemaVersion: 1``, ``label``,
``message``, ``color``, ``cacheSeconds``) for ``https://img.shields.io/endpoint?url=…``.

``?check=`` picks what the badge shows: the overall score (default), an attribute
(``provenance``), a probe (``risk.malicious_serialization``), ``scan`` (the worst file
verdict), ``policy`` (the gateway's decision) or ``signature`` (the model signature).

Freshness: a badge answers at once. When the served revision has not been audited yet
but an older commit has, the badge is grey "stale" (its title names the audited and the
served commit) and the new revision is audited in the background; the next request
shows it. Fresh badges carry ``Cache-Control: max-age=`` :data:`BADGE_MAX_AGE_S`, stale
and error badges ``no-cache``, so a badge lags the served revision by at most
:data:`BADGE_MAX_AGE_S` plus the new revision's audit, and says "stale" meanwhile.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response

from ptmscope.registry.scorecards import (
    AuditFailed,
    Refused,
    Scorecards,
    cached_response,
    error,
    service,
)
from ptmscope.results.scorecard import UNDECIDED

if TYPE_CHECKING:
    from ptmscope.registry.app import Registry
    from ptmscope.registry.store import Revision

BADGE_MAX_AGE_S = 300
"""How long a client or proxy (GitHub's camo) may keep a fresh badge (shields.io's minimum)."""
STYLES = ("flat", "flat-square")
LABEL = "ptmscope"
COLORS = {
    "brightgreen": "#4c1",
    "green": "#97ca00",
    "yellow": "#dfb317",
    "orange": "#fe7d37",
    "red": "#e05d44",
    "lightgrey": "#9f9f9f",
}
"""shields.io's named colours (the JSON form) and the hex each is drawn with."""
STALE = "lightgrey"
SPECIAL_CHECKS = ("scan", "policy", "signature")
_NARROW = frozenset("ijlI.,:;'!|")
_MEDIUM = frozenset("frt()[]-/ ")
_WIDE = frozenset("mwMW@%")


@dataclass(frozen=True)
class Badge:
    """What a badge says: its two texts, colour (a shields.io name) and hover title."""

    label: str
    message: str
    color: str
    title: str
    fresh: bool = True
    """False for a stale or failed badge (served with ``no-cache``)."""


def _color(score: float) -> str:
    if score == UNDECIDED:
        return "lightgrey"
    if score >= 7.5:
        return "brightgreen"
    if score >= 5:
        return "yellow"
    if score >= 2.5:
        return "orange"
    return "red"


def _number(score: float) -> str:
    return "unknown" if score == UNDECIDED else f"{score:.1f}/10"


_SCAN_ORDER = ("clean", "suspicious", "error", "malicious")
_SCAN_COLORS = {"clean": "brightgreen", "suspicious": "yellow", "error": "red", "malicious": "red"}
_DECISION_COLORS = {"allow": "brightgreen", "warn": "yellow", "deny": "red"}
_SIGNATURE_COLORS = {"verified": "brightgreen", "invalid": "red", "unsigned": "lightgrey"}


def known_check(card: dict[str, Any], check: str | None) -> bool:
    return (
        check is None
        or check in SPECIAL_CHECKS
        or check in card["attributes"]
        or any(c["name"] == check for c in card["checks"])
    )


def describe(card: dict[str, Any], check: str | None) -> tuple[str, str, str]:
    """(label, message, colour) of ``check`` on a scorecard (``check`` is known)."""
    if check is None:
        score = card["score"]
        color = "red" if card["verdict"] == "fail" else _color(score)
        if card["verdict"] == "review" and color == "brightgreen":
            color = "yellow"
        return LABEL, f"{_number(score)} {card['verdict']}", color
    if check == "scan":
        verdicts = [s["verdict"] for s in card["scans"]]
        worst = max(verdicts, key=lambda v: _SCAN_ORDER.index(v) if v in _SCAN_ORDER else 99)
        if not verdicts:
            return "scan", "no files", "lightgrey"
        return "scan", str(worst), _SCAN_COLORS.get(worst, "red")
    if check == "policy":
        policy = card.get("policy")
        if policy is None:
            return "policy", "no policy", "lightgrey"
        decision = str(policy["decision"])
        return "policy", decision, _DECISION_COLORS.get(decision, "red")
    if check == "signature":
        signature = card.get("signature")
        state = "unknown" if signature is None else str(signature["state"])
        return "signature", state, _SIGNATURE_COLORS.get(state, "orange")
    if check in card["attributes"]:
        score = card["attributes"][check]["score"]
        score = UNDECIDED if score is None else score
        return check, _number(score), _color(score)
    found = next(c for c in card["checks"] if c["name"] == check)
    message = str(found["outcome"])
    if found["score"] != UNDECIDED:
        message += f" {found['score']:g}/10"
    return check, message, _color(found["score"])


def _title(label: str, message: str, repo_id: str, commit: str, date: str | None) -> str:
    when = (date or "unknown date")[:10]
    return f"{label}: {message} - {repo_id}@{commit[:7]}, audited {when}"


def badge_for(cards: Scorecards, revision: Revision, check: str | None) -> Badge | None:
    """The badge of ``revision`` without waiting for an audit when one is under way;
    ``None`` when ``check`` is not a check of the scorecard."""
    repo_id, sha = revision.repo_id, revision.sha
    audited = cards.cached(repo_id, sha)
    if audited is None:
        known = cards.known(repo_id, sha)
        if check is None and known is not None:  # audited by an earlier run: its score stands
            label, message, color = describe(_summary_card(known), None)
            return Badge(label, message, color, _title(label, message, repo_id, sha, known["date"]))
        latest = cards.latest(repo_id)
        if known is None and latest is not None:
            cards.refresh_later(revision)
            old = f"{_number(latest['score'])} {latest['verdict']}"
            title = (
                f"{check or LABEL}: stale - {repo_id}@{latest['commit'][:7]} audited "
                f"{(latest['date'] or 'unknown date')[:10]} ({old}); the served commit "
                f"{sha[:7]} is newer and not audited yet"
            )
            return Badge(check or LABEL, "stale", STALE, title, fresh=False)
    try:
        card = cards.scorecard(revision)
    except AuditFailed as exc:
        return Badge(check or LABEL, "audit failed", "red", str(exc), fresh=False)
    if not known_check(card, check):
        return None
    label, message, color = describe(card, check)
    return Badge(label, message, color, _title(label, message, repo_id, sha, card["date"]))


def _summary_card(entry: dict[str, Any]) -> dict[str, Any]:
    return {"score": entry["score"], "verdict": entry["verdict"]}


def _width(text: str) -> int:
    """Text width in Verdana 11 px, near enough to size the boxes (no font metrics here)."""
    total = 0.0
    for char in text:
        if char in _NARROW:
            total += 3.5
        elif char in _MEDIUM:
            total += 4.5
        elif char in _WIDE or char.isupper():
            total += 8.5
        else:
            total += 7.0
    return round(total)


def svg(badge: Badge, style: str = "flat") -> str:
    """The badge as a standalone SVG document (valid XML; every text escaped)."""
    left, right = _width(badge.label) + 10, _width(badge.message) + 10
    width = left + right
    radius = 3 if style == "flat" else 0
    fill = COLORS[badge.color]
    label, message, title = (escape(t) for t in (badge.label, badge.message, badge.title))
    aria = escape(f"{badge.label}: {badge.message}", {'"': "&quot;"})
    gradient = (
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        if style == "flat"
        else ""
    )
    overlay = f'<rect width="{width}" height="20" fill="url(#s)"/>' if style == "flat" else ""
    crisp = "" if style == "flat" else ' shape-rendering="crispEdges"'
    texts = "".join(
        f'<text x="{x}" y="15" fill="#010101" fill-opacity=".3">{text}</text>'
        f'<text x="{x}" y="14">{text}</text>'
        for x, text in ((left / 2, label), (left + right / 2, message))
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{aria}"><title>{title}</title>{gradient}'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="{radius}" fill="#fff"/>'
        f'</clipPath><g clip-path="url(#r)"{crisp}>'
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{fill}"/>{overlay}</g>'
        '<g fill="#fff" text-anchor="middle" '
        'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f"{texts}</g></svg>"
    )


def endpoint(badge: Badge, style: str | None = None) -> dict[str, Any]:
    """The shields.io endpoint JSON of ``badge``."""
    data: dict[str, Any] = {
        "schemaVersion": 1,
        "label": badge.label,
        "message": badge.message,
        "color": badge.color,
        "isError": badge.message == "audit failed",
        "cacheSeconds": BADGE_MAX_AGE_S,
    }
    if style is not None:
        data["style"] = style
    return data


def serve_badge(registry: Registry, request: Request, owner: str, file: str) -> Response:
    """``GET /badge/{owner}/{name}.svg|.json`` (``?check=``, ``?style=``, ``?revision=``)."""
    name, dot, kind = file.rpartition(".")
    if not dot or kind not in ("svg", "json"):
        return error(404, "Not found: a badge is /badge/{owner}/{name}.svg or .json")
    params = request.query_params
    style = params.get("style")
    if style is not None and style not in STYLES:
        return error(400, f"style is one of {', '.join(STYLES)}")
    check = params.get("check") or None
    cards = service(registry)
    repo = registry.store.repo(owner, name)
    try:
        revision = cards.revision(repo, params.get("revision"))
    except Refused:
        return error(403, f"ptmscope gateway: {repo.repo_id} is not served here", "GatedRepo")
    badge = badge_for(cards, revision, check)
    if badge is None:
        return error(
            400, f"unknown check {check!r}: an attribute, a probe id, or one of "
            f"{', '.join(SPECIAL_CHECKS)}"
        )  # fmt: skip
    control = f"max-age={BADGE_MAX_AGE_S}" if badge.fresh else "no-cache"
    if kind == "json":
        body = json.dumps(endpoint(badge, style), ensure_ascii=True).encode()
        return cached_response(request, body, "application/json", control)
    return cached_response(request, svg(badge, style or "flat").encode(), "image/svg+xml", control)
