"""Imports every command module so that each registers itself on the `cli` group."""

from __future__ import annotations
