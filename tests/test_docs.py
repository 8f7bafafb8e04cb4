"""The documentation is generated from the code: keep it true."""

from pathlib import Path

from photocheck.cli.rules import rules_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_rules_table_in_docs_matches_the_registry():
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    start = text.index("<!-- rules -->") + len("<!-- rules -->\n")
    end = text.index("<!-- /rules -->")
    assert text[start:end] == rules_markdown("en"), "regenerate with: python -m photocheck.docs"
