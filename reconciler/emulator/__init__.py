"""A local OpenAI-compatible platform (WSGI app + SQLite). Imports nothing from reconciler."""
