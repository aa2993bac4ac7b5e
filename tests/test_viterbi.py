"""The batched NumPy Viterbi finds allennlp-light's paths, and is what the CRF head decodes with."""
from __future__ import annotations

import torch
from allennlp_light.modules.conditional_random_field.conditional_random_field import (
    ConditionalRandomField,
    allowed_transitions,
)

from zoo.heads.tagging import CrfTagHead
from zoo.heads.viterbi import crf_potentials, viterbi_paths

TAGS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG")


def _crf(constrained: bool, start_end: bool) -> ConditionalRandomField:
    constraints = allowed_transitions("BIO", dict(enumerate(TAGS))) if constrained else None
    crf = ConditionalRandomField(len(TAGS), constraints=constraints,
                                 include_start_end_transitions=start_end)
    with torch.no_grad():  # trained-looking potentials, not the init's near-zero ones
        crf.transitions.normal_(0, 2)
        if start_end:
            crf.start_transitions.normal_(0, 2)
            crf.end_transitions.normal_(0, 2)
    return crf


def crf_decode(crf: ConditionalRandomField, logits: torch.Tensor,
               mask: torch.Tensor) -> list[list[int]]:
    """The batched Viterbi over `crf`'s potentials, as CrfTagHead.decode calls it."""
    return viterbi_paths(logits.numpy(), mask.sum(1).numpy(), *crf_potentials(crf))


def _ragged_batch(gen: torch.Generator, batch: int, steps: int):
    logits = torch.randn(batch, steps, len(TAGS), generator=gen) * 3  # (B, T, K)
    lengths = torch.randint(1, steps + 1, (batch,), generator=gen)
    lengths[0] = steps  # one full row, one of length 1
    lengths[-1] = 1
    mask = torch.arange(steps)[None, :] < lengths[:, None]  # (B, T)
    return logits, mask


def test_paths_equal_allennlp_viterbi_tags_path_for_path():
    gen = torch.Generator().manual_seed(0)
    compared = 0
    for constrained in (True, False):
        for start_end in (True, False):
            torch.manual_seed(compared)
            crf = _crf(constrained, start_end)
            for steps in (1, 2, 7, 30):
                logits, mask = _ragged_batch(gen, 9, steps)
                expected = [path for path, _ in crf.viterbi_tags(logits, mask)]
                assert crf_decode(crf, logits, mask) == expected
                compared += len(expected)
    assert compared == 4 * 4 * 9


def test_constrained_paths_never_start_an_entity_with_i():
    torch.manual_seed(1)
    crf = _crf(constrained=True, start_end=True)
    logits, mask = _ragged_batch(torch.Generator().manual_seed(1), 16, 12)
    logits[:, :, TAGS.index("I-PER")] += 20.0  # the emissions all but demand I-PER
    for path in crf_decode(crf, logits, mask):
        tags = [TAGS[i] for i in path]
        assert tags[0] != "I-PER"
        for prev, tag in zip(tags, tags[1:]):
            assert not tag.startswith("I-") or prev[2:] == tag[2:]


def test_crf_head_decodes_with_the_batched_viterbi():
    torch.manual_seed(2)
    head = CrfTagHead(8, TAGS).eval()
    states = torch.randn(5, 11, 8)  # (B, T, D)
    mask = torch.arange(11)[None, :] < torch.tensor([11, 3, 7, 1, 9])[:, None]
    expected = [p for p, _ in head.crf.viterbi_tags(head.out(states), mask)]
    with torch.no_grad():
        assert head.decode(states, mask) == expected
    assert [len(p) for p in expected] == [11, 3, 7, 1, 9]


def test_crf_head_rereads_its_potentials_after_an_update():
    torch.manual_seed(3)
    head = CrfTagHead(8, TAGS).eval()
    states = torch.randn(4, 9, 8)  # (B, T, D)
    mask = torch.ones(4, 9, dtype=torch.bool)
    with torch.no_grad():
        head.decode(states, mask)  # caches the potentials
        head.crf.transitions.normal_(0, 5)  # in place, as an optimizer step is
        expected = [p for p, _ in head.crf.viterbi_tags(head.out(states), mask)]
        assert head.decode(states, mask) == expected
