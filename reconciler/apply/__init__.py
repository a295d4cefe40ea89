"""The executor: walks a plan's stages with retries, pacing and a journal so reruns resume."""
