"""harness: how well does a vision-language model name what is in an ImageNet photo?

The public API is small on purpose: run an evaluation, parse answers, read label spaces, list tasks.
"""
__version__ = "0.1.0"

from harness.parse import ParseResult, Parser, parser_for  # noqa: E402
from harness.runner import RunOptions, rescore, run  # noqa: E402
from harness.tasks import Task, get_task, register_task  # noqa: E402
from harness.wordnet import LabelSpace, custom_space, label_space, wordnet  # noqa: E402

__all__ = ["__version__", "run", "RunOptions", "rescore", "Parser", "ParseResult", "parser_for",
           "Task", "get_task", "register_task", "LabelSpace", "label_space", "custom_space",
           "wordnet"]
