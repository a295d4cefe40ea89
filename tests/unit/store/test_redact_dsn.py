"""How the PostgreSQL store shows its DSN in messages: the password blanked, everything else as written."""

from __future__ import annotations

import pytest

postgres = pytest.importorskip("reconciler.store.postgres")


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql:///reconcile", "postgresql:///reconcile"),  # no host: the `//` stays
        ("postgresql://ana:s3cret@db:5432/rc", "postgresql://ana:***@db:5432/rc"),
        ("postgresql:///rc?password=s3cret&sslmode=require", "postgresql:///rc?password=***&sslmode=require"),
        (
            "postgresql://ana@db/rc?options=-csearch_path%3Dx",
            "postgresql://ana@db/rc?options=-csearch_path%3Dx",
        ),
    ],
)
def test_the_dsn_is_shown_as_written_but_for_its_password(dsn: str, shown: str) -> None:
    assert postgres.redact_dsn(dsn) == shown
