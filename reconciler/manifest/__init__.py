"""YAML manifests to desired state: safe loading with locations, validation, references and lint."""

from __future__ import annotations

from reconciler.manifest.validate import Project, ValidationReport, load_project, validate_project

__all__ = ["Project", "ValidationReport", "load_project", "validate_project"]
