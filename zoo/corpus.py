"""Unlabeled text for pretraining: every default dataset's training text in one language.

The ELMo-style biLM is pretrained once per language and biLM config, on the training
sentences (never dev or test) of all default datasets of that language (for translation,
the source side), and shared by every task, training size and seed: pretraining is the
costliest step of the ELMo family, and a language model learns more from 146k sentences of
three datasets than from the 2k tweets of one. The cache key is the corpus fingerprint (the
member datasets' fingerprints) with the biLM config, so new data or a resized biLM never
loads stale weights.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from zoo.data.catalog import list_datasets
from zoo.data.prepare import PreparedDataset
from zoo.errors import ConfigError

# One biLM per language and config: the seed of a cell does not reach its pretraining.
PRETRAIN_SEED = 0


@dataclass(frozen=True)
class PretrainCorpus:
    language: str
    members: tuple[str, ...]  # dataset names, sorted
    sentences: tuple[tuple[str, ...], ...]  # their training sentences, in member order
    fingerprint: str  # sha256 hex over "name=fingerprint" of each member


def corpus_members(language: str) -> tuple[str, ...]:
    names = sorted(card.name for card in list_datasets()
                   if card.default and card.language == language)
    if not names:
        raise ConfigError(f"no default dataset is in language {language!r}, so there is no "
                          "text to pretrain on; pick a dataset in a language the catalog has")
    return tuple(names)


def language_corpus(language: str, load: Callable[[str], PreparedDataset]) -> PretrainCorpus:
    """The pretraining corpus of `language`; `load(name)` prepares a dataset (from the cache
    when it is there)."""
    parts = [load(name) for name in corpus_members(language)]
    sentences = tuple(tuple(ex.tokens) for part in parts for ex in part.splits["train"])
    text = "|".join(f"{part.name}={part.fingerprint}" for part in parts)
    return PretrainCorpus(language, tuple(p.name for p in parts), sentences,
                          hashlib.sha256(text.encode()).hexdigest())


@dataclass(frozen=True)
class PretrainContext:
    """What a model with a `pretrain(ctx)` hook (e.g. the ELMo biLM) gets before training.

    `sentences` is unlabeled training text (never dev or test): in benchmark runs the
    language's pretraining corpus (zoo.corpus: every default dataset of the language,
    seed PRETRAIN_SEED), shared by every task, size and seed; in a bare `train_cell` call
    without a corpus, the dataset's own training split with the cell's seed. Cached under
    `cache_dir` by `data_fingerprint` (the corpus's) and seed.
    """

    sentences: tuple[tuple[str, ...], ...]
    cache_dir: Path
    data_fingerprint: str
    seed: int
    # TrainConfig.pretrain_*: a step budget (or, until converged, the step cap) and a
    # wall-clock safety cap; 0 = the model's own.
    max_seconds: float = 0.0
    max_steps: int = 0
    # TrainConfig.pretrain_until_converged / pretrain_patience: early stopping on held-out
    # perplexity instead of a budget; patience 0 = the model's own.
    until_converged: bool = False
    patience: int = 0
    eval_every: int = 0  # optimizer steps between held-out evaluations; 0 = the model's own


def run_pretrain_hook(model, data: PreparedDataset, work_dir: Path, seed: int,
                      max_seconds: float, corpus: Callable[[str], PretrainCorpus] | None,
                      max_steps: int = 0, *, until_converged: bool = False,
                      patience: int = 0):
    """Run the model's optional pretraining hook; returns (metrics, curves). The budget
    arguments are TrainConfig's pretrain_* fields."""
    hook = getattr(model, "pretrain", None)
    if hook is None:
        return {}, {}
    cache = work_dir.parent / "pretrained"
    if corpus is None:
        sentences = tuple(ex.tokens for ex in data.splits["train"])
        return hook(PretrainContext(sentences, cache, data.fingerprint, seed, max_seconds,
                                    max_steps, until_converged, patience))
    text = corpus(data.card.language)
    metrics, curves = hook(PretrainContext(text.sentences, cache, text.fingerprint,
                                           PRETRAIN_SEED, max_seconds, max_steps,
                                           until_converged, patience))
    return {**metrics, "pretrain/corpus_datasets": float(len(text.members))}, curves
