"""Training recipes: how each family trains, with where the numbers come from.

A recipe is the `train_defaults` (every task) and `task_defaults` (per task) a model is
registered with: `@register_model(..., **recipes.RECURRENT)`. Profiles set budgets only (the
dev sample, the biLM's pretraining time); the user's `--set key=value` wins over both.

Shared by every recipe here:
- Early stopping on dev with `patience` epochs and a `min_epochs` floor: NER span F1 sits at
  0 for the first epochs on small data (every tagger stopped at epoch 1 on wnut16 with
  patience alone), so stopping may not fire before the tagger has had a chance to learn.
- `epochs` is a generous cap: a run is meant to stop early, and a run that reaches the cap
  is reported as such (zoo.train.stop_summary).
- `unk_replace`: a word seen once in the training subset is fed as <unk> with p = 0.5
  (Lample et al. 2016, section 4), so the <unk> vector every unseen test word gets is
  trained. Not for the ELMo family, whose character CNN reads every word's spelling.
"""
from __future__ import annotations

_STOPPING = {"epochs": 30, "patience": 3, "min_epochs": 3}
# NER on a few thousand tweets: a higher rate and smaller batches (more steps per epoch), and
# no stopping before epoch 5. Measured on wnut16 in the issue-4 ner-check run (lr 3e-3,
# batch 16: the taggers learn; lr 1e-3, batch 32: F1 0 after 4 epochs), and in the quick run
# of issue 11: bilstm_crf_small on 958 tweets has dev F1 0 for 3 epochs, 0.12 at epoch 5,
# 0.20 at epoch 10, then moves within +-0.02 on the 239-tweet dev set (patience 5 ran it to
# epoch 22 for +0.02). A cap of 50 epochs: in the standard run of 2026-12-04 lstm_small on all
# of wnut16 (seed 1) was still improving at the old cap of 30 (best epoch 29).
_NER = {"lr": 3e-3, "batch_size": 16, "patience": 3, "min_epochs": 5, "epochs": 50}

# RNN / GRU / LSTM / BiLSTM / BiLSTM-CRF / LSTM + attention: Adam at 1e-3 (Kingma and Ba
# 2015 defaults), gradient clipping at 1 (the loop's default), unknown-word replacement.
RECURRENT = {
    "train_defaults": {**_STOPPING, "unk_replace": 0.5},
    "task_defaults": {"ner": _NER},
}

# Kim 2014 (CNN-rand): mini-batches of 50 and dropout 0.5 (set in the builder); Adam instead
# of Adadelta.
CNN = {
    "train_defaults": {**_STOPPING, "batch_size": 50, "unk_replace": 0.5},
    "task_defaults": {"ner": _NER},
}

# Vaswani et al. 2017: linear warmup, then inverse-square-root decay; a pre-LN encoder needs
# only a short warmup (Xiong et al. 2020). More epochs before stopping: the warmup spends the
# first ones. The schedule alone is what the tiny test variants train with.
TRANSFORMER_SCHEDULE = {"lr": 5e-4, "warmup_steps": 200, "decay": "inverse_sqrt",
                        "batch_size": 32}
# NER: the tuning plan's winner at all 1,916 wnut16 tweets (batch 32, lr 7.18e-4, linear
# decay, no clipping, weight decay 0.1) gained there, test 20.4 -> 23.0, +2.6 (95% CI +0.3 to
# +5.2; docs/runs/tuning_plan_2026-12-07.txt), but as the recipe it collapsed at the smaller
# standard sizes: 479 tweets 7.1 -> 0.3 (-6.8, -11.4 to -3.2), 958 tweets 17.0 -> 0.0 (-17.0,
# -25.1 to -10.1), 3 seeds each, paired bootstrap (standard runs of 2026-12-07 and -08,
# benchmarks/recipe_before_after.py, docs/runs/recipe_before_after_2026-12-08.txt). So this
# recipe stays: tuned at one size, the config does not carry to the others.
_TRANSFORMER_NER = {"batch_size": 16, "patience": 5, "min_epochs": 8}
TRANSFORMER = {
    "train_defaults": {**TRANSFORMER_SCHEDULE, **_STOPPING, "min_epochs": 5, "unk_replace": 0.5},
    "task_defaults": {"ner": _TRANSFORMER_NER},
}

