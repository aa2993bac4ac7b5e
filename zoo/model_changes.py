"""The recipe fields that change a built model rather than its training loop (zoo.variants'
ablations): every dropout rate, the recurrence's initialisation, batch normalisation of the
recurrent encoder's outputs. Applied once, right after the model is built and seeded
(zoo.cells), so a variant's cell differs from its model's in that one respect."""
from __future__ import annotations

from torch import nn

from zoo.configs import TrainConfig
from zoo.dropout import Dropout
from zoo.encoders.recurrent import RecurrentEncoder
from zoo.errors import ConfigError


def apply_model_changes(model: nn.Module, cfg: TrainConfig, name: str) -> None:
    """Set what `cfg` asks of the model; a change the model has no place for is an error
    (a variant that changes nothing would be reported as an ablation)."""
    if cfg.dropout >= 0 and not set_dropout(model, cfg.dropout):
        raise ConfigError(f"dropout={cfg.dropout}: {name} has no dropout to change")
    if cfg.init == "torch_default" and not reset_recurrence(model):
        raise ConfigError(f"init=torch_default: {name} has no recurrent layer")
    if cfg.batch_norm and not add_batch_norm(model):
        raise ConfigError(f"batch_norm: {name} has no recurrent encoder to normalise")


def set_dropout(model: nn.Module, p: float) -> int:
    """Every dropout of the model to `p` (the zoo's, torch's, and a stacked RNN's between
    layers); how many it changed."""
    count = 0
    for module in model.modules():
        if isinstance(module, (Dropout, nn.Dropout)):
            module.p = p
            count += 1
        elif isinstance(module, nn.RNNBase) and module.num_layers > 1:
            module.dropout = p
            count += 1
    return count


def reset_recurrence(model: nn.Module) -> int:
    """PyTorch's own initialisation (uniform in +-1/sqrt(hidden)) for every recurrent layer,
    replacing the recipe's Xavier / orthogonal / forget-bias-1 scheme."""
    layers = [m for m in model.modules() if isinstance(m, nn.RNNBase)]
    for layer in layers:
        layer.reset_parameters()
    return len(layers)


def add_batch_norm(model: nn.Module) -> int:
    encoders = [m for m in model.modules() if isinstance(m, RecurrentEncoder)]
    for encoder in encoders:
        encoder.add_batch_norm()
    return len(encoders)
