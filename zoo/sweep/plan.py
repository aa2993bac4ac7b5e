"""The matrix, planned once: typed axes in, typed cells out, every check before any work.

`plan_cells` expands a profile (and the user's datasets, model patterns, sizes, seeds and
overrides, already typed: `zoo.sweep.matrix`) into `CellSpec`s; every name, override and
training count is checked here, so a bad matrix fails with one line before a dataset is
fetched or an MLflow run is started.
"""
from __future__ import annotations

from collections.abc import Sequence

from zoo.cells import CellSpec, resolve_train_config
from zoo.configs import get_profile
from zoo.data import get_card
from zoo.data.cards import DatasetCard
from zoo.errors import ConfigError
from zoo.models import floor_model, get_entry, list_models
from zoo.sweep.matrix import TrainSize, check_seeds, check_sizes
from zoo.variants import get_variant, planned_for


def plan_cells(profile: str = "quick", *, datasets: Sequence[str] | None = None,
               models: Sequence[str] | None = None,
               train_sizes: Sequence[TrainSize] | None = None,
               seeds: Sequence[int] | None = None, overrides: dict | None = None,
               include_floors: bool = True,
               variants: Sequence[str] | None = None) -> list[CellSpec]:
    """Expand the matrix; every name is checked before any work starts.

    Floors: every planned dataset also gets the trivial floor model of its task
    (`floor_model(task)`: majority_class, all_o, copy_source) at every planned size and seed,
    even when the profile or the `models` patterns do not name it, because a floor is
    measured in every run: it is what "beats the floor" is judged against. Datasets that no
    requested model runs on are left out, with their floors. It comes after
    the matched models of its dataset (once, if a pattern matched it too). A matrix is still
    empty, and an error, when the patterns match no model for any planned dataset. Only
    tests that need an exact matrix pass `include_floors=False`; the CLI and the flows keep
    the default.

    Recipe variants (`variants`, else the profile's; zoo.variants) are planned beside each
    model they name, at that model's sizes and seeds.
    """
    prof = get_profile(profile)
    dataset_names = list(datasets or prof.datasets)
    patterns = ",".join(models or prof.models)
    sizes = check_sizes(train_sizes)  # --sizes applies to every dataset
    seed_list = check_seeds(seeds) or []  # --seeds applies to every dataset
    override_items = tuple(sorted((overrides or {}).items()))
    variant_names = _checked_variants(variants if variants is not None else prof.variants)
    planned = {name: list_models(patterns, task=get_card(name).task) for name in dataset_names}
    if prof.variant_bases_only and not models:
        planned = {name: [m for m in names if planned_for(m, get_card(name).task, variant_names)]
                   for name, names in planned.items()}
    if not any(planned.values()):
        raise ConfigError(f"the matrix is empty: no model matches {patterns!r} for datasets "
                          f"{', '.join(dataset_names)}; run `zoo models` to see what exists")
    cells = []
    for name, names in planned.items():
        task = get_card(name).task
        # A dataset no requested model runs on stays out, floor included: `--models
        # tfidf_logreg` must not fetch NER and translation data just to measure their floors.
        if include_floors and names and (floor := floor_model(task)) not in names:
            names = [*names, floor]
        for model in names:
            # A profile's own selection may run a model on fewer cells (Profile.only_at);
            # models the user names run at every planned size.
            profile_sizes = (prof.sizes_for(name) if models
                             else prof.model_sizes_for(model, name))
            for variant in ("", *planned_for(model, task, variant_names)):
                for size in sizes or profile_sizes:
                    for seed in seed_list or prof.seeds_for(name):
                        cells.append(CellSpec(task, name, model, size, seed, profile,
                                              override_items, variant))
    _check_variants_planned(variants, cells)
    for spec in cells:  # resolve every config now so a bad override fails early
        resolve_train_config(spec)
    check_counts_fit(cells)
    # Runtime twins (ONNX float / int8) last: they reuse their base's weights when the base
    # has finished, and retrain it from scratch when it has not.
    return sorted(cells, key=lambda spec: get_entry(spec.model).runtime != "torch")


def _checked_variants(names: Sequence[str]) -> tuple[str, ...]:
    """The recipe variants' names; an unknown one fails now, by name, with the known ones."""
    for name in names:
        if name != "*":
            get_variant(name)
    return tuple(names)


def _check_variants_planned(asked: Sequence[str] | None, cells: Sequence[CellSpec]) -> None:
    """A variant the user named that no planned model takes is an error, not a silent no-op."""
    planned = {c.variant for c in cells}
    for name in asked or ():
        if name != "*" and name not in planned:
            v = get_variant(name)
            raise ConfigError(f"recipe variant {name!r} runs beside {', '.join(v.models)} "
                              f"on {', '.join(v.tasks)}; none of them is planned here: add "
                              f"--models {v.models[0]} (or a dataset of those tasks)")


def training_split_size(card: DatasetCard) -> tuple[int, bool] | None:
    """(examples in the training split, exact?) as the card promises them; None when the
    card does not say (a user's own dataset). A card with one file and a fractional split
    gives its train fraction of the whole ("about": the split rounds per label)."""
    counts = card.expected
    if "train" in counts:
        return counts["train"], True
    if "all" in counts and card.split and card.split.fractions:
        return round(counts["all"] * card.split.fractions[0]), False
    if "all" in counts:  # a grouped split: at most every example
        return counts["all"], False
    return None


# A count in the rounding slack above an approximate split size (the split rounds per label)
# is let through here; zoo.data.splits checks it exactly once the data is prepared.
_ROUNDING_SLACK = 0.002


def check_counts_fit(cells: Sequence[CellSpec]) -> None:
    """A training count larger than its dataset's training split fails now, by name, not
    inside a worker after its MLflow run has started."""
    for spec in cells:
        if isinstance(spec.train_size, float):
            continue  # a fraction always fits
        split = training_split_size(get_card(spec.dataset))
        if split is None:
            continue
        size, exact = split
        limit = size if exact else size + max(2, round(size * _ROUNDING_SLACK))
        if spec.train_size > limit:
            about = "" if exact else "about "
            raise ConfigError(f"training size {spec.train_size} is larger than {spec.dataset}'s "
                              f"training split ({about}{size:,} examples); use a count up to "
                              f"{size:,} or a fraction like 0.5")


def count_of(size: TrainSize, card: DatasetCard) -> str:
    """A planned size as a count of examples, for people: 500 -> "500", 0.1 on mr ->
    "~848" (the card's split size times the fraction; "?" when the card does not say)."""
    if isinstance(size, int):
        return f"{size:,}"
    split = training_split_size(card)
    if split is None:
        return f"{size:g} of the split"
    count = max(1, round(size * split[0]))
    return f"{count:,}" if split[1] else f"~{count:,}"
