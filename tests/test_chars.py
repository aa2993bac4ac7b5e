"""Character features: the collator reads each token's own bytes, the char CNN turns them into
word features, and a model that needs them says so when a batch lacks them."""
from __future__ import annotations

import pytest
import torch

from tests.toy_data import info_for
from zoo.batching import Collator, collator_for
from zoo.data.types import Example
from zoo.data.vocab import UNK
from zoo.encoders.chars import CharCnn, char_ids
from zoo.models import create_model


def test_collator_builds_chars_from_the_tokens_so_an_unseen_word_keeps_its_spelling():
    info = info_for("ner")
    collator = Collator("ner", info.vocab, info.labels, max_len=3, max_chars=8)
    unseen = Example(tokens=("@zqxj", "the"), tags=("O", "O"))
    long = Example(tokens=("a", "b", "c", "d"), tags=("O",) * 4)
    batch = collator([unseen, long])  # (B, T, C); training batches cut to max_len
    assert batch.chars.shape == (2, 3, 8)
    assert batch.ids[0, 0] == info.vocab.id(UNK)
    assert batch.chars[0, 0].tolist() == char_ids("@zqxj", 8)
    assert batch.chars[0, 2].tolist() == [0] * 8  # padding position
    whole = collator([long], with_gold=False)  # prediction reads every token
    assert whole.chars.shape == (1, 4, 8) and whole.chars[0, 3].tolist() == char_ids("d", 8)
    assert Collator("ner", info.vocab, info.labels)([unseen]).chars is None


def test_char_cnn_gives_one_vector_per_spelling_and_zero_at_padding():
    torch.manual_seed(0)
    cnn = CharCnn(max_chars=8, char_dim=4, filters=5, dropout=0.0).eval()
    word, other = char_ids("Ohio", 8), char_ids("ohio", 8)
    chars = torch.tensor([[word, other, [0] * 8], [other, word, word]])  # (B=2, T=3, C=8)
    feats = cnn(chars)  # (2, 3, 5)
    assert feats.shape == (2, 3, 5)
    assert torch.equal(feats[0, 2], torch.zeros(5))
    assert torch.allclose(feats[0, 0], feats[1, 1]) and torch.allclose(feats[0, 0], feats[1, 2])
    assert not torch.allclose(feats[0, 0], feats[0, 1])  # case is visible


def test_bilstm_crf_reads_characters_and_says_so_when_a_batch_has_none():
    info = info_for("ner")
    model = create_model("tiny_bilstm_crf", info).eval()
    assert model.max_chars == 12 and collator_for(model, info, 16).max_chars == 12
    examples = [Example(tokens=("the", word), tags=("O", "O")) for word in ("zqxj", "Ohio")]
    batches = [collator_for(model, info, 16)([ex], with_gold=False) for ex in examples]
    assert torch.equal(batches[0].ids, batches[1].ids)  # both unseen: <unk>
    assert not torch.equal(model(batches[0].ids, batches[0].mask, batches[0].chars),
                           model(batches[1].ids, batches[1].mask, batches[1].chars))
    plain = Collator("ner", info.vocab, info.labels)(examples)
    with pytest.raises(ValueError, match="collator_for"):
        model.loss(plain)
