"""The layout's promises: imports run one way, and each stage loads only what it needs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "music_tools"

#: `from music_tools import LibraryIndexer`: the Python API (music_tools/__init__.py)
FRONT_DOOR = "the front door"
#: stage -> the stages it may import (the core, errors/models/util, is open to all); the
#: command line is a client of the front door
ALLOWED = {
    "formats": set(),
    "identity": {"formats"},
    "read": {"formats", "identity"},
    "store": set(),
    "index": {"formats", "identity", "read", "store"},
    "dupes": {"formats", "identity", "read", "store", "index"},
    "quality": {"formats"},
    "queries": {"store"},
    "library": {"store", "index", "dupes"},
    "review": {"store", "dupes"},
    "cli": {
        "formats",
        "identity",
        "read",
        "store",
        "index",
        "dupes",
        "queries",
        "review",
        FRONT_DOOR,
    },
}
CORE = {"errors", "models", "util"}


def _stage_or_front_door(name: str) -> str:
    """What `from music_tools import name` imports: a stage, or the front door's API."""
    if (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file():
        return name
    return FRONT_DOOR


def _imported_stages(path: Path) -> set[str]:
    """The top-level music_tools modules or packages that a module imports."""
    stage_parts = path.relative_to(PACKAGE).with_suffix("").parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                parts = (node.module or "").split(".")
                if parts[0] == "music_tools" and len(parts) > 1:
                    found.add(parts[1])
                elif parts == ["music_tools"]:
                    found.update(_stage_or_front_door(alias.name) for alias in node.names)
                continue
            base = list(stage_parts[: len(stage_parts) - node.level])
            target = [*base, *((node.module or "").split(".") if node.module else [])]
            if target:
                found.add(target[0])
            else:  # from .. import name: a module, or a name of the front door
                found.update(_stage_or_front_door(alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "music_tools" and len(parts) > 1:
                    found.add(parts[1])
    return found


@pytest.mark.parametrize("stage", sorted(ALLOWED))
def test_a_stage_imports_only_the_core_and_the_stages_before_it(stage: str) -> None:
    root = PACKAGE / stage
    modules = sorted(root.rglob("*.py")) if root.is_dir() else [root.with_suffix(".py")]
    for module in modules:
        imported = _imported_stages(module) - CORE - {stage}
        assert imported <= ALLOWED[stage], f"{module.relative_to(PACKAGE)} imports {imported}"


def test_the_core_imports_no_stage() -> None:
    for name in CORE:
        assert _imported_stages(PACKAGE / f"{name}.py") <= CORE


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_the_store_alone_loads_no_mutagen() -> None:
    loaded = _modules_after("import music_tools.store")
    assert "music_tools.store" in loaded
    assert not {m for m in loaded if m.startswith("mutagen")}


def test_the_seed_import_of_the_database_loads_no_mutagen() -> None:
    loaded = _modules_after("from music_tools.library import LibraryDatabase")
    assert not {m for m in loaded if m.startswith("mutagen")}
    assert "music_tools.index" not in loaded


def test_the_database_from_the_front_door_loads_no_mutagen() -> None:
    loaded = _modules_after("from music_tools import LibraryDatabase, LibraryFile, StoreError")
    assert not {m for m in loaded if m.startswith("mutagen")}
    assert "music_tools.index" not in loaded and "music_tools.dupes" not in loaded


def test_every_name_of_the_front_door_resolves() -> None:
    loaded = _modules_after(
        "import music_tools; [getattr(music_tools, name) for name in music_tools.__all__]; "
        "from music_tools import LibraryDatabase, LibraryIndexer, DuplicateChecker, "
        "find_duplicates, search"
    )
    assert {"music_tools.index.indexer", "music_tools.dupes.checker"} <= loaded
    assert "numpy" not in loaded  # the quality verdict imports it only to analyse a file


def test_reading_alone_loads_no_database_driver() -> None:
    loaded = _modules_after("import music_tools.read")
    assert "mutagen" in loaded
    assert not {m for m in loaded if m.startswith(("apsw", "psycopg", "sqlite3"))}


def test_the_seed_names_still_resolve() -> None:
    loaded = _modules_after(
        "from music_tools.library import LibraryIndexer, IndexReport; "
        "from music_tools import extract, extract_batch, ExtractError"
    )
    assert "music_tools.index.indexer" in loaded


def test_importing_the_package_loads_nothing_else() -> None:
    """`music_tools/__init__` runs before the entry point can catch Ctrl-C: it imports
    nothing, so that moment stays instant (names are loaded on first use)."""
    code = (
        "import sys; before = set(sys.modules); import music_tools; "
        "print(' '.join(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(out.stdout.split()) <= {"__future__", "music_tools"}, out.stdout
