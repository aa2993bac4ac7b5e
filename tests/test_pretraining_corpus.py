"""The biLM pretraining corpus: one per language, every default dataset's train split."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from zoo.corpus import PRETRAIN_SEED, corpus_members, language_corpus, run_pretrain_hook
from zoo.data.catalog import list_datasets
from zoo.data.types import Example
from zoo.errors import ConfigError


def _fake(name: str, n: int):
    splits = {split: tuple(Example(tokens=(f"{name}-{split}-{i}",), label="x")
                           for i in range(n)) for split in ("train", "dev", "test")}
    return SimpleNamespace(name=name, fingerprint=f"fp-{name}", splits=splits,
                           card=SimpleNamespace(language="en"))


def test_english_corpus_is_every_default_dataset_and_train_only():
    defaults = {c.name for c in list_datasets(default_only=True) if c.language == "en"}
    assert set(corpus_members("en")) == defaults == {"mr", "wnut16", "tatoeba-en-es"}
    loaded = []
    corpus = language_corpus("en", lambda name: loaded.append(name) or _fake(name, 3))
    assert sorted(loaded) == sorted(defaults)
    words = {tok for sent in corpus.sentences for tok in sent}
    assert len(corpus.sentences) == 3 * len(defaults)
    assert all("-train-" in w for w in words)  # never dev or test
    again = language_corpus("en", lambda name: _fake(name, 3))
    assert again.fingerprint == corpus.fingerprint
    changed = language_corpus("en", lambda name: _fake(name, 3) if name != "mr" else
                              SimpleNamespace(**{**vars(_fake(name, 3)), "fingerprint": "new"}))
    assert changed.fingerprint != corpus.fingerprint


def test_a_language_without_default_data_is_refused():
    with pytest.raises(ConfigError, match="no default dataset is in language 'xx'"):
        corpus_members("xx")


def test_pretraining_context_is_the_language_corpus_and_one_seed(tmp_path):
    """Every dataset and seed of a language gets the same context: one cached biLM."""
    seen = []

    class Hooked:
        def pretrain(self, ctx):
            seen.append(ctx)
            return {"pretrain/perplexity": 1.0}, {}

    corpus = language_corpus("en", lambda name: _fake(name, 2))
    for data, seed in ((_fake("mr", 5), 1), (_fake("wnut16", 5), 2)):
        metrics, _ = run_pretrain_hook(Hooked(), data, Path(tmp_path) / "models", seed, 0.0,
                               lambda lang: corpus)
        assert metrics["pretrain/corpus_datasets"] == 3.0
    assert len({(c.data_fingerprint, c.seed, c.sentences) for c in seen}) == 1
    assert seen[0].seed == PRETRAIN_SEED and seen[0].data_fingerprint == corpus.fingerprint
    # Without a corpus (a bare train_cell call) the dataset's own text and the cell's seed.
    run_pretrain_hook(Hooked(), _fake("mr", 5), Path(tmp_path) / "models", 7, 0.0, None)
    assert seen[-1].seed == 7 and seen[-1].data_fingerprint == "fp-mr"
