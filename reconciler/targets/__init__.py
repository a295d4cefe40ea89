"""One adapter per platform flavour behind the Target protocol; the only importer of openai/httpx2."""
