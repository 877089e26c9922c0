"""The error tree of :mod:`spinelift.errors` is closed: every exception class of the
package derives from :class:`~spinelift.errors.SpineLiftError`, every code has one class
(in ``errors.py``) and the tree drawn in its docstring names them all."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import spinelift
from spinelift import errors
from spinelift.errors import SpineLiftError

# a process exit, not an error: argparse's contract is a SystemExit (cli/main.py)
NOT_ERRORS = {"spinelift.cli.main._UsageError"}
# importing these does the work (alembic scripts; the worker's broker needs Redis): they
# define no exception class
ENTRY_POINTS = {"spinelift.jobs.mesh.worker_entry"}


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(spinelift.__path__, "spinelift."):
        if ".migrations" in info.name or info.name in ENTRY_POINTS:
            continue
        names.append(info.name)
    return names


def _exception_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for name in _modules():
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__.startswith("spinelift"):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


def test_every_exception_class_of_the_package_is_in_the_tree() -> None:
    classes = _exception_classes()
    outside = sorted(
        f"{c.__module__}.{c.__qualname__}"
        for c in classes
        if not issubclass(c, SpineLiftError)
        and f"{c.__module__}.{c.__qualname__}" not in NOT_ERRORS
    )
    assert len(classes) > 40  # the walk found the package's classes
    assert outside == []


def test_a_class_with_a_code_of_its_own_lives_in_errors_py_and_each_code_has_one() -> None:
    owners: dict[str, str] = {}
    for cls in _exception_classes():
        if not issubclass(cls, SpineLiftError) or "code" not in vars(cls):
            continue
        where = f"{cls.__module__}.{cls.__qualname__}"
        assert cls.__module__ == "spinelift.errors", where
        assert cls.code not in owners, (cls.code, owners.get(cls.code), where)
        owners[cls.code] = where


def test_the_drawn_tree_names_every_class_and_code() -> None:
    drawn = errors.__doc__ or ""
    for cls in _exception_classes():
        if not issubclass(cls, SpineLiftError):
            continue
        if cls.__module__ == "spinelift.errors":
            assert f"{cls.__name__} " in drawn and cls.code in drawn, cls.__name__
        else:  # a case of its parent, drawn in parentheses with its module
            module = cls.__module__.removeprefix("spinelift.")
            assert f"({cls.__name__})" in drawn and module in drawn, cls.__name__


def test_a_job_error_body_is_the_class_s_body() -> None:
    error = errors.JobTimeoutError("the worker was lost 5 times", details={"attempts": 5})
    assert error.body() == {
        "code": "JOB_TIMEOUT",
        "message": "the worker was lost 5 times",
        "details": {"attempts": 5},
    }
    assert error.to_dict() == {"error": error.body()}
