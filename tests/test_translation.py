"""Translation: decoders, greedy and beam search, the lexical baseline, BLEU on toy data."""
from __future__ import annotations

import dataclasses
import itertools
import math

import pytest
import torch

from tests.toy_data import TRANSLATION, info_for
from zoo.baselines.lexical import LexicalTranslator
from zoo.batching import Collator
from zoo.data.types import Example
from zoo.evaluate import evaluate
from zoo.heads.seq2seq import beam_search, greedy_search
from zoo.models import create_model
from zoo.train import seed_everything

TINY = ["tiny_seq2seq_lstm", "tiny_seq2seq_gru", "tiny_seq2seq_transformer"]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # Tiny tensors: a second intra-op thread only adds synchronisation on a busy machine.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _untrained(name: str, seed: int = 0, **decode):
    """An untrained tiny model (random outputs of every length) and a batch of toy sources."""
    seed_everything(seed)
    info = info_for("translation")
    model = create_model(name, info).eval()
    if decode:
        model.decode = dataclasses.replace(model.decode, **decode)
    collator = Collator("translation", info.vocab, info.labels, info.target_vocab)
    return model, collator(TRANSLATION)


def _logprob(model, ids, mask, seq: list[int], max_len: int) -> float:
    """Model score of one output: sum of log-probs, </s> included unless cut at max_len."""
    state = model.decoder.start(model.encoder(ids, mask), mask)
    inputs = [model.bos] + seq
    gold = seq + ([model.eos] if len(seq) < max_len else [])
    total = 0.0
    for prev, nxt in zip(inputs, gold):
        logp, state = model.decoder.step(torch.tensor([prev]), state)
        total += float(logp[0, nxt])
    return total


@pytest.mark.parametrize("name", TINY)
def test_step_by_step_decoding_matches_teacher_forcing(name):
    model, batch = _untrained(name)
    with torch.no_grad():
        forced = model.logits(batch).log_softmax(-1)  # (B, U, V)
        state = model.decoder.start(model.encoder(batch.ids, batch.mask), batch.mask)
        for t in range(batch.target.shape[1] - 1):
            logp, state = model.decoder.step(batch.target[:, t], state)  # (B, V)
            real = batch.target[:, t + 1] != 0
            torch.testing.assert_close(logp[real], forced[real, t], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", TINY)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_of_one_equals_greedy(name, seed):
    greedy_model, batch = _untrained(name, seed, strategy="greedy", beam_size=1)
    beam_model, _ = _untrained(name, seed, strategy="beam", beam_size=1)
    assert beam_model.predict(batch) == greedy_model.predict(batch)


@pytest.mark.parametrize("name", TINY)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_never_scores_below_greedy(name, seed):
    greedy_model, batch = _untrained(name, seed, strategy="greedy", beam_size=1)
    beam_model, _ = _untrained(name, seed, strategy="beam", beam_size=4, length_alpha=0.0)
    max_lens = greedy_model.decode.max_lens(batch.mask.sum(1)).tolist()
    with torch.no_grad():
        for i, (g, b) in enumerate(zip(greedy_model.predict(batch), beam_model.predict(batch))):
            ids, mask = batch.ids[i: i + 1], batch.mask[i: i + 1]
            assert (_logprob(beam_model, ids, mask, b, max_lens[i])
                    >= _logprob(beam_model, ids, mask, g, max_lens[i]) - 1e-5)


@pytest.mark.parametrize("name", TINY)
@pytest.mark.parametrize("strategy,beam", [("greedy", 1), ("beam", 3)])
def test_max_length_is_respected(name, strategy, beam):
    model, batch = _untrained(name, strategy=strategy, beam_size=beam, max_len_limit=3)
    outputs = model.predict(batch)
    assert all(len(seq) <= 3 for seq in outputs)
    model.decode = dataclasses.replace(model.decode, max_len_limit=100, max_len_a=1,
                                       max_len_b=0)
    for seq, length in zip(model.predict(batch), batch.mask.sum(1).tolist()):
        assert len(seq) <= length  # rule min(1 * src_len + 0, 100)
    assert {"decode_strategy", "beam_size", "max_len_rule"} <= set(model.describe())


class TableDecoder(torch.nn.Module):
    """A fake decoder whose next-token distribution depends only on the last token."""

    def __init__(self, probs: dict[int, dict[int, float]], vocab: int = 6):
        super().__init__()
        table = torch.full((vocab, vocab), 1e-6)
        for prev, row in probs.items():
            for tok, p in row.items():
                table[prev, tok] = p
        self.logp = table.log()  # (V, V)

    def step(self, tokens, state):
        return self.logp[tokens].clone(), state  # (N, V)


BOS, EOS, A, B = 2, 3, 4, 5


def test_beam_search_beats_greedy_on_a_garden_path():
    # Greedy takes "a" (0.55) and then wanders (0.34 per step); "b </s>" scores 0.45 * 0.99.
    decoder = TableDecoder({BOS: {A: 0.55, B: 0.45}, A: {A: 0.34, B: 0.33, EOS: 0.33},
                            B: {EOS: 0.99}})
    state = {"rows": torch.zeros(2, 1)}  # two identical sentences, different length limits
    max_lens = torch.tensor([4, 1])
    greedy = greedy_search(decoder, state, max_lens, bos=BOS, eos=EOS, banned=(0, BOS))
    beam = beam_search(decoder, state, max_lens, beam=2, bos=BOS, eos=EOS, alpha=0.0,
                       banned=(0, BOS))
    assert greedy == [[A, A, A, A], [A]]
    assert beam == [[B], [A]]  # with one token allowed, "a" (0.55) beats "b" (0.45)


def test_lexical_baseline_learns_a_toy_dictionary(tmp_path):
    model = LexicalTranslator()
    model.fit(TRANSLATION, TRANSLATION)
    assert model.dictionary == {"the": "el", "cat": "gato", "a": "un", "dog": "perro",
                                "runs": "corre"}
    assert model.predict([Example(("the", "cat", "runs"))]) == [("el", "gato", "corre")]
    model.save(tmp_path / "lexical.json")
    loaded = LexicalTranslator()
    loaded.load(tmp_path / "lexical.json")
    assert loaded.dictionary == model.dictionary and loaded.num_params() == 5


def test_lexical_output_drops_null_words_and_copies_unknown_ones():
    model = LexicalTranslator()
    model.dictionary = {"do": None, "cat": "gato"}
    assert model.predict([Example(("do", "cat", "zorro"))]) == [("gato", "zorro")]


def _toy_corpus() -> list[Example]:
    """Compositional 5-word sentences, long enough for 4-gram BLEU."""
    nouns = {"cat": "gato", "dog": "perro", "boy": "chico"}
    verbs = {"sees": "ve", "likes": "quiere", "finds": "encuentra"}
    return [Example(("the", s, v, "a", o), target=("el", nouns[s], verbs[v], "un", nouns[o]))
            for (s, v, o) in itertools.product(nouns, verbs, nouns)]


def test_bleu_of_the_lexical_baseline_on_toy_data():
    corpus = _toy_corpus()
    model = LexicalTranslator()
    model.fit(corpus, corpus)
    scores = evaluate("translation", corpus, model.predict(corpus), ci=False).values
    assert scores["bleu"] == pytest.approx(100.0) and scores["chrf"] == pytest.approx(100.0)
    copied = evaluate("translation", corpus, [ex.tokens for ex in corpus], ci=False).values
    assert copied["bleu"] < 10.0 and math.isfinite(copied["chrf"])
