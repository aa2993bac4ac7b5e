"""Transformer building blocks: positions, embedding scale, pre-LN, masks, ONNX export."""
from __future__ import annotations

import io
import math

import pytest
import torch

from tests.toy_data import BY_TASK, info_for
from zoo.batching import Collator
from zoo.encoders.transformer import (
    EncoderLayer,
    TokenEmbedding,
    TransformerEncoder,
    sinusoidal_positions,
)
from zoo.heads.seq2seq import TransformerDecoder
from zoo.models import create_model
from zoo.train import seed_everything


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # Tiny tensors: a second intra-op thread only adds synchronisation on a busy machine.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_positions_are_sinusoidal():
    table = sinusoidal_positions(50, 8)  # (50, 8)
    p, i = 7, 2  # position 7, dimension pair 2
    angle = p / 10000 ** (2 * i / 8)
    assert table[p, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
    assert table[p, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)
    torch.testing.assert_close(table[0], torch.tensor([0.0, 1.0] * 4))


def test_embedding_is_scaled_and_positions_are_not_parameters():
    embed = TokenEmbedding(10, 16)
    ids = torch.tensor([[3, 3]])
    out = embed(ids)  # (1, 2, 16)
    expected = embed.token.weight[3] * 4.0 + sinusoidal_positions(2, 16)  # sqrt(16) = 4
    torch.testing.assert_close(out[0], expected)
    assert "positions" not in embed.state_dict()
    assert all(p.shape != (1024, 16) for p in embed.parameters())


def test_layer_is_pre_ln_residual_path_is_identity():
    """With both branches' output projections zeroed, a pre-LN layer returns its input as is
    (a post-LN layer would return LayerNorm(input))."""
    layer = EncoderLayer(8, 2, 16).eval()
    with torch.no_grad():
        for linear in (layer.attention.out, layer.feed_forward[-1]):
            linear.weight.zero_()
            linear.bias.zero_()
    x = torch.randn(2, 5, 8) * 50  # far from unit scale
    mask = torch.ones(2, 1, 1, 5, dtype=torch.bool)
    torch.testing.assert_close(layer(x, mask), x)


def test_encoder_describes_itself_as_pre_ln():
    encoder = TransformerEncoder(20, d_model=16, layers=1, heads=2, ff_dim=32)
    described = encoder.describe()
    assert described["norm"] == "pre-LN" and described["positions"] == "sinusoidal"
    model = create_model("tiny_transformer", info_for("sentiment"))
    assert model.describe()["norm"] == "pre-LN"


def test_decoder_is_causal():
    """The state at position t does not change when target tokens after t change."""
    seed_everything(0)
    decoder = TransformerDecoder(12, d_model=16, layers=2, heads=2, ff_dim=32).eval()
    memory = torch.randn(2, 4, 16)  # (B, S, D)
    src_mask = torch.tensor([[True] * 4, [True, True, False, False]])
    inputs = torch.tensor([[2, 5, 6, 7, 8], [2, 9, 4, 5, 6]])
    changed = inputs.clone()
    changed[:, 3:] = torch.tensor([[10, 11], [11, 10]])
    a = decoder.teacher_forced(memory, src_mask, inputs)  # (B, U, D)
    b = decoder.teacher_forced(memory, src_mask, changed)
    torch.testing.assert_close(a[:, :3], b[:, :3])
    assert not torch.allclose(a[:, 3:], b[:, 3:])


def test_decoder_ignores_source_padding():
    seed_everything(0)
    decoder = TransformerDecoder(12, d_model=16, layers=1, heads=2, ff_dim=32).eval()
    memory = torch.randn(1, 3, 16)
    inputs = torch.tensor([[2, 5, 6]])
    alone = decoder.teacher_forced(memory, torch.ones(1, 3, dtype=torch.bool), inputs)
    padded_memory = torch.cat([memory, torch.randn(1, 4, 16)], 1)  # (1, 7, D) 4 junk states
    padded_mask = torch.tensor([[True] * 3 + [False] * 4])
    torch.testing.assert_close(decoder.teacher_forced(padded_memory, padded_mask, inputs), alone)


@pytest.mark.parametrize("name", ["tiny_transformer", "tiny_transformer_crf"])
def test_onnx_export_handles_other_batch_sizes_and_lengths(name):
    ort = pytest.importorskip("onnxruntime")
    task = "sentiment" if name == "tiny_transformer" else "ner"
    info = info_for(task)
    seed_everything(0)
    model = create_model(name, info).eval()
    collator = Collator(task, info.vocab, info.labels)
    batch = collator(BY_TASK[task])
    buffer = io.BytesIO()
    torch.onnx.export(model, (batch.ids, batch.mask), buffer, dynamo=False,
                      input_names=["ids", "mask"], output_names=["out"],
                      dynamic_axes={"ids": {0: "B", 1: "T"}, "mask": {0: "B", 1: "T"},
                                    "out": {0: "B"}})
    session = ort.InferenceSession(buffer.getvalue())
    other = collator(BY_TASK[task][1:3])  # a different batch size and length
    assert other.ids.shape != batch.ids.shape
    got = session.run(None, {"ids": other.ids.numpy(), "mask": other.mask.numpy()})[0]
    with torch.no_grad():
        expected = model(other.ids, other.mask)
    real = other.mask if task == "ner" else torch.ones(len(other), dtype=torch.bool)
    torch.testing.assert_close(torch.from_numpy(got)[real], expected[real], atol=1e-5,
                               rtol=1e-4)
