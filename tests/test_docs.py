"""The documentation is generated from the code: keep it true."""

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from photocheck.cli import main
from photocheck.cli.rules import rules_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_rules_table_in_docs_matches_the_registry():
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    start = text.index("<!-- rules -->") + len("<!-- rules -->\n")
    end = text.index("<!-- /rules -->")
    assert text[start:end] == rules_markdown("en"), "regenerate with: python -m photocheck.docs"


ROOT = DOCS.parent
_RULE_LINE = re.compile(r"^  (\S) (\S+)\s+(pass|warn|fail|skip|error)\s+(.*?)\s+\[(.*)\]$")


def _readme_example() -> tuple[list[str], list[str]]:
    """The `photocheck check` example in README's "Checking photos": its command and output lines."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("## Checking photos"):]
    block = block[block.index("```console\n") + len("```console\n"):]
    lines = block[: block.index("```")].splitlines()
    assert lines[0].startswith("$ photocheck check ")
    return shlex.split(lines[0][2:])[1:], lines[1:]


def test_readme_check_example_is_the_real_output(monkeypatch):
    """Every line README shows (headers, rule id, status, value, limit, message) is what the command
    prints now, in the same order; `…` stands for lines left out."""
    args, shown = _readme_example()
    monkeypatch.chdir(ROOT)  # the example's paths are relative to the repository
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1, r.output  # one photo fails, as the example shows
    real = r.stdout.splitlines()
    at = -1
    for line in shown:
        if line.strip() == "…":
            continue
        m = _RULE_LINE.match(line)
        if m:  # compare field by field first, for a message that says which field went stale
            rule = m[2]
            now = next((x for x in real[at + 1:] if (n := _RULE_LINE.match(x)) and n[2] == rule), None)
            assert now is not None, f"README shows {rule}, the command no longer prints it"
            n = _RULE_LINE.match(now)
            assert (n[2], n[3], n[4], n[5]) == (m[2], m[3], m[4], m[5]), f"README: {line!r}\nreal:   {now!r}"
        assert line in real[at + 1:], f"README line not in the output (in this order): {line!r}"
        at = real.index(line, at + 1)


def test_ci_runs_the_readme_test_command():
    """CI must run exactly the test command README's Quick start gives a newcomer."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = text[text.index("## Quick start"):]
    block = quick[quick.index("```bash\n") + len("```bash\n"):]
    commands = block[: block.index("```")].strip().splitlines()
    assert len(commands) == 2, "Quick start holds exactly two commands: the demo and the tests"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert commands[1] in ci
