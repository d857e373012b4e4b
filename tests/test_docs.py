"""The documentation's promises: a short README that installs as CI does, a benchmarks
page in step with its recorded results, every page in the site, and an architecture page
that states the import rule the layout test enforces."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from test_layout import ALLOWED

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_the_readme_stays_a_short_page() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines: move the depth into docs/"


def test_the_readme_installs_as_ci_does() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/pytest" in readme
    )
    assert "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]'" in ci
    assert "\n.venv/bin/pytest\n" in ci
    assert "mkdocs build --strict" in ci


def test_the_benchmarks_page_is_rendered_from_the_recorded_results() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "report.py"), "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.stem for p in (DOCS / "benchmarks").glob("*.json")), "no recorded result"


def test_every_docs_page_is_in_the_site_navigation() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = {p.name for p in DOCS.glob("*.md")}
    assert pages == set(re.findall(r"\b([\w-]+\.md)\b", nav))


def test_the_architecture_page_states_the_import_rule_of_the_layout_test() -> None:
    page = (DOCS / "architecture.md").read_text()
    rule = page[page.index("## The import rule") :]
    stated = {}
    for stage, allowed in re.findall(r"^\| `(\w+)` \| (.+) \|$", rule, re.MULTILINE):
        stated[stage] = set(re.findall(r"`(\w+)`", allowed))
    assert stated == ALLOWED


def test_the_readme_and_the_commands_page_show_every_command_with_an_example() -> None:
    from music_tools.cli import cli

    readme = (ROOT / "README.md").read_text()
    page = (DOCS / "commands.md").read_text()
    for name in cli.commands:
        assert re.search(rf"^\| `{name}\b.*\| `music-tools {name}\b", readme, re.MULTILINE), name
        assert f"\n## {name}\n" in page and f"\nmusic-tools {name}" in page, name
