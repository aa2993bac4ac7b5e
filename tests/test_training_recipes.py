"""Length-bucketed batches, singleton -> <unk> replacement, and the per-family recipes."""
from __future__ import annotations

import random

import pytest
import torch

from zoo.batching import Collator
from zoo.cells import CellSpec, resolve_train_config
from zoo.configs import TrainConfig
from zoo.data.types import Example
from zoo.data.vocab import Vocab
from zoo.errors import ConfigError
from zoo.models import get_entry, list_models
from zoo.train import plan_batches, replace_singletons, singleton_ids


def _examples(n: int, seed: int = 0) -> list[Example]:
    rng = random.Random(seed)
    return [Example(tokens=tuple(f"w{rng.randrange(50)}" for _ in range(rng.randint(1, 60))),
                    label="pos") for _ in range(n)]


def _padding(batches) -> int:
    return sum(len(b) * max(len(e.tokens) for e in b) - sum(len(e.tokens) for e in b)
               for b in batches)


def test_bucketed_batches_cover_every_example_once_and_cut_padding():
    examples = _examples(2000)
    plain = plan_batches(examples, 32, random.Random(1), pool=0)
    bucketed = plan_batches(examples, 32, random.Random(1), pool=50)
    for batches in (plain, bucketed):
        assert sorted(id(e) for b in batches for e in b) == sorted(id(e) for e in examples)
        assert all(len(b) <= 32 for b in batches)
    # Lengths uniform on 1..60: random batches pad ~29 tokens a row, bucketed ones ~1.
    assert _padding(bucketed) < 0.1 * _padding(plain)


def test_bucketed_batches_differ_between_epochs_and_repeat_per_seed():
    examples = _examples(500)
    rng = random.Random(3)
    first, second = (plan_batches(examples, 16, rng, pool=10) for _ in range(2))
    assert [[id(e) for e in b] for b in first] != [[id(e) for e in b] for b in second]
    again = plan_batches(examples, 16, random.Random(3), pool=10)
    assert [[id(e) for e in b] for b in again] == [[id(e) for e in b] for b in first]


def _collator(train):
    vocab = Vocab.build(ex.tokens for ex in train)
    return Collator("sentiment", vocab, ("neg", "pos"))


def test_only_singletons_are_replaced_at_about_the_rate_asked():
    train = [Example(tokens=("the", "cat", "rare"), label="pos"),
             Example(tokens=("the", "cat", "odd"), label="neg")]
    collator = _collator(train)
    flags = singleton_ids(collator, train)
    assert {collator.vocab.itos[i] for i in torch.nonzero(flags).flatten().tolist()} == {
        "rare", "odd"}
    ids = collator(train * 2000).ids  # (4000, 3)
    out = replace_singletons(ids, flags, 0.5, torch.Generator().manual_seed(0))
    replaced = out != ids
    assert not replaced[:, :2].any()  # "the", "cat" occur twice: never replaced
    assert (out[replaced] == collator.vocab.unk_id).all()
    assert replaced[:, 2].float().mean().item() == pytest.approx(0.5, abs=0.03)


def test_training_with_unk_replace_feeds_unk_to_the_model():
    """The loop applies the replacement: the model sees <unk> on training batches only."""
    from zoo.train import train_model

    train = [Example(tokens=(f"once{i}", "common"), label="pos") for i in range(64)]
    collator = _collator(train)
    seen: list[torch.Tensor] = []

    class Spy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def loss(self, batch):
            seen.append(batch.ids.clone())
            return (self.w ** 2).sum() + 1.0

    cfg = TrainConfig(epochs=1, unk_replace=0.5, batch_size=64)
    train_model(Spy(), collator, train, cfg, seed=0, dev_score=lambda m: 0.0)
    first_column = torch.cat(seen)[:, 0]
    unk_share = (first_column == collator.vocab.unk_id).float().mean().item()
    assert 0.3 < unk_share < 0.7
    assert not (torch.cat(seen)[:, 1] == collator.vocab.unk_id).any()


def test_bad_recipe_values_are_refused():
    with pytest.raises(ConfigError, match="unk_replace"):
        TrainConfig(unk_replace=1.0)
    with pytest.raises(ConfigError, match="bucket_pool"):
        TrainConfig(bucket_pool=-1)


def test_every_registered_neural_model_has_a_recipe_with_early_stopping():
    """Non-test neural models carry a recipe: a minimum number of epochs before stopping,
    and a trained <unk> (singleton replacement, a min-frequency vocabulary, or ELMo's
    character CNN). A pretrained transformer fine-tunes for a few epochs (Devlin et al. 2019:
    2 to 4) and spells every unseen word in WordPiece pieces, so it has no <unk> to train."""
    for name in list_models("*"):
        entry = get_entry(name)
        if entry.kind != "neural" or name.startswith("tiny_"):
            continue
        for task in entry.tasks:
            recipe = entry.recipe(task)
            assert recipe.get("min_epochs", 1) >= (2 if entry.pretrained else 3), (name, task)
            assert (recipe.get("unk_replace", 0) > 0 or recipe.get("vocab_min_freq", 1) > 1
                    or entry.family == "elmo" or entry.pretrained), (name, task)


