"""The small API an application imports: which assistant version serves this thread."""

from __future__ import annotations
