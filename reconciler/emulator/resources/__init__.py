"""Endpoint families of the emulator. Each module registers its routes on the router."""

from __future__ import annotations

import importlib

from reconciler.emulator.router import Router

# Modules are registered in this order; a family that is not written yet is simply absent.
FAMILIES = (
    "assistants",
    "files",
    "vector_stores",
    "vector_store_files",
    "file_batches",
    "threads",
    "runs",
    "conversations",
    "responses",
    "agents",
    "admin",
    "costs",
)


def register_all(router: Router) -> None:
    for family in FAMILIES:
        try:
            module = importlib.import_module(f"{__name__}.{family}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{family}":
                raise
            continue
        module.register(router)
