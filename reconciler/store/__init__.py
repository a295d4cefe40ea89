"""State stores (SQLite default, PostgreSQL): inventory, fingerprints, journal, releases and locks."""
