"""The rooms of the code: the producer stays the producer, nothing imports in a circle, modules
stay small, commands stay thin, and every make target or document the code names exists."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from common.paths import PROJECT_DIR

PACKAGES = ("common", "producer", "fraud_detection", "bench")
HEAVY = ("duckdb", "dbt", "xgboost", "sklearn", "matplotlib")
MAX_MODULE_LINES = 400
MAX_MACRO_FILE_LINES = 150
MAX_HANDLER_LINES = 40


def _modules() -> dict[str, Path]:
    """Every Python module of the packages, by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((PROJECT_DIR / package).rglob("*.py")):
            parts = path.relative_to(PROJECT_DIR).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path) -> set[str]:
    """The modules ``path`` imports anywhere (top level or inside functions)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_the_producer_imports_nothing_of_the_warehouse_side():
    modules = [
        name for name in _modules() if name.startswith("producer") and not name.endswith("__main__")
    ]
    probe = (
        f"import sys; import {', '.join(modules)}; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_DIR, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    for name, path in _modules().items():
        if name.startswith("producer"):
            assert not any(i.startswith("fraud_detection") for i in _imports(path)), name


def test_the_shared_base_imports_neither_side():
    for name, path in _modules().items():
        if name.startswith("common"):
            imported = {i.split(".")[0] for i in _imports(path)}
            assert not imported & {"producer", "fraud_detection", "bench"}, name


def test_no_module_imports_one_that_imports_it_back():
    modules = _modules()
    graph = {
        name: {other for other in _imports(path) if other in modules and other != name}
        for name, path in modules.items()
    }
    cycles = []

    def visit(name: str, trail: list[str]) -> None:
        for other in graph[name]:
            if other in trail:
                cycles.append([*trail[trail.index(other) :], other])
            elif len(trail) < 30:
                visit(other, [*trail, other])

    for name in graph:
        visit(name, [name])
    assert cycles == []


def test_no_module_is_over_400_lines():
    sources = [*_modules().values(), *(PROJECT_DIR / "tests").rglob("*.py")]
    long = {
        str(path.relative_to(PROJECT_DIR)): lines
        for path in sources
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_macro_file_is_over_150_lines():
    """The anchors' size (dbt-utils: at most 166 lines a file; dbt-external-tables: 107): a
    file holds one macro family, and a family that grows gets split by what its parts do."""
    long = {
        str(path.relative_to(PROJECT_DIR)): lines
        for path in (PROJECT_DIR / "macros").rglob("*.sql")
        if (lines := len(path.read_text().splitlines())) > MAX_MACRO_FILE_LINES
    }
    assert long == {}


# A macro's public name: not a dispatch variant (reached through adapter.dispatch) and not a
# private helper (leading underscore), which belong to the family of the macro they serve.
PRIVATE_MACRO = re.compile(r"^(_|(default|duckdb|redshift|postgres)__)")
MACRO = re.compile(r"^\{%-?\s*(?:macro|test|materialization)\s+(\w+)", re.M)
CONNECTIVES = {"sql", "create", "is", "the", "of", "in", "by", "to", "from"}


def _words(name: str) -> set[str]:
    """A name's words, plurals and participles folded (stream, streams, streaming)."""
    words = set()
    for word in name.split("_"):
        for suffix in ("ing", "ed", "s"):
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                word = word.removesuffix(suffix)
        words.add(word)
    return words - CONNECTIVES


def test_each_macro_file_holds_one_family():
    """A macro file is named for its one family: each public macro in it shares a word with
    the file's name (a materialization's adapter files, with its folder's)."""
    strays = []
    for path in sorted((PROJECT_DIR / "macros").rglob("*.sql")):
        family = _words(path.stem)
        if path.stem in ("default", "duckdb", "redshift"):
            family |= _words(path.parent.name)
        strays += [
            f"{path.relative_to(PROJECT_DIR)}: {name}"
            for name in MACRO.findall(path.read_text())
            if not PRIVATE_MACRO.match(name) and not _words(name) & family
        ]
    assert strays == []


@pytest.mark.parametrize("cli", ["producer/cli.py", "fraud_detection/cli.py"])
def test_command_handlers_are_thin(cli):
    source = (PROJECT_DIR / cli).read_text()
    handlers = set(re.findall(r"set_defaults\(handler=(\w+)\)", source))
    functions = {
        node.name: node.end_lineno - node.lineno + 1
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef)
    }
    assert handlers and handlers <= set(functions)
    assert {name: functions[name] for name in handlers if functions[name] > MAX_HANDLER_LINES} == {}


def test_benchmarks_never_import_the_tests():
    for path in (PROJECT_DIR / "bench").glob("*.py"):
        assert not any(i.split(".")[0] == "tests" for i in _imports(path)), path.name


def _project_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    suffixes = {".py", ".md", ".yml", ".yaml", ".sql", ".toml", ".js", ".in", ""}
    paths = [PROJECT_DIR / name for name in listed if Path(name).suffix in suffixes]
    return [path for path in paths if path.is_file() and "bench/results" not in str(path)]


def test_every_make_target_the_project_names_exists():
    makefile = (PROJECT_DIR / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    named = {
        (path.name, target)
        for path in _project_text_files()
        for target in re.findall(r"`make ([a-z][a-z-]*)", path.read_text(errors="replace"))
    }
    assert named and {(name, target) for name, target in named if target not in targets} == set()


def test_every_document_the_project_cites_is_in_the_repository():
    documents = {path.name for path in _project_text_files() if path.suffix == ".md"}
    cited = {
        (path.name, document)
        for path in [*_project_text_files(), PROJECT_DIR / ".sqlfluff"]
        for document in re.findall(r"\b([\w-]+\.md)\b", path.read_text(errors="replace"))
    }
    assert cited and {(name, doc) for name, doc in cited if doc not in documents} == set()
