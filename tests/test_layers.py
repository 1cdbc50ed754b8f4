"""The import rules of the architecture: each layer imports only the layers listed above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

APP_PACKAGES = {
    "money",
    "i18n",
    "ponto",
    "matching",
    "invoices",
    "storage",
    "worker",
    "bot",
    "web",
    "sandbox",
    "migrations",
}
OUTSIDE = {"tests", "bench", "harness"}  # drive the product from outside; nothing of the app imports them
# package -> app packages and third-party libraries it must not import
FORBIDDEN: dict[str, set[str]] = {
    "money": APP_PACKAGES - {"money"} | OUTSIDE | {"httpx", "sqlalchemy", "slack_sdk", "slack_bolt", "starlette"},
    "i18n": APP_PACKAGES - {"i18n"} | OUTSIDE | {"httpx", "sqlalchemy", "slack_sdk", "slack_bolt", "starlette"},
    "ponto": APP_PACKAGES - {"ponto", "money"} | OUTSIDE | {"sqlalchemy", "slack_sdk", "slack_bolt", "starlette"},
    "matching": APP_PACKAGES - {"matching"} | OUTSIDE | {"httpx", "sqlalchemy", "slack_sdk", "slack_bolt", "starlette"},
    "invoices": APP_PACKAGES - {"invoices", "money", "matching"}
    | OUTSIDE
    | {"httpx", "sqlalchemy", "slack_sdk", "starlette"},
    "storage": {"worker", "bot", "web", "sandbox", "slack_sdk", "slack_bolt", "starlette", "httpx"} | OUTSIDE,
    "worker": {"bot", "web", "sandbox", "slack_sdk", "slack_bolt", "starlette"} | OUTSIDE,
    "bot": {"web", "sandbox", "starlette"} | OUTSIDE,
    "web": OUTSIDE,
    "sandbox": APP_PACKAGES - {"sandbox"} | OUTSIDE,
    "migrations": APP_PACKAGES - {"migrations", "storage"} | OUTSIDE,
    "harness": {"tests", "bench"},
    "bench": {"tests"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    offences = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in imported_roots(path) & FORBIDDEN[package]
    }
    assert not offences, sorted(offences)


def test_the_checker_sees_imports() -> None:
    """Guard against a checker that passes because it reads nothing."""
    assert {"httpx", "json"} <= imported_roots(ROOT / "ponto" / "http.py")
    assert "storage" in imported_roots(ROOT / "worker" / "sync.py")
    assert "harness" in imported_roots(ROOT / "bench" / "sync_latency.py")
