"""The `python` escape hatch of an upcast: `package.module:function` imported from the project root, only
when conversations are migrated: `reconcile conversations migrate plan` (its dry run upcasts every call)
and `run`. `validate` and `plan` never import it, so a manifest in a pull request runs no code there; a
CI job that runs `migrate plan` on a pull request runs that pull request's Python. The root is on the
import path only for that import, and a module that resolves outside the root (an installed package of
the same name, the standard library, a package linked to a folder elsewhere) is refused before it runs.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from reconciler.errors import UserError
from reconciler.model.upcasts import PYTHON_REF_PATTERN
from reconciler.threads.upcast import Function

__all__ = ["PythonStepError", "project_loader"]


class PythonStepError(UserError):
    """A python step's function cannot be used: not under the project root, not importable, not callable."""


def project_loader(root: Path) -> Callable[[str], Function]:
    """A `load_python` for `threads.upcast` that imports from `root`."""
    real_root = os.path.realpath(root)

    def load(ref: str) -> Function:
        if re.fullmatch(PYTHON_REF_PATTERN, ref) is None:
            raise PythonStepError(f"{ref!r} is not a python step: write package.module:function")
        module_name, _, function_name = ref.partition(":")
        _refuse_outside(ref, module_name, real_root)
        sys.path.insert(0, real_root)
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # the user's module: any failure to import is theirs to fix
            raise PythonStepError(
                f"{ref}: cannot import {module_name}: {type(error).__name__}: {error}"
            ) from error
        finally:
            sys.path.remove(real_root)
        _refuse_outside(ref, module_name, real_root)
        function = getattr(module, function_name, None)
        if not callable(function):
            raise PythonStepError(f"{ref}: {module_name} has no function {function_name}")
        loaded: Function = function
        return loaded

    return load


def _refuse_outside(ref: str, module_name: str, real_root: str) -> None:
    """Refuse a module (or one of its packages) already imported from elsewhere, or one whose file is not
    under the root: importing it would run code the project does not hold."""
    parts = module_name.split(".")
    for depth in range(1, len(parts) + 1):
        name = ".".join(parts[:depth])
        module = sys.modules.get(name)
        if module is None:
            if depth == 1 and not _under_root(real_root, parts[0]):
                raise PythonStepError(f"{ref}: no package {parts[0]} under the project root {real_root}")
            continue
        file = getattr(module, "__file__", None)
        if file is None or os.path.commonpath([os.path.realpath(file), real_root]) != real_root:
            where = file or "a built-in module"
            raise PythonStepError(f"{ref}: {name} resolves outside the project root ({where}); refused")


def _under_root(real_root: str, package: str) -> bool:
    """The package (or module) is a file under the root once every link is followed: a package that is a
    symlink to a folder outside would otherwise be imported (its code run) before the check after the
    import refused it."""
    base = os.path.join(real_root, package)
    for candidate in (os.path.join(base, "__init__.py"), base + ".py"):
        if os.path.isfile(candidate):
            return os.path.commonpath([os.path.realpath(candidate), real_root]) == real_root
    return False
