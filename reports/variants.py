"""Recipe variants in the report: each variant's cells (zoo.variants: its model's recipe with
one field changed) set against its model's own cells at the same size, with the leaderboard's
comparison (the paired bootstrap over test examples, seeds averaged). Variants are never
ranked among the models, recommended or registered: `split` keeps them out of the rows
everything else reads."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from reports import ranking
from reports.leaderboard import Comparator, assess_rows
from reports.runs import Cell
from reports.significance import Comparison
from reports.usable import is_usable
from zoo.variants import VARIANTS


@dataclass(frozen=True)
class VariantRow:
    """One variant of one model at one size, against the model's recipe."""

    variant: str
    label: str  # what the variant changed, for people
    tip_in: str  # "recipe" or "variant": the side that carries the textbook's tip
    recipe: ranking.Row  # the model's row (its own recipe)
    row: ranking.Row  # the variant's row ("lstm_small~no_clip")
    result: Comparison  # the variant's row against the recipe's

    @property
    def model(self) -> str:
        return self.recipe.model

    @property
    def n_train(self) -> int:
        return self.recipe.n_train or 0

    @property
    def usable(self) -> bool:
        return is_usable(self.recipe) and is_usable(self.row)

    @property
    def with_tip(self) -> tuple[ranking.Row, ranking.Row]:
        """(the row with the tip, the row without it): the claim's side first."""
        if self.tip_in == "variant":
            return self.row, self.recipe
        return self.recipe, self.row


def split(cells: Iterable[Cell]) -> tuple[list[Cell], list[Cell]]:
    """(the models' cells, the recipe variants' cells)."""
    cells = list(cells)
    return [c for c in cells if not c.variant], [c for c in cells if c.variant]


def variant_rows(cells: Sequence[Cell], by_size: Mapping[int, Sequence[ranking.Row]],
                 comparator: Comparator, task: str) -> list[VariantRow]:
    """Every measured variant against its model's row at each size where both were measured
    (`by_size`: the section's ranked rows; `comparator` must know the variants' cells)."""
    out = []
    of = {c.model: (c.variant_of, c.variant) for c in cells}  # shown name -> (model, variant)
    for n, rows in sorted(by_size.items()):
        recipe = {r.model: r for r in rows}
        floor = [r for r in rows if r.usability and r.usability.floor]
        measured = ranking.aggregate([c for c in cells if (c.n_train or 0) == n], task, n)
        assessed = assess_rows([comparator.with_bootstrap_ci(r) for r in measured] + floor,
                               comparator.cells, comparator)
        for row in assessed[:len(measured)]:
            model, name = of[row.model]
            if model not in recipe or name not in VARIANTS:
                continue
            spec = VARIANTS[name]
            out.append(VariantRow(name, spec.label, spec.tip_in, recipe[model], row,
                                  comparator(row, recipe[model])))
    return sorted(out, key=lambda v: (v.model, v.variant, v.n_train))
