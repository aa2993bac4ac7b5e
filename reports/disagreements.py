"""A few test examples where the two best models disagree, with the gold answer and each
model's output, so a reader sees what the metric counts: pure functions.

Drawn from the short examples each cell keeps the text of (zoo.example_log's pool, the same
for every model of a test set), one seed run per model (the run the report would register),
with a fixed seed: the same store gives the same examples. The text is the dataset's own and
reaches the page as plain text (autoescaped HTML, escaped Markdown).
"""
from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SHOWN = 3
SEED = 27


@dataclass(frozen=True)
class Output:
    model: str
    text: str
    correct: bool | None  # equals the gold answer; None for translation (no exact answer)


@dataclass(frozen=True)
class Disagreement:
    text: str  # the input (the source sentence for translation)
    gold: str
    outputs: tuple[Output, ...]


def entities_text(tokens: Sequence[str], spans, types: Sequence[str]) -> str:
    """'Paris (LOC); New York Times (ORG)', or 'no entity'."""
    found = [f"{' '.join(tokens[s:e])} ({types[t]})" for t, s, e, *_ in spans]
    return "; ".join(found) or "no entity"


def _answers(task: str, records: Mapping) -> dict[int, tuple[str, str]]:
    """Pool position -> (gold answer, this model's output) as display text."""
    pool, tokens = records["pool"], records["tokens"]
    if task == "sentiment":
        labels = records["labels"]
        return {j: (labels[records["gold"][i]], labels[records["pred"][i]])
                for j, i in enumerate(pool)}
    if task == "ner":
        types = records["types"]
        return {j: (entities_text(tokens[j], records["gold"][i], types),
                    entities_text(tokens[j], records["pred"][i], types))
                for j, i in enumerate(pool)}
    return {j: (records["ref"][j], records["hyp"][j]) for j in range(len(pool))}


def disagreements(task: str, models: Sequence[str], records: Sequence[Mapping],
                  shown: int = SHOWN, seed: int = SEED) -> list[Disagreement]:
    """`models` (the two best) and one run's records each. Nothing when the two kept
    different examples (different test sets) or agree on every kept one."""
    if len(records) < 2 or records[0]["pool"] != records[1]["pool"]:
        return []
    answers = [_answers(task, r) for r in records[:2]]
    differ = [j for j in answers[0] if answers[0][j][1] != answers[1][j][1]]
    chosen = sorted(random.Random(seed).sample(differ, min(shown, len(differ))))
    exact = task != "translation"
    return [Disagreement(
        " ".join(records[0]["tokens"][j]), answers[0][j][0],
        tuple(Output(model, a[j][1], a[j][1] == a[j][0] if exact else None)
              for model, a in zip(models, answers))) for j in chosen]
