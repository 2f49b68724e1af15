"""The conventions of DEVELOPERS.md that a reader of one file cannot see are broken: one
outcome helper, one vocabulary of capabilities, one importer skeleton, one-way imports
between domains, and test helpers in plain modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PANEL = ROOT / "panel"
TEMPLATES = ROOT / "templates"
TESTS = ROOT / "tests"

# The domains in the order they may depend on each other: each may import those before it
# (and the shared modules: panel.auth's permissions, panel.db, panel.mail, …).
LAYERS = ["areas", "signups", "meetings", "feedback", "motions"]
ROLE_LITERAL = re.compile(
    r"""Role\.(ADMIN|TEAM|CLERK)|\.role\s*(==|!=|in\b)|\brole\s*(==|!=)\s*["']""")


def _sources(pattern: str) -> list[Path]:
    return sorted(PANEL.glob(pattern))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_view_or_template_compares_roles() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{number}"
                 for path in [*_sources("*/views.py"), *TEMPLATES.rglob("*.html")]
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if ROLE_LITERAL.search(line)]
    assert offenders == []


def test_roles_are_named_only_where_they_are_defined() -> None:
    allowed = {PANEL / "auth" / "models.py", PANEL / "auth" / "permissions.py",
               PANEL / "auth" / "forms.py", PANEL / "demo" / "services.py"}
    offenders = [str(path.relative_to(ROOT)) for path in PANEL.rglob("*.py")
                 if path not in allowed
                 and re.search(r"Role\.(ADMIN|TEAM|CLERK)", path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_messages_are_flashed_only_through_the_outcome_helper() -> None:
    offenders = [str(path.relative_to(ROOT)) for path in PANEL.rglob("*.py")
                 if path.name != "outcome.py"
                 and re.search(r"\bflash\(", path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_views_catch_domain_errors_only_in_their_special_cases() -> None:
    counts = {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8").count(
        "except DomainError") for path in _sources("*/views.py")}
    assert sum(counts.values()) <= 8, counts


@pytest.mark.parametrize("domain", LAYERS)
def test_domains_import_only_the_domains_before_them(domain: str) -> None:
    later = {f"panel.{name}" for name in LAYERS[LAYERS.index(domain) + 1:]}
    later |= {"panel.api", "panel.residents", "panel.setup", "panel.worklist"}
    offenders = sorted(f"{path.relative_to(ROOT)}: {module}"
                       for path in (PANEL / domain).rglob("*.py")
                       for module in _imports(path)
                       if any(module == top or module.startswith(top + ".") for top in later))
    assert offenders == []


def test_imports_share_one_skeleton() -> None:
    importers = [path for path in PANEL.rglob("*.py")
                 if "read_table(" in path.read_text(encoding="utf-8")
                 and path.name not in ("importing.py", "tabular.py")]
    assert importers == [] or all(
        "Importer" in path.read_text(encoding="utf-8") for path in importers), importers


def test_no_test_imports_a_conftest() -> None:
    offenders = [str(path.relative_to(ROOT)) for path in TESTS.rglob("*.py")
                 if re.search(r"^from tests\S*conftest import", path.read_text(encoding="utf-8"),
                              re.M)]
    assert offenders == []


def test_no_test_sleeps() -> None:
    offenders = [str(path.relative_to(ROOT)) for path in TESTS.rglob("test_*.py")
                 if re.search(r"\btime\.sleep\(|^\s*sleep\(", path.read_text(encoding="utf-8"),
                              re.M)]
    assert offenders == []


def test_status_columns_are_compared_through_their_enums() -> None:
    literal = re.compile(r"""status\w*\s*(==|!=|\bin\b)\s*[\(\[]?\s*["'][a-z_]+["']""")
    offenders = [f"{path.relative_to(ROOT)}:{number}"
                 for path in [*PANEL.rglob("*.py"), *TEMPLATES.rglob("*.html")]
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if literal.search(line)]
    assert offenders == []
