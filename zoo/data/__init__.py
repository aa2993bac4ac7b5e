"""The dataset layer: catalog, sources, readers, splits, subsets, vocabularies.

    from zoo.data import prepare_dataset, train_subset
    data = prepare_dataset("mr", cache_dir=Path(".zoo/data"))
    train = train_subset(data.splits["train"], 1000, seed=0)
"""
from zoo.data.cards import DatasetCard
from zoo.data.catalog import get_card, list_datasets
from zoo.data.errors import DatasetError
from zoo.data.prepare import PreparedDataset, prepare_dataset
from zoo.data.splits import train_subset
from zoo.data.types import Example
from zoo.data.vocab import Vocab

__all__ = [
    "DatasetCard",
    "DatasetError",
    "Example",
    "PreparedDataset",
    "Vocab",
    "get_card",
    "list_datasets",
    "prepare_dataset",
    "train_subset",
]
