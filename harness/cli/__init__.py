"""The command line: the only layer that prints."""
from harness.cli.main import main

__all__ = ["main"]
