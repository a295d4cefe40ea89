"""Thin facade wiring the layers for the CLI and for library users: load, plan, apply, rollback."""

from __future__ import annotations