def test_recipe_order_task_over_family_profile_budget_user_last():
    ner = resolve_train_config(CellSpec("ner", "wnut16", "bilstm_small", 0.3, 1, "quick"))
    sentiment = resolve_train_config(CellSpec("sentiment", "mr", "bilstm_small", 0.3, 1,
                                              "quick"))
    assert (ner.lr, ner.batch_size, ner.min_epochs) == (3e-3, 16, 5)
    assert (sentiment.lr, sentiment.batch_size) == (1e-3, 32)
    user = resolve_train_config(CellSpec("ner", "wnut16", "bilstm_small", 0.3, 1, "quick",
                                         overrides=(("lr", 0.01),)))
    assert user.lr == 0.01
    twin = resolve_train_config(CellSpec("ner", "wnut16", "bilstm_crf_small_ort_q8", 0.3, 1,
                                         "quick"))
    base = resolve_train_config(CellSpec("ner", "wnut16", "bilstm_crf_small", 0.3, 1, "quick"))
    assert twin == base  # an ONNX twin trains exactly like its float base


RECIPE_KEYS = {"epochs", "patience", "min_epochs", "lr", "batch_size", "unk_replace",
               "warmup_steps", "warmup_fraction", "decay", "label_smoothing",
               "vocab_min_freq"}


def test_profiles_set_budgets_not_recipes():
    """Recipes live with the model registration; a profile that set epochs or a rate would
    silently override every family's recipe."""
    from zoo.configs import PROFILES

    for profile in PROFILES.values():
        assert not RECIPE_KEYS & set(profile.train), (profile.name, profile.train)


def test_quick_profile_has_no_time_cap_and_sizes_per_dataset():
    from zoo.configs import get_profile
    from zoo.sweep.plan import plan_cells

    quick = get_profile("quick")
    assert quick.train.get("max_train_seconds", 0) == 0
    cells = plan_cells("quick")
    sizes = {(c.dataset, c.train_size) for c in cells}
    for dataset in quick.datasets:
        assert {s for d, s in sizes if d == dataset} == set(quick.sizes_for(dataset))
    assert quick.sizes_for("tatoeba-en-es") != quick.train_sizes  # the corpus is 136k pairs
    # --sizes replaces the per-dataset sizes everywhere.
    forced = plan_cells("quick", models=["bilstm_small", "seq2seq_gru_small"],
                        train_sizes=[0.1])
    assert {c.train_size for c in forced} == {0.1}


def test_optimizer_is_fused_adamw_over_trainable_parameters_only():
    from zoo.train import make_optimizer

    model = torch.nn.Sequential(torch.nn.Embedding(50, 8), torch.nn.Linear(8, 2))
    model[0].requires_grad_(False)  # e.g. a frozen biLM
    opt = make_optimizer(model, TrainConfig(lr=1e-3))
    assert isinstance(opt, torch.optim.AdamW)
    assert opt.param_groups[0]["fused"] is True
    assert {id(p) for p in opt.param_groups[0]["params"]} == {id(p) for p in model[1].parameters()}


def test_runtime_twins_are_planned_after_every_torch_cell():
    """A twin reuses its base's weights only when the base has finished: plan twins last."""
    from zoo.sweep.plan import plan_cells

    runtimes = [get_entry(c.model).runtime for c in plan_cells("quick")]
    first_twin = next(i for i, r in enumerate(runtimes) if r != "torch")
    assert first_twin > 0 and all(r != "torch" for r in runtimes[first_twin:])


def test_warmup_fraction_scales_with_the_run_and_decays_to_zero():
    """BERT's schedule: warmup over 10 % of the run's steps, then linear decay to 0 at its
    last step, whatever the data size (a fixed 100-step warmup was most of a small run)."""
    from zoo.configs import TrainConfig
    from zoo.train import lr_lambda

    cfg = TrainConfig(warmup_fraction=0.1, decay="linear")
    for total in (108, 1064):
        factor = lr_lambda(cfg, total)
        warm = round(0.1 * total)
        assert factor(0) == pytest.approx(1 / warm)
        assert factor(warm - 1) == pytest.approx(1.0)  # the peak at the end of warmup
        assert factor(total - 1) == pytest.approx(0.0)
    fixed = lr_lambda(TrainConfig(warmup_steps=50, warmup_fraction=0.1, decay="linear"), 108)
    assert fixed(49) == pytest.approx(1.0)  # the larger of the two applies
    with pytest.raises(Exception, match="warmup_fraction"):
        TrainConfig(warmup_fraction=1.0)