# Peters et al. 2018: the biLM's character CNN reads every word's spelling (batch.chars), so
# no unknown-word replacement. Adam at 3e-3, as NER: at 1e-3 the frozen-biLM classifier on
# 849 mr sentences kept dev accuracy at the majority rate (0.50) until patience ran out at
# epoch 4; at 3e-3 it reaches 0.65 by epoch 7 (benchmarks/cell_profile.py, 2026-12-03).
# No stopping before epoch 6 on sentences: in the quick run of 2026-12-06 the frozen-biLM
# classifier on 848 mr sentences (400-sentence dev sample) had its best dev score at epoch 1
# and three flat epochs after it, so patience stopped it at epoch 4 (test 0.539, the floor is
# 0.497); in a run of that cell alone (biLM pretrained 90 s), it early-stopped at epoch 11 (0.629).
ELMO = {
    "train_defaults": {**_STOPPING, "lr": 3e-3, "min_epochs": 6},
    "task_defaults": {"ner": _NER},
}

# Fine-tuning a pretrained transformer (Devlin et al. 2019, appendix A.3): AdamW at a small
# rate (their grid: 2e-5 to 5e-5; 5e-5 here, the small 6-layer MiniLM tolerates it), batch 32
# (16 for NER's few thousand tweets), weight decay 0.01, warmup over 10 % of the steps, then
# linear decay to 0 at the last epoch, and a few epochs (their grid: 2 to 4; below), stopping
# at the first epoch without a dev gain after epoch 2. bfloat16 autocast where it
# is native (zoo.device.bf16_autocast_ok; float32 elsewhere). Measured on 848 mr sentences,
# seed 1, one thread each, 1,000-sentence dev sample (benchmarks/cell_profile.py, 2026-12-07,
# AMD EPYC with avx512_bf16, the two arms side by side): the former schedule (100 warmup
# steps, decay over a 10-epoch cap, patience 2, float32) trained 6 epochs in 219 s, best dev
# 0.766 at epoch 4 (warmup alone was 4 of them); this one 4 epochs in 105 s, best dev 0.768
# (training steps 26.0 -> 15.7 s an epoch under bfloat16). No unknown-word replacement:
# WordPiece spells every unseen word in known pieces.
# 3 epochs (HF run_glue's default, inside Devlin's grid), but at least 100 optimizer steps, so
# a small training set gets more epochs (few-sample fine-tuning needs more updates: Mosbach
# et al. 2021, Zhang et al. 2021). mr, 3 seeds, standard profile, 3 epochs against 4
# (benchmarks/recipe_before_after.py, paired bootstrap, 2026-12-08; docs/runs/
# finetune_epochs_2026-12-08.txt): 8,484 sentences -0.0 [-0.7, +0.7], cell-seconds 2,120 ->
# 1,509; 4,242: -0.2 [-0.9, +0.4], 1,011 -> 780; 2,121: +0.7 [-0.1, +1.4]; 848 (80 steps in
# 3 epochs): -1.6 [-2.5, -0.7], hence the 100-step floor, which keeps 4 epochs (108 steps) there.
# NER: a fresh softmax layer over every word piece (Devlin et al. 2019, 5.3) at the encoder's
# 5e-5 left dev span F1 at 0 for the first 3-4 epochs; on 192 tweets early stopping then
# fired during that stall (standard run of 2026-12-07: test F1 0.01 at 192 tweets, all 3
# seeds at the floor), and on more data the run took 10-19 epochs of a 20-epoch schedule.
# A higher rate for the new layer than for the pretrained ones (Howard and Ruder 2018's
# principle), 1e-4 for MiniLM's 6 small layers, and a 10-epoch schedule, never stopped
# before its middle. minilm_l6 on wnut16, seed 1, dev 1,000 tweets (benchmarks/
# cell_profile.py, 2026-12-07, AMD EPYC, arms side by side, one thread each; docs/runs/
# ner_finetune_schedule_2026-12-07.txt):
#   479 tweets: old recipe (5e-5, 20 ep.) best dev 0.456, test 0.401, 344 s; head_lr 1e-3
#   alone 0.478 / 0.450, 343 s; + 10 ep. at 5e-5 0.390 / 0.363, 125 s (stopped at 8);
#   + 10 ep. at 1e-4 (this) 0.447 / 0.418, 160 s;
#   192 tweets: old recipe stopped at epoch 4, test 0.011 (the floor); this 0.290 / 0.265.
# So half the time at 479 for 0.9 dev points less (one seed), and off the floor at 192; the
# sizes above were not timed side by side: the next standard run is the before / after.
_FINETUNE_NER = {"batch_size": 16, "lr": 1e-4, "head_lr": 1e-3, "epochs": 10, "patience": 3,
                 "min_epochs": 5}
