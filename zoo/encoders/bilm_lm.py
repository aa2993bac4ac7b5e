"""The ELMo biLM as a language model: its output vocabulary, the output layer (sampled
softmax while training, as in ELMo), the corpus as ids, the summed forward and backward NLL
of a batch and the full-softmax perplexity. zoo/encoders/bilm_training.py trains with
them.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from allennlp_light.modules.sampled_softmax_loss import SampledSoftmaxLoss
from torch import nn
from torch.nn import functional as F

from zoo.data.vocab import PAD, UNK
from zoo.encoders.chars import char_table
from zoo.encoders.elmo import BiLM, encode_ids

EOS_ID, BOS_ID, UNK_ID = 0, 1, 2  # LM output ids; frequent ids first (log-uniform sampler)


def build_lm_vocab(sentences: Sequence[Sequence[str]], max_size: int) -> list[str]:
    """Output words of the LM, most frequent first (the sampler assumes Zipfian order)."""
    counts = Counter(tok for sent in sentences for tok in sent)
    words = sorted((w for w in counts if w not in ("</s>", "<s>", UNK)),
                   key=lambda w: (-counts[w], w))
    return ["</s>", "<s>", UNK] + words[: max(0, max_size - 3)]


class LMHead(nn.Module):
    """Softmax over the LM vocabulary, tied between directions as in ELMo; sampled softmax
    while training when the vocabulary is much larger than the number of samples."""

    def __init__(self, vocab_size: int, dim: int, samples: int):
        super().__init__()
        self.sampled = vocab_size > 4 * samples
        self.softmax = SampledSoftmaxLoss(vocab_size, dim, max(1, min(samples, vocab_size - 1)))

    def nll(self, states: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Summed negative log-likelihood of (N,) targets given (N, P) states."""
        if self.training and self.sampled:
            return self.softmax(states, targets)
        logits = F.linear(states, self.softmax.softmax_w, self.softmax.softmax_b)  # (N, V)
        return F.cross_entropy(logits, targets, reduction="sum")


@dataclass
class LMCorpus:
    """Sentences as (word-type ids, LM output ids); characters of every word type in `chars`."""

    chars: torch.Tensor  # (N_types, C), on the device the biLM runs on
    rows: list[tuple[list[int], list[int]]]


def build_corpus(sentences: Sequence[Sequence[str]], lm_itos: list[str],
                 max_chars: int) -> LMCorpus:
    types = [PAD] + sorted({tok for sent in sentences for tok in sent} - {PAD})
    type_id = {t: i for i, t in enumerate(types)}
    lm_id = {w: i for i, w in enumerate(lm_itos)}
    rows = [([type_id[t] for t in s], [lm_id.get(t, UNK_ID) for t in s]) for s in sentences]
    return LMCorpus(char_table(types, max_chars), rows)


def _pad(rows: Sequence[list[int]]) -> torch.Tensor:
    out = torch.zeros(len(rows), max(len(r) for r in rows), dtype=torch.long)  # (B, T)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row)
    return out


def lm_nll(bilm: BiLM, head: LMHead, corpus: LMCorpus,
           rows: Sequence[tuple[list[int], list[int]]]) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Summed NLL of the forward LM (next word, </s> last) and the backward LM (previous
    word, <s> first) on a batch of sentences; returns (fwd, bwd, tokens)."""
    device = corpus.chars.device  # the batch goes where the biLM and its char table are
    type_ids = _pad([r[0] for r in rows]).to(device)  # (B, T)
    lm_ids = _pad([r[1] for r in rows]).to(device)  # (B, T)
    mask = type_ids > 0  # (B, T)
    lengths = mask.sum(1)  # (B,)
    top = bilm.dropout(encode_ids(bilm, corpus.chars, type_ids, mask)[-1])  # (B, T, 2P)
    fwd, bwd = top.split(bilm.cfg.proj, dim=-1)  # 2 x (B, T, P)
    next_word = torch.full_like(lm_ids, EOS_ID)  # (B, T)
    next_word[:, :-1] = lm_ids[:, 1:]
    next_word[torch.arange(len(rows), device=device), lengths - 1] = EOS_ID
    prev_word = torch.full_like(lm_ids, BOS_ID)  # (B, T)
    prev_word[:, 1:] = lm_ids[:, :-1]
    return (head.nll(fwd[mask], next_word[mask]), head.nll(bwd[mask], prev_word[mask]),
            int(mask.sum()))


@torch.no_grad()
def perplexity(bilm: BiLM, head: LMHead, corpus: LMCorpus,
               rows: Sequence[tuple[list[int], list[int]]]) -> tuple[float, float, float]:
    """Full-softmax perplexity: (geometric mean of both directions, forward, backward)."""
    bilm.eval(), head.eval()
    nf = nb = 0.0
    tokens = 0
    for k in range(0, len(rows), 128):
        f, b, n = lm_nll(bilm, head, corpus, rows[k: k + 128])
        nf, nb, tokens = nf + float(f), nb + float(b), tokens + n
    tokens = max(tokens, 1)
    return (math.exp((nf + nb) / (2 * tokens)), math.exp(nf / tokens), math.exp(nb / tokens))
