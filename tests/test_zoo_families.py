"""Family-specific checks beyond the shared contract: CNN, attention pooling, feature CRF."""
from __future__ import annotations

import random

import pytest
import torch

from tests.toy_data import info_for
from zoo.baselines.feature_tagger import FeatureCrfTagger, token_features, word_shape
from zoo.data.types import Example
from zoo.encoders.cnn import ConvEncoder
from zoo.evaluate import evaluate
from zoo.heads.classification import AttentionPooling
from zoo.models import create_model

# ---------------------------------------------------------------- CNN


@pytest.mark.parametrize("widths,layers", [((3, 4, 5), 1), ((3, 5), 3), ((1,), 2)])
@pytest.mark.parametrize("length", [1, 2, 7])
def test_cnn_output_has_the_input_length(widths, layers, length):
    torch.manual_seed(0)
    enc = ConvEncoder(20, embed_dim=6, widths=widths, channels=4, layers=layers)
    ids = torch.randint(2, 20, (3, length))
    mask = torch.ones_like(ids, dtype=torch.bool)
    out = enc(ids, mask)
    assert out.shape == (3, length, 4 * len(widths)) and enc.output_dim == 4 * len(widths)


def test_cnn_edge_windows_see_zeros_not_padding():
    # A sentence that ends inside a wide batch: its last token's window overlaps padding,
    # which must read as the zeros the sentence sees alone (even width 4 reaches 2 right).
    torch.manual_seed(0)
    enc = ConvEncoder(20, embed_dim=6, widths=(3, 4, 5), channels=4, layers=2).eval()
    ids = torch.tensor([[5, 6, 7, 9, 9, 9]])
    mask = torch.tensor([[True, True, True, False, False, False]])
    alone = enc(ids[:, :3], mask[:, :3])
    torch.testing.assert_close(enc(ids, mask)[:, :3], alone)


def test_cnn_variants_pick_kim_widths_for_sentences_and_odd_widths_for_tags():
    sent = create_model("cnn_small", info_for("sentiment"))
    assert sent.head.pooling == "max"  # max over time, as in Kim (2014)
    assert [b.widths for b in sent.encoder.blocks] == [(3, 4, 5)]
    ner = create_model("cnn_small", info_for("ner"))
    assert all(w % 2 == 1 for b in ner.encoder.blocks for w in b.widths)
    assert len(ner.encoder.blocks) == 2


# ---------------------------------------------------------------- attention pooling


def test_attention_weights_sum_to_one_over_real_tokens_and_skip_padding():
    torch.manual_seed(0)
    length = 5
    pool = AttentionPooling(dim=length, attn_dim=8)
    # One-hot position states: the pooled vector is then exactly the attention weights.
    states = torch.eye(length).expand(3, length, length).clone()  # (B, T, T)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], dtype=torch.bool)
    weights = pool(states, mask)  # (B, T)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3))
    assert torch.all(weights[~mask] == 0) and torch.all(weights[mask] > 0)


def test_attention_pooling_ignores_what_sits_in_padding():
    torch.manual_seed(0)
    pool = AttentionPooling(dim=4)
    states = torch.randn(2, 6, 4)
    mask = torch.tensor([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 0]], dtype=torch.bool)
    noisy = states.masked_fill(~mask.unsqueeze(-1), 1e4)
    torch.testing.assert_close(pool(noisy, mask), pool(states, mask))


def test_lstm_attn_is_sentiment_only_and_uses_attention():
    model = create_model("lstm_attn_small", info_for("sentiment"))
    assert model.head.pooling == "attention" and model.head.attention is not None
    with pytest.raises(Exception, match="does not support task"):
        create_model("lstm_attn_small", info_for("ner"))


# ---------------------------------------------------------------- feature CRF tagger


def test_word_shape_collapses_character_classes():
    assert word_shape("McDonald's") == "XxXx'x"
    assert word_shape("2016") == "d"
    assert word_shape("@user_1") == "@x_d"


def test_token_features_cover_the_context_window_and_edges():
    feats = token_features(("John", "lives", "in", "Paris"), 0)
    assert feats["w"] == "john" and feats["shape"] == "Xx" and feats["suf3"] == "ohn"
    assert feats["+1:w"] == "lives" and feats["+2:w"] == "in"
    assert feats["-1:edge"] == 1.0 and feats["-2:edge"] == 1.0


def _toy_ner(n: int, seed: int) -> list[Example]:
    """Names and places drawn fresh per split, so only shape/context can tag test names."""
    rng = random.Random(seed)

    def name() -> str:
        return rng.choice("BCDFGKLMNPRST") + "".join(rng.choice("aeiou") + rng.choice("lmnrst")
                                                     for _ in range(2))

    out = []
    for _ in range(n):
        who, where = name(), name()
        if rng.random() < 0.5:
            out.append(Example((who, "lives", "in", where, "now"),
                               tags=("B-person", "O", "O", "B-location", "O")))
        else:
            out.append(Example(("yesterday", who, who + "son", "visited", where),
                               tags=("O", "B-person", "I-person", "O", "B-location")))
    return out


def test_feature_crf_generalizes_to_unseen_names(tmp_path):
    train, dev, test = _toy_ner(80, 1), _toy_ner(20, 2), _toy_ner(30, 3)
    model = FeatureCrfTagger(max_iterations=50)
    model.fit(train, dev)
    predictions = model.predict(test)
    assert all(isinstance(p, tuple) and len(p) == len(ex.tokens)
               for p, ex in zip(predictions, test))
    assert evaluate("ner", test, predictions, ci=False).values["f1"] > 0.9
    assert model.num_params() > 0
    model.save(tmp_path / "m.skops")
    reloaded = FeatureCrfTagger()
    reloaded.load(tmp_path / "m.skops")
    assert reloaded.predict(test) == predictions and reloaded.chosen_c2 == model.chosen_c2


def test_feature_crf_tags_empty_sentences():
    model = FeatureCrfTagger(c2_grid=(0.1,), max_iterations=10)
    model.fit(_toy_ner(10, 1), _toy_ner(5, 2))
    assert model.predict([Example((), tags=())]) == [()]
