"""Backends: where answers come from (OpenAI-compatible servers, in-process models, classifiers)."""
