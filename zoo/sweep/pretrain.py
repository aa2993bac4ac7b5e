"""The sweep's pretraining step: what the planned models pretrain (the ELMo biLM, once per
language and biLM config, on zoo.corpus's text), before or beside the cells that need none.

A cached biLM makes this a file read; a fully cached sweep starts no pretraining at all.
"""
from __future__ import annotations

import functools
import time
from collections.abc import Sequence

from zoo import home, tracking
from zoo.cells import CellSpec, ResolvedCell, pretrain_model
from zoo.models import get_entry
from zoo.sweep import workers
from zoo.sweep.datastore import prepared, pretrain_corpus


def may_pretrain(model: str) -> bool:
    """Only a float neural model can carry a pretrain hook (ONNX twins reuse its weights)."""
    entry = get_entry(model)
    return entry.kind == "neural" and entry.runtime == "torch"


def pending_pretraining(cells: Sequence[ResolvedCell], exp_id: str,
                        refresh: bool = False) -> list[CellSpec]:
    """The specs whose model may need the biLM and which will train (no FINISHED run of
    their key, or `refresh`): a fully cached sweep then starts no pretraining task, and no
    worker process (a spawn and a torch import, about 7 s of a cached quick re-run)."""
    done = set() if refresh else tracking.finished_cell_keys(exp_id)
    return [c.spec for c in cells if c.key not in done and may_pretrain(c.spec.model)]


def pretrain_here(cells: Sequence[CellSpec], mirror: str | None = None) -> list[dict]:
    """Pretrain, in this process, what the cells' models need; one row per model with a
    hook (its language, seconds and the hook's metrics)."""
    rows = []
    trainable = [s for s in cells if may_pretrain(s.model)]
    for model in dict.fromkeys(spec.model for spec in trainable):
        spec = next(s for s in trainable if s.model == model)
        data = prepared(spec.dataset, mirror)
        start = time.perf_counter()
        metrics = pretrain_model(spec, data, home.models_dir(),
                                 functools.partial(pretrain_corpus, mirror=mirror))
        if metrics is not None:
            rows.append({"model": model, "language": data.card.language,
                         "seconds": time.perf_counter() - start, **metrics})
    return rows


def run_pretraining(cells: Sequence[CellSpec], mirror: str | None = None) -> list[dict]:
    """`pretrain_here` in one worker process of the open pool (the other workers train the
    cells that need no pretraining meanwhile); here, on every core, without a pool."""
    return workers.run_in_worker("pretraining the biLM", "its cells pretrain on their own "
                                 "when they train", pretrain_here, list(cells), mirror)
