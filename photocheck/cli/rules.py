"""``photocheck rules``: every rule id with its limit in force; ``--markdown`` is docs/rules.md's table."""

from __future__ import annotations

import click

from ..rules import all_rules
from ..spec import PROFILES, load_spec
from . import options


def _default_state(spec, rule_id: str) -> str:
    return "experimental" if spec.is_experimental(rule_id) else "on"


def rules_markdown(lang: str = "en") -> str:
    """The rules table of docs/rules.md: every rule with its limit in both profiles."""
    specs = [load_spec(p) for p in PROFILES]
    out = ["| rule | what | default | " + " | ".join(f"limit ({p})" for p in PROFILES) + " |",
           "|---|---|---|" + "---|" * len(PROFILES)]
    for r in all_rules():
        cells = [s.limit(r.id).describe() if s.is_enabled(r.id) and s.profile in r.profiles else "(off)" for s in specs]
        out.append(f"| `{r.id}` | {r.name(lang)} | {_default_state(specs[0], r.id)} | "
                   + " | ".join(c or "—" for c in cells) + " |")
    return "\n".join(out) + "\n"


@click.command("rules")
@options.profile()
@options.lang()
@options.spec()
@click.option("--markdown", is_flag=True, help="Print the Markdown table of docs/rules.md (both profiles).")
def rules_cmd(profile, lang, spec_path, markdown):
    """List every rule id with its limit in force in the active profile (with --spec: the shipped
    limits and that file's overrides, checked as check and fix check them)."""
    if markdown:
        click.echo(rules_markdown(lang), nl=False)
        return
    spec = options.load_spec_or_usage(profile, spec_path)
    for r in all_rules():
        lim = spec.limit(r.id).describe() if spec.is_enabled(r.id) and profile in r.profiles else "(off)"
        trial = (" [实验性，默认关闭]" if lang == "zh" else " [experimental, off by default]") \
            if spec.is_experimental(r.id) else ""
        click.echo(f"{r.id:<32} {lim:<34} {r.name(lang, spec.limit(r.id))}{trial}")
    if spec.experimental:
        click.echo("\n实验性规则在真实照片上误报过多，默认不运行；用 check --experimental 开启。" if lang == "zh" else
                   "\nExperimental rules flag too many good real photos to be on by default; "
                   "check --experimental runs them (docs/accuracy.md says why).")
