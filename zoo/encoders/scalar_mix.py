"""What a learned scalar mix (ELMo's layer weighting, allennlp-light's `ScalarMix`) chose,
as metrics every run of a model with one logs (the ELMo family, frozen pretrained encoders).
"""
from __future__ import annotations

import torch
from allennlp_light.modules.scalar_mix import ScalarMix

import zoo.tracking.schema as schema  # noqa: PLR0402  (the leaf module, not the package)


def find_mix(model) -> ScalarMix | None:
    """The scalar mix of a model's encoder, if it has one."""
    mix = getattr(getattr(model, "encoder", None), "mix", None)
    return mix if isinstance(mix, ScalarMix) else None


def mix_metrics(mix: ScalarMix) -> dict[str, float]:
    """The learned layer weights of a scalar mix, as logged metrics: `mix/layer_<k>`
    (softmax-normalised, summing to 1; layer 0 = the embedding or token layer), `mix/gamma`,
    `mix/layers`, and `mix/mean_layer`, the weight-averaged depth scaled to [0, 1]
    (0: all weight on the lowest layer, 1: on the top one)."""
    raw = torch.cat([p.detach().reshape(1) for p in mix.scalar_parameters])  # (L,)
    weights = torch.softmax(raw.float(), dim=0).tolist()
    depth = max(1, len(weights) - 1)
    out = {schema.mix_layer(k): w for k, w in enumerate(weights)}
    out.update({schema.MIX_GAMMA: float(mix.gamma.detach()),
                schema.MIX_LAYERS: float(len(weights)),
                schema.MIX_MEAN_LAYER: sum(k * w for k, w in enumerate(weights)) / depth})
    return out
