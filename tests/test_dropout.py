"""The byte-mask dropout: right drop rate, unbiased, identity in eval, gradients through."""
from __future__ import annotations

import pytest
import torch

from zoo.dropout import Dropout, byte_threshold


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5])
def test_drops_the_rounded_share_and_keeps_the_expectation(p):
    torch.manual_seed(0)
    layer = Dropout(p).train()
    x = torch.ones(200, 1000)
    y = layer(x)
    effective = byte_threshold(p) / 256
    assert abs(effective - p) <= 1 / 512
    dropped = float((y == 0).float().mean())
    assert abs(dropped - effective) < 0.005  # 200k elements: sd ~0.001
    assert abs(float(y.mean()) - 1.0) < 0.01  # kept values are scaled up
    kept = y[y != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / (1 - effective)))


def test_masks_differ_between_calls_and_follow_the_seed():
    layer = Dropout(0.5).train()
    x = torch.ones(64, 64)
    torch.manual_seed(1)
    a, b = layer(x), layer(x)
    torch.manual_seed(1)
    assert not torch.equal(a, b)
    assert torch.equal(layer(x), a)


def test_identity_in_eval_and_at_zero():
    x = torch.randn(3, 5)
    assert torch.equal(Dropout(0.5).eval()(x), x)
    assert torch.equal(Dropout(0.0).train()(x), x)
    assert torch.equal(Dropout(1.0).train()(x), torch.zeros_like(x))
    with pytest.raises(ValueError, match="not in"):
        Dropout(1.5)


def test_gradient_is_the_mask_times_the_scale():
    torch.manual_seed(2)
    x = torch.randn(7, 9, requires_grad=True)  # an odd element count (not a multiple of 8)
    y = Dropout(0.25).train()(x)
    y.sum().backward()
    scale = 256 / (256 - byte_threshold(0.25))
    torch.testing.assert_close(x.grad, (y != 0).float() * scale)