PRETRAINED = {
    "train_defaults": {"lr": 5e-5, "batch_size": 32, "weight_decay": 0.01,
                       "warmup_fraction": 0.1, "decay": "linear", "epochs": 3, "min_steps": 100,
                       "patience": 1, "min_epochs": 2, "max_len": 128, "amp": True},
    "task_defaults": {"ner": _FINETUNE_NER},
}

# A frozen pretrained encoder under a learned scalar mix (the ELMo recipe on a pretrained
# checkpoint, zoo.encoders.frozen_bert): only the mix and a small task layer train, so the
# ELMo family's optimiser (Adam at 3e-3) and its 6-epoch floor before stopping; NER as every
# tagger here. No unknown-word replacement: WordPiece spells every word.
FROZEN_ENCODER = {
    "train_defaults": {**_STOPPING, "lr": 3e-3, "min_epochs": 6, "max_len": 128},
    "task_defaults": {"ner": _NER},
}

# Translation: words seen once in training cannot be learned as outputs, yet each costs a row
# of the output layer (most of a CPU training step), so vocabularies keep words seen at least
# twice; label smoothing 0.1 (Szegedy et al. 2016, as in Vaswani et al. 2017).
_MT = {"batch_size": 64, "label_smoothing": 0.1, "vocab_min_freq": 2}
# The optimiser settings alone are what the tiny test variants train with (tests set their
# own epochs and patience).
# Adam at 3e-3 for the RNN encoder-decoders: at 1e-3 seq2seq_gru_small on 3,000 tatoeba
# pairs was still rising at the 30-epoch cap (test BLEU 4.2, 160 s); at 3e-3 it early-stops at
# epoch 18 (best 15, dev BLEU 5.7, 90 s), and seq2seq_lstm_small reaches dev 4.2 against a
# test 2.4 at 1e-3 (benchmarks/cell_profile.py, 2026-12-03, 1 thread).
SEQ2SEQ_RNN_OPTIM = {**_MT, "lr": 3e-3}
# Warmup then inverse-sqrt decay (Vaswani et al. 2017); pre-LN needs only a short warmup.
SEQ2SEQ_TRANSFORMER_OPTIM = {**_MT, "lr": 1e-3, "warmup_steps": 300, "decay": "inverse_sqrt"}
SEQ2SEQ_RNN = {"train_defaults": {**_STOPPING, **SEQ2SEQ_RNN_OPTIM}}
SEQ2SEQ_TRANSFORMER = {"train_defaults": {**_STOPPING, **SEQ2SEQ_TRANSFORMER_OPTIM,
                                          "min_epochs": 5}}
