"""Thread registry and migration of conversations between assistant versions."""