@pytest.mark.parametrize("amp", [False, True])
def test_dev_selects_under_the_training_autocast(amp):
    """With amp on (where bfloat16 is native), dev is scored under the same bfloat16 autocast
    as the training steps; with amp off, in float32. The caller's own scoring afterwards (the
    logged dev and test scores) runs outside it."""
    from tests.toy_data import BY_TASK, info_for
    from zoo.batching import collator_for
    from zoo.device import bf16_autocast_ok
    from zoo.models import create_model
    from zoo.train import train_model

    if amp and not bf16_autocast_ok(torch.device("cpu")):
        pytest.skip("bfloat16 is not native on this CPU: amp is ignored here")
    info = info_for("sentiment")
    model = create_model("cnn_small", info)
    examples = BY_TASK["sentiment"]
    seen: list[bool] = []

    def dev_score(m) -> float:
        seen.append(torch.is_autocast_enabled("cpu"))
        return 0.0

    cfg = TrainConfig(epochs=2, batch_size=len(examples), patience=5, amp=amp)
    result = train_model(model, collator_for(model, info, 16), examples, cfg, seed=0,
                         dev_score=dev_score)
    assert result.amp is amp and seen == [amp, amp]
    assert not torch.is_autocast_enabled("cpu")


def test_head_lr_puts_the_head_in_its_own_group_that_the_schedule_scales():
    """A fine-tuned encoder's fresh task layer at its own rate; without head_lr, one group."""
    from zoo.train import lr_lambda, make_optimizer

    model = torch.nn.Module()
    model.encoder, model.head = torch.nn.Linear(4, 4), torch.nn.Linear(4, 2)
    assert len(make_optimizer(model, TrainConfig(lr=5e-5)).param_groups) == 1
    cfg = TrainConfig(lr=5e-5, head_lr=1e-3, warmup_steps=10)
    opt = make_optimizer(model, cfg)
    encoder_group, head_group = opt.param_groups
    assert {id(p) for p in head_group["params"]} == {id(p) for p in model.head.parameters()}
    assert {id(p) for p in encoder_group["params"]} == {id(p) for p in model.encoder.parameters()}
    torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(cfg, 100))  # sets step 1 of 10's rates
    assert head_group["lr"] == pytest.approx(1e-4)
    assert encoder_group["lr"] == pytest.approx(5e-6)
    with pytest.raises(ConfigError, match="head_lr"):
        TrainConfig(head_lr=-1.0)


def test_min_steps_raises_the_epochs_of_a_small_training_set_only():
    """The fine-tuning recipe: 3 epochs, but at least 100 optimizer steps (848 mr sentences
    at batch 32 are 27 steps an epoch: 4 epochs); the linear decay spans the raised run."""
    from zoo.train import scheduled_epochs

    cfg = TrainConfig(epochs=3, min_steps=100, batch_size=32)
    assert [scheduled_epochs(cfg, n) for n in (848, 2121, 8484)] == [4, 3, 3]
    assert scheduled_epochs(TrainConfig(epochs=3, batch_size=32), 10) == 3
    finetune = resolve_train_config(CellSpec("sentiment", "mr", "minilm_l6", 1.0, 1, "standard"))
    assert (finetune.epochs, finetune.min_steps) == (3, 100)
    ner = resolve_train_config(CellSpec("ner", "wnut16", "minilm_l6", 0.1, 1, "standard"))
    assert scheduled_epochs(ner, 192) == ner.epochs == 10  # NER's schedule is long enough
    with pytest.raises(ConfigError, match="min_steps"):
        TrainConfig(min_steps=-1)


def test_training_runs_the_raised_schedule_to_its_end():
    from tests.toy_data import BY_TASK, info_for
    from zoo.models import create_model
    from zoo.train import seed_everything, train_model

    seed_everything(0)
    info = info_for("sentiment")
    examples = BY_TASK["sentiment"]
    model = create_model("tiny_lstm", info)
    collator = Collator("sentiment", info.vocab, info.labels, max_len=16)
    # One step an epoch, so 3 steps are 3 epochs; a flat dev score and a long patience.
    cfg = TrainConfig(epochs=1, min_steps=3, batch_size=len(examples), decay="linear",
                      patience=10)
    logs = []
    result = train_model(model, collator, examples, cfg, seed=0, dev_score=lambda m: 0.5,
                         on_epoch=logs.append)
    assert result.epochs_run == 3 and result.stop_reason == "schedule_end"
    assert [log.of_epochs for log in logs] == [3, 3, 3]
