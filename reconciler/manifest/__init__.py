"""YAML manifests to desired state: safe loading with locations, validation, references and lint."""
