"""``cardData`` and ``pipeline_tag`` from ``registry serve`` equal what ``audit`` reads.

The registry used to split front matter itself: a README starting with a UTF-8
byte-order mark (or written with CRLF) gave ``cardData: null`` from the server but
a parsed card in ``audit``. Both now read it through ``ptmscope.card``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ptmscope.audit import collect
from tests.registry.conftest import Server, run_client
from tests.registry.conftest import make_server as make_server  # the registry's fixture

CARD = (
    "---\nlicense: apache-2.0\npipeline_tag: token-classification\n"
    "datasets:\n- conll2003\ntags:\n- ner\n---\n# A model\n\nIt tags names.\n"
)
CLIENT = """
import json
from huggingface_hub import HfApi
api = HfApi()
out = {}
for repo in ("acme/bom", "acme/crlf", "acme/plain"):
    info = api.model_info(repo)
    out[repo] = {
        "card": info.card_data.to_dict() if info.card_data is not None else None,
        "pipeline_tag": info.pipeline_tag,
    }
print(json.dumps(out))
"""


def test_bom_and_crlf_cards_served_as_audit_reads_them(
    make_server: Callable[..., Server], tmp_path: Path
) -> None:
    root = tmp_path / "root"
    variants = {
        "acme/bom": ("\ufeff" + CARD).encode("utf-8"),
        "acme/crlf": ("\ufeff" + CARD).replace("\n", "\r\n").encode("utf-8"),
        "acme/plain": CARD.encode("utf-8"),
    }
    for repo_id, raw in variants.items():
        (root / repo_id).mkdir(parents=True)
        (root / repo_id / "README.md").write_bytes(raw)
    server = make_server(root)
    served = run_client(server, tmp_path / "home", CLIENT)
    assert isinstance(served, dict)
    for repo_id in variants:
        package = collect(root / repo_id)
        assert package.card is not None and package.card.metadata_error is None
        assert served[repo_id]["card"] == dict(package.card.metadata), repo_id
        assert served[repo_id]["pipeline_tag"] == package.task == "token-classification"


def test_a_card_with_yaml_dates_is_served_as_json(
    make_server: Callable[..., Server], tmp_path: Path
) -> None:
    """YAML reads ``released: 2023-01-01`` as a date, which JSON cannot carry: model info
    answered 500 before; the date is served as ISO text, as the Hub's cardData shows it."""
    import json
    import urllib.request

    package = tmp_path / "root" / "acme" / "dated"
    package.mkdir(parents=True)
    (package / "README.md").write_text(
        "---\nlicense: mit\nreleased: 2023-01-01\nextra:\n  when: 2023-01-02 10:00:00\n---\n# d\n"
    )
    server = make_server(tmp_path / "root")
    with urllib.request.urlopen(f"{server.endpoint}/api/models/acme/dated", timeout=30) as r:
        card = json.loads(r.read())["cardData"]
    assert card["released"] == "2023-01-01"
    assert card["extra"]["when"].startswith("2023-01-02")
