"""Real-time variants: the float models most used for low-latency serving, run by ONNX Runtime.

For every base model below, `<base>_ort` (ONNX Runtime, float) and `<base>_ort_q8` (ONNX
Runtime, int8 dynamic quantization) are registered. They are built by the base builder and
trained exactly like the base (same family, tasks and training defaults, so the same seed
gives the same weights); only how the trained model is run differs (see zoo.runtime.onnx).
`tiny_*` twins exist for tests.

The fine-tuned pretrained transformer (MiniLM-L6) is here too: a subword model, exported with
(pieces, starts, mask) inputs and served with the WordPiece tokenizer saved beside it
(zoo.predictors). Every twin carries its base's checkpoint metadata (`pretrained`,
`encoder_mode`), so the report reads it as the same pretrained model, run another way.
"""
from __future__ import annotations

from zoo.families import cnn, pretrained_transformer, recurrent
from zoo.model_catalog import get_entry, register_model

BASES = (
    ("tiny_lstm", recurrent.tiny_lstm),
    ("lstm_small", recurrent.lstm_small),
    ("bilstm_small", recurrent.bilstm_small),
    ("tiny_bilstm_crf", recurrent.tiny_bilstm_crf),
    ("bilstm_crf_small", recurrent.bilstm_crf_small),
    ("cnn_small", cnn.cnn_small),
    ("tiny_bert", pretrained_transformer.tiny_bert),
    ("minilm_l6", pretrained_transformer.minilm_l6),
)

RUNTIMES = {"ort": ("onnx", "ONNX Runtime float"), "ort_q8": ("onnx_q8", "ONNX Runtime int8")}


def _register_twins(name: str, builder) -> None:
    base = get_entry(name)  # registered when its family module was imported above
    for suffix, (runtime, what) in RUNTIMES.items():
        register_model(f"{base.name}_{suffix}", family=base.family, tasks=base.tasks,
                       description=f"{base.description.rstrip('.')} [{what}]",
                       train_defaults=base.train_defaults,
                       task_defaults=base.task_defaults, runtime=runtime,
                       base=base.name, size=base.size, bidirectional=base.bidirectional,
                       crf=base.crf, pretrained=base.pretrained,
                       encoder_mode=base.encoder_mode)(builder)


for _name, _builder in BASES:
    _register_twins(_name, _builder)
