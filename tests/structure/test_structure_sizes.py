"""Module sizes: none over 400 lines; a module over 300 lines says why in its docstring
(a paragraph starting ``Size:``)."""

from __future__ import annotations

import ast
from pathlib import Path

import spinelift

PACKAGE = Path(spinelift.__file__).parent
CHECKED_AT_300 = [PACKAGE]


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_over_400_lines() -> None:
    over = {
        str(p.relative_to(PACKAGE)): _lines(p) for p in PACKAGE.rglob("*.py") if _lines(p) > 400
    }
    assert over == {}


def test_a_module_over_300_lines_says_why() -> None:
    paths = [
        p for root in CHECKED_AT_300 for p in ([root] if root.is_file() else root.rglob("*.py"))
    ]
    assert len(paths) > 100  # the package was found
    unexplained = []
    for path in paths:
        if _lines(path) > 300:
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
            if "\nSize: " not in doc:
                unexplained.append(str(path.relative_to(PACKAGE)))
    assert unexplained == []
