"""Pins the public API: a change to `reconciler.__all__` must be deliberate."""

import reconciler


def test_public_api_is_pinned() -> None:
    assert sorted(reconciler.__all__) == sorted(
        [
            "ConfigError",
            "ExitCode",
            "LockHeld",
            "ManifestError",
            "PermanentPlatformError",
            "PlatformError",
            "Problem",
            "ReconcilerError",
            "StalePlan",
            "StateError",
            "TemporaryPlatformError",
            "UserError",
            "__version__",
        ]
    )
    for name in reconciler.__all__:
        assert hasattr(reconciler, name), name
