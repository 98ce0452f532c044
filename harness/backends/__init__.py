"""Model backends: an OpenAI-compatible client (vLLM or any server) and a server launcher."""
from harness.backends.openai_backend import BackendError, OpenAIBackend

__all__ = ["BackendError", "OpenAIBackend"]
