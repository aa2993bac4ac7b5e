"""The 22 claims of ../shared/design/CLAIMS.md, one declaration each: wording, source keys,
the evidence it needs and its test. Adding a claim is one declaration here (plus, where its
evidence is new, the cells that measure it)."""
from __future__ import annotations

import reports.claims.checks as c
from reports.claims.model import Claim, Needs

SENT_NER = ("sentiment", "ner")
ABLATION = ("not measured (needs the recipe-ablation cells: `zoo bench --profile claims`, "
            "about 1.5 h on 2 cores)")
LSTM_RECIPE = "LSTM families (lstm, bilstm, bilstm_crf) against their recipe variant"
TRANSFORMER_RECIPE = "Transformer families against their recipe variant"


def _ablation(number: int, wording: str, source: str, models: str, variant: str,
              tested: str, tasks: tuple[str, ...] = SENT_NER) -> Claim:
    """A recipe tip: settled by the cells of recipe variant `variant` (zoo.variants: the
    model's recipe with that one field changed) against the model's own, as `tested`."""
    return Claim(number, wording, source,
                 Needs(models, tasks, "each planned size, its seeds averaged", (variant,),
                       missing=ABLATION), c.per_section(c.ablation(tested, variant), tasks))


CLAIMS: tuple[Claim, ...] = (
    Claim(1, "Short-text classification: use an LSTM or a CNN.", "guide",
          Needs("the best LSTM/CNN trained from scratch vs the best other neural family "
                "trained from scratch", SENT_NER, "each measured size"),
          c.per_section(c.best_at_each_size(
              "The best LSTM or CNN beats every other neural family trained from scratch.",
              c.LSTM_OR_CNN, None), SENT_NER)),
    Claim(2, "Long-text generation: use a Transformer.", "guide",
          Needs("seq2seq Transformer vs the best recurrent seq2seq (LSTM, GRU); the zoo's "
                "translation sets are sentence-level, a proxy for long text",
                ("translation",), "each measured size"),
          c.per_section(c.best_at_each_size(
              "The seq2seq Transformer beats the recurrent seq2seq models.",
              c.SEQ2SEQ_TRANSFORMER, c.SEQ2SEQ_RECURRENT), ("translation",))),
    Claim(3, "Word-sense-heavy tasks: use ELMo (contextual embeddings).", "guide, elmo",
          Needs("contextual vs static pretrained embeddings on a word-sense task",
                missing="not measured (needs a word-sense task, e.g. WiC, and static "
                        "pretrained embeddings; claim 4's small-data rows are the nearest "
                        "evidence)"),
          c.not_run),
    Claim(4, "Small data: ELMo (a pretrained contextual encoder), with fine-tuning.", "guide",
          Needs("ELMo and frozen pretrained encoders vs the best model trained from scratch",
                SENT_NER, "the smallest of two or more sizes"),
          c.per_section(lambda ev: [c.elmo_small_data(ev), c.frozen_small_data(ev)])),
    Claim(5, "Small data: freeze the pretrained encoder; large data: fine-tune it all.",
          "guide",
          Needs("each frozen encoder vs its fine-tuned twin", SENT_NER, "two or more sizes"),
          c.per_section(c.freeze_or_finetune)),
    Claim(6, "Large data: a pretrained Transformer.", "guide",
          Needs("the best pretrained Transformer vs the best model trained on the benchmark "
                "alone", (), "the smallest and the largest size"),
          c.per_section(c.pretrained_transformer)),
    Claim(7, "Real-time use: a quantized LSTM; offline: the full Transformer.", "guide",
          Needs("int8 twins of models trained from scratch, the tightest latency budget"),
          c.per_section(c.realtime)),
    Claim(8, "NER draws on the lower biLM layers, QA / sentence tasks on the higher ones.",
          "guide",
          Needs("learned layer-mix weights of a frozen encoder on NER and on sentiment, two "
                "or more runs each", SENT_NER),
          c.across_tasks_layer_mix),
    Claim(9, "Bidirectional LSTMs beat one-directional ones.", "guide, intro, seq",
          Needs("each bidirectional model vs its unidirectional twin", (), "the largest size"),
          c.per_section(c.twin_claim("Bidirectional encoders beat unidirectional ones.",
                                     "unidirectional"))),
    _ablation(10, "Clip gradients (norm 1.0) to stop exploding gradients.", "guide",
              LSTM_RECIPE, "no_clip", "Gradient clipping at norm 1.0 improves the LSTMs."),
    _ablation(11, "Initialize with Xavier.", "guide", LSTM_RECIPE, "torch_init",
              "Xavier input weights (with orthogonal recurrent weights) beat PyTorch's "
              "default initialisation."),
    _ablation(12, "Dropout regularizes and improves generalization.", "tips", LSTM_RECIPE,
              "no_dropout", "Dropout improves the LSTMs' test score."),
    _ablation(13, "Learning-rate decay helps convergence.", "tips", LSTM_RECIPE,
              "lr_decay", "Linear learning-rate decay improves the LSTMs."),
    _ablation(14, "Batch normalization speeds LSTM training and stabilizes it.", "tips",
              LSTM_RECIPE + " (score; training time in the variants table)", "batch_norm",
              "Batch normalisation of the LSTM's outputs improves its score."),
    Claim(15, "Attention lets an LSTM capture long-range dependencies.", "tips, intro",
          Needs("an LSTM with attention pooling vs the same-size plain LSTM (by length bucket "
                "too: not yet)", ("sentiment",), "each measured size"),
          c.per_section(c.attention_helps_lstm, ("sentiment",))),
    _ablation(16, "Transformers: learning-rate warmup.", "guide", TRANSFORMER_RECIPE,
              "no_warmup", "Learning-rate warmup improves the Transformers.",
              ("sentiment", "ner", "translation")),
    _ablation(17, "Transformers: label smoothing 0.1.", "guide",
              "seq2seq Transformer against its recipe variant", "no_label_smoothing",
              "Label smoothing 0.1 improves the seq2seq Transformer.", ("translation",)),
    Claim(18, "Bigger Transformers (d_model, heads, FFN) are better.", "guide",
          Needs("each base model vs its small twin", (), "the largest size"),
          c.per_section(c.twin_claim("Bigger models are better.", "small"))),
    Claim(19, "Tune hyperparameters with a search tool (Optuna named).", "guide",
          Needs("each family's recipe vs its Optuna-tuned recipe, dev and test",
                SENT_NER, "one dataset per task",
                missing="not measured (needs the tuning studies: `zoo tune --plan tuning`, "
                        "about 1.5 h on 2 cores, two studies at a time)"),
          c.tuning_gains),
    Claim(20, "Transformers need more data than LSTMs.", "elmo, guide",
              Needs("a crossover that holds (each side significantly ahead at its end) "
                    "between a Transformer and a recurrent model; length buckets: not yet",
                    SENT_NER, "two or more sizes"),
          c.per_section(c.transformer_data_hunger)),
    Claim(21, "A CRF output layer helps sequence labelling.", "field standard",
          Needs("each CRF model vs its softmax twin", ("ner",), "the largest size"),
          c.per_section(c.twin_claim("A CRF output layer improves NER.", "no_crf"),
                        ("ner",))),
    Claim(22, "With little labelled data, a linear bag-of-n-grams model beats neural "
              "networks.", "field standard",
          Needs("the best TF-IDF model vs the best neural model trained from scratch",
                ("sentiment",), "the smallest of two or more sizes"),
          c.per_section(c.linear_small_data)),
)
