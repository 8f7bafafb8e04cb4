"""Regenerate docs/rules.md from the rule registry: ``python -m photocheck.docs``."""

from __future__ import annotations

from pathlib import Path

from .cli.rules import rules_markdown

HEAD = """# Rules

Generated from the rule registry by `python -m photocheck.docs`; a test keeps it in sync.
Limits are data in `photocheck/limits/*.toml` (override any of them with `--spec my.toml`).
`upload` judges the final 480×640 file; `original` judges a camera original, where the file rules
are off and framing means "a compliant 480×640 crop exists". How well each rule does on real
photos: [accuracy.md](accuracy.md).

"""


def main() -> None:
    path = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
    path.write_text(HEAD + "<!-- rules -->\n" + rules_markdown("en") + "<!-- /rules -->\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
