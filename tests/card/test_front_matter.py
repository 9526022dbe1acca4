"""``read_front_matter``: the one reader of card front matter (audit, study, registry)."""

from __future__ import annotations

import pytest

from ptmscope.card.parse import card_metadata, parse_card, read_front_matter

CARD = "---\nlicense: mit\npipeline_tag: fill-mask\n---\n# Title\n\nBody text.\n"


@pytest.mark.parametrize(
    "raw",
    [
        CARD.encode(),
        ("\ufeff" + CARD).encode(),
        CARD.replace("\n", "\r\n").encode(),
        ("\ufeff" + CARD).replace("\n", "\r\n").encode(),
    ],
    ids=["plain", "bom", "crlf", "bom+crlf"],
)
def test_bom_and_crlf_read_the_same(raw: bytes) -> None:
    front = read_front_matter("README.md", raw)
    assert front.present and front.error is None
    assert dict(front.metadata) == {"license": "mit", "pipeline_tag": "fill-mask"}
    assert front.body_line == 5 and front.body.startswith("# Title")
    card, _ = parse_card("README.md", raw)
    assert dict(card.metadata) == dict(front.metadata) and card.has_front_matter
    assert card_metadata("README.md", raw) == {"license": "mit", "pipeline_tag": "fill-mask"}


def test_blocks_that_are_not_card_data() -> None:
    unclosed = read_front_matter("README.md", b"---\nlicense: mit\n# no closing marker\n")
    assert not unclosed.present and unclosed.body_line == 1
    listed = read_front_matter("README.md", b"---\n- a\n- b\n---\n")
    assert listed.present and listed.error is not None and "not a mapping" in listed.error
    assert card_metadata("README.md", b"---\n- a\n---\n") is None
    assert card_metadata("README.md", b"---\nlicense: [mit\n---\n") is None  # YAML error
    assert card_metadata("README.md", b"---\n---\n# empty\n") is None
    assert card_metadata("README.md", b"\x00binary") is None  # never raises


def test_blank_lines_before_the_opening_marker_are_allowed_and_lines_stay_true() -> None:
    """The Hub reads metadata after leading blank lines (a card opening with a space line
    had no metadata here before); YAML errors still point at the right README line."""
    front = read_front_matter("README.md", (" \n\n" + CARD).encode())
    assert front.present and dict(front.metadata)["license"] == "mit"
    assert front.body_line == 7 and front.body.startswith("# Title")
    broken = read_front_matter("README.md", b" \n---\nlicense: [mit\n---\n")
    assert broken.error is not None and "line 4" in broken.error  # as without the blank, +1
    assert not read_front_matter("README.md", b"text\n---\nlicense: mit\n---\n").present
