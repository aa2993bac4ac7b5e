"""Prepared data for the sweep's steps, parsed once per process.

The sweep's prepare step calls `load_data` once per dataset; the train and measure steps of
every cell, and each worker process, read it back through `prepared` (issue 12: a dataset is
parsed once per sweep, not three times per cell). The workers below the run step get it from
here, never from the step above them.
"""
from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path

from zoo import home
from zoo.cells import CellSpec, ResolvedCell, resolve_cell
from zoo.corpus import PretrainCorpus, language_corpus
from zoo.data import PreparedDataset, prepare_dataset

_prepared: dict[tuple[str, str | None, str], PreparedDataset] = {}  # see `prepared`
_prepared_lock = threading.Lock()


def load_data(name: str, mirror: str | None = None, refresh: bool = False) -> PreparedDataset:
    """Prepare the dataset (a read of the prepared cache when it is there) and remember it
    for `prepared`: the sweep's prepare step calls this once per dataset."""
    data = prepare_dataset(name, cache_dir=home.data_cache_dir(),
                           mirror=Path(mirror) if mirror else None, refresh=refresh)
    with _prepared_lock:
        _prepared[(name, mirror, str(home.data_cache_dir()))] = data
    return data


def prepared(name: str, mirror: str | None = None) -> PreparedDataset:
    """The dataset as this process last prepared it, else prepared now. A sweep's prepare
    step re-reads it, so a changed user file is seen by the next sweep in the same process."""
    with _prepared_lock:
        data = _prepared.get((name, mirror, str(home.data_cache_dir())))
    return data if data is not None else load_data(name, mirror)


def resolve_cells(cells: Sequence[CellSpec], mirror: str | None = None) -> list[ResolvedCell]:
    """Each planned cell resolved once (config, data fingerprint, cache key), after its
    dataset is prepared; every later step takes these and recomputes nothing."""
    return [resolve_cell(spec, prepared(spec.dataset, mirror).fingerprint) for spec in cells]


@functools.lru_cache(maxsize=4)
def pretrain_corpus(language: str, mirror: str | None = None) -> PretrainCorpus:
    """The language's pretraining corpus (zoo.corpus), loaded once per process."""
    return language_corpus(language, lambda name: prepared(name, mirror))
