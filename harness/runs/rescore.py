"""`harness score RUN`: re-parse and re-score a saved run without calling any model.

Takes the run dir's lock, so a run still being written is refused instead of having its
samples.jsonl replaced under the writer (which would lose the lines it appends meanwhile).
"""
from __future__ import annotations

from harness.parse.parser import Parser, parser_for
from harness.prompts.choices import read_choice
from harness.runs.plan import space_of
from harness.runs.run import finalize
from harness.scoring.score import class_result, score
from harness.scoring.record import SampleRecord
from harness.store import RunDir
from harness.wordnet import LabelSpace


def rescore(rundir: RunDir) -> dict:
    """Rewrites samples.jsonl and results.json; returns results.json's content."""
    m = rundir.manifest()
    with rundir.lock():
        space = space_of(m)
        parser = parser_for(space)
        records = rundir.read_records()
        classifier = m.backend == "hf-classifier"
        for rec in records:
            for k, v in scored_fields(rec, parser, space, classifier).items():
                setattr(rec, k, v)
        rundir.rewrite_samples(records)
        return finalize(rundir)


def scored_fields(rec: SampleRecord, parser: Parser, space: LabelSpace,
                  classifier: bool) -> dict:
    """What the scorer says of a record's answer now ({} for failed samples, which keep their
    error fields): used by `harness score`, and by the leaderboard to check that no record's
    `correct` was set by hand."""
    if rec.error is not None:
        return {}
    text = rec.response or ""
    if classifier:
        pred = class_result(rec.pred_wnid or "", space)
    elif rec.options:
        pred = read_choice(text, rec.options, parser)
    else:
        pred = parser.parse(text)
    return score(rec.gold_wnid, text, pred, space, contains_rule=not classifier)
