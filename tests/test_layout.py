"""The layout's promises: imports run one way, and each stage loads only what it needs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "music_tools"

#: `from music_tools import LibraryIndexer`: the front door (music_tools/__init__.py)
FRONT_DOOR = "music_tools"
#: stage -> the stages it may import (the core, errors/models/util, is open to all); the
#: command line is a client of the front door
ALLOWED = {
    "formats": set(),
    "identity": {"formats"},
    "read": {"formats", "identity"},
    "scan": {"formats"},
    "store": set(),
    "index": {"formats", "identity", "read", "scan", "store", "quality"},
    "dupes": {"formats", "identity", "read", "store", "quality"},  # nothing from index
    "quality": {"formats"},
    "queries": {"store"},
    "library": {"store", "index", "dupes"},
    "review": {"identity", "store", "dupes", "quality"},
    "cli": {  # nothing from index: the indexer comes through the front door
        "formats",
        "identity",
        "read",
        "scan",
        "store",
        "dupes",
        "queries",
        "review",
        "quality",
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


def _module(path: Path) -> str:
    """The dotted name of a module under music_tools ("formats.flac" for its __init__)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(source: str, package: list[str]) -> set[str]:
    """What a module of `package` (["dupes"]) names in its imports of music_tools (those
    under TYPE_CHECKING too), relative to music_tools: each module imported from, and
    each name imported from it as "module.name" (a name may be a submodule)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
            elif (node.module or "").startswith("music_tools."):
                base = []
            else:
                continue
            module = (node.module or "").removeprefix("music_tools").lstrip(".")
            target = ".".join([*base, *module.split(".")] if module else base)
            found.update([target, *(f"{target}.{alias.name}" for alias in node.names)])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("music_tools."):
                    found.add(alias.name.removeprefix("music_tools."))
    return found


def _edges(path: Path, modules: set[str]) -> set[str]:
    """The modules of `modules` that importing `path` runs: each one it names in any import
    (those under TYPE_CHECKING too), and the packages above them, but for the packages
    `path` is in (being imported already)."""
    name = _module(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = _imported(path.read_text(), package)
    for target in list(found):
        parts = target.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return {t for t in found & modules if not f"{name}.".startswith(f"{t}.")}


def _cycle(stage: str) -> list[str] | None:
    """An import cycle among the modules of `stage`, as the list of modules round it."""
    paths = {_module(p): p for p in (PACKAGE / stage).rglob("*.py")}
    graph = {name: _edges(path, set(paths)) for name, path in paths.items()}
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> list[str] | None:
        if name in trail:
            return [*trail[trail.index(name) :], name]
        if name in done:
            return None
        for target in sorted(graph[name]):
            cycle = visit(target, [*trail, name])
            if cycle:
                return cycle
        done.add(name)
        return None

    return next((c for name in sorted(graph) if (c := visit(name, []))), None)


@pytest.mark.parametrize("stage", ["formats", "store"])
def test_a_stage_has_no_import_cycle_even_for_type_checking(stage: str) -> None:
    assert _cycle(stage) is None


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


#: the store's dialect side: only LibraryDatabase and its sub-objects reach it
_STORE_INSIDES = ("store.engine", "store.sqlite_engine", "store.connection", "store.driver_errors")


def _store_insides(source: str, package: list[str]) -> set[str]:
    """The modules of the store's dialect side (or store.postgres) that a module of
    `package` (["dupes"]) imports."""
    found = _imported(source, package)
    return {
        name
        for name in found
        if name in _STORE_INSIDES or name == "store.postgres" or name.startswith("store.postgres.")
    }


def _engine_uses(source: str) -> list[int]:
    """The lines where a module reads an `.engine` (or `._engine`) attribute."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr in ("engine", "_engine")
    ]


def _outside_the_store() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if "store" not in p.relative_to(PACKAGE).parts]


def test_nothing_outside_the_store_imports_its_engine_or_a_dialect() -> None:
    for module in _outside_the_store():
        package = list(module.relative_to(PACKAGE).parts[:-1])
        found = _store_insides(module.read_text(), package)
        assert not found, f"{module.relative_to(PACKAGE)} imports {sorted(found)}"


def test_nothing_outside_the_store_touches_a_database_engine() -> None:
    """`db.engine` is the store's own: callers go through LibraryDatabase and its
    sub-objects (`db.matching`, `db.fingerprints`, `db.indexing`, `db.scan_errors`)."""
    for module in _outside_the_store():
        uses = _engine_uses(module.read_text())
        assert not uses, f"{module.relative_to(PACKAGE)} uses .engine on lines {uses}"


def test_the_store_checks_see_a_dialect_import_and_an_engine() -> None:
    source = (
        "from ..store.postgres.engine import PostgresEngine\n"
        "from ..store import engine\n"
        "from music_tools.store.connection import open_sqlite\n"
        "from ..store import LibraryDatabase\n"
        "rows = db.engine.fetch('SELECT 1')\n"
    )
    found = _store_insides(source, ["dupes"])
    assert {"store.postgres.engine", "store.engine", "store.connection"} <= found
    assert _store_insides("from ..store import LibraryDatabase, RowState\n", ["dupes"]) == set()
    assert _engine_uses(source) == [5]


#: how long a module may grow before it is split (issue 20: none over 400 lines)
MAX_MODULE_LINES = 400


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
