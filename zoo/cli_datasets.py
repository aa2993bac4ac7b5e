"""`zoo datasets`: the catalog (built-in and the user's own), one card, or `add CARD.toml`."""
from __future__ import annotations

from pathlib import Path

from zoo import home
from zoo.errors import ZooError


def cmd_datasets(args) -> int:
    if args.name == "add":
        return _add(args.card)
    if args.card:
        raise ZooError(f"unexpected argument {args.card!r}: `zoo datasets NAME` shows one card, "
                       "`zoo datasets add CARD.toml` registers yours")
    if args.name:
        return _show(args.name, args.data_mirror)
    return _table()


def _add(card_file: str | None) -> int:
    from zoo.data.user_add import add_card

    if not card_file:
        raise ZooError("zoo datasets add needs a card file: zoo datasets add my-data.toml")
    card, replaced, sizes = add_card(Path(card_file))
    print(f"{'Updated' if replaced else 'Registered'} {card.name} ({card.task}, reader "
          f"{card.reader.removeprefix('user-')}): " +
          ", ".join(f"{k} {v:,}" for k, v in sizes.items()) + " examples")
    print(f"Benchmark it: zoo bench --datasets {card.name} (card kept as "
          f"ZOO_HOME/datasets/{card.name}.json; your files stay where they are)")
    return 0


def _show(name: str, mirror: str | None) -> int:
    from zoo.data import get_card, prepare_dataset

    cache = home.prepared_dir()
    card = get_card(name)
    for field in ("name", "task", "description", "source", "licence", "licence_note",
                  "citation", "note"):
        print(f"{field:>13}: {getattr(card, field)}")
    print(f"{'expected':>13}: {_split_sizes(card)}")
    if any(cache.glob(f"{card.name}-*.json")) if cache.is_dir() else False:
        data = prepare_dataset(card.name, cache_dir=home.data_cache_dir(),
                               mirror=Path(mirror) if mirror else None)
        print(f"{'prepared':>13}: " + ", ".join(f"{k} {len(v):,}"
                                              for k, v in data.splits.items()))
        print(f"{'labels':>13}: {', '.join(data.labels) or '(translation)'}")
        print(f"{'fingerprint':>13}: {data.fingerprint}")
    return 0


def _table() -> int:
    from rich.table import Table

    from zoo.cli_console import ListingConsole
    from zoo.data import list_datasets

    cache = home.prepared_dir()
    table = Table(title="Dataset catalog", show_lines=False)
    # Only the licence and the sizes wrap, and the licence keeps 12 columns: with every other
    # column unwrappable, rich squeezed it to nothing at 80 columns (an empty column).
    for col in ("dataset", "task", "default", "train / dev / test", "licence", "cached"):
        table.add_column(col, no_wrap=col not in ("licence", "train / dev / test"),
                         min_width=12 if col == "licence" else None,
                         overflow="fold" if col == "licence" else "ellipsis")
    for card in list_datasets():
        cached = any(cache.glob(f"{card.name}-*.json")) if cache.is_dir() else False
        default = "yours" if card.user else "yes" if card.default else "no"
        table.add_row(card.name, card.task, default, _split_sizes(card), card.licence,
                      "yes" if cached else "no")
    ListingConsole().print(table)
    print("`zoo datasets NAME` shows the card: source, citation, labels and prepared sizes. "
          "`zoo datasets add CARD.toml` adds your own.")
    return 0


def _split_sizes(card) -> str:
    counts = card.expected
    if card.user:
        return f"one file, {card.split.strategy} split" if card.split else "your split"
    if "all" in counts and card.split and card.split.fractions:
        fr = "/".join(f"{round(100 * f)}" for f in card.split.fractions)
        return f"{counts['all']:,} → {fr} split"
    if "all" in counts:
        return f"{counts['all']:,} → grouped split"
    return " / ".join(f"{counts[k]:,}" for k in ("train", "dev", "test") if k in counts) or "?"
