"""MLflow pyfunc loader for zoo models registered by the decision guide (`loader_module`).

MLflow calls `_load_pyfunc(data_path)` with the copied model folder (meta.json + weights);
nothing is unpickled: the architecture is rebuilt from the zoo registry shipped beside it
(code_paths). This module imports neither mlflow nor anything heavy at import time.

Input: a pandas DataFrame with a `text` column (raw sentences, tokenized like the training
data) or a `tokens` column (lists of words), a list of strings, or one string.
Output: a DataFrame with `tokens` and `prediction` (label for sentiment, one tag per token
for NER, the translated sentence for translation).
"""
from __future__ import annotations

from pathlib import Path


def _token_lists(model_input) -> list[tuple[str, ...]]:
    from zoo.data.tokenize import word_tokenize

    if isinstance(model_input, str):
        return [word_tokenize(model_input)]
    columns = getattr(model_input, "columns", None)
    if columns is not None:
        if "tokens" in columns:
            return [tuple(str(t).lower() for t in row) for row in model_input["tokens"]]
        if "text" in columns:
            return [word_tokenize(str(t)) for t in model_input["text"]]
        if len(columns) == 1:
            return [word_tokenize(str(t)) for t in model_input[columns[0]]]
        raise ValueError("input needs a 'text' or a 'tokens' column")
    if isinstance(model_input, dict):
        if "tokens" in model_input:
            return [tuple(str(t).lower() for t in row) for row in model_input["tokens"]]
        return [word_tokenize(str(t)) for t in model_input.get("text", [])]
    return [word_tokenize(str(t)) for t in model_input]


class ZooPyfuncModel:
    def __init__(self, folder: str | Path):
        import json

        from zoo.predictors import load_predictor

        self.folder = Path(folder)
        self.task = json.loads((self.folder / "meta.json").read_text())["task"]
        self.predictor, _ = load_predictor(self.folder)

    def predict(self, model_input, params=None):
        import pandas as pd

        from zoo.data.types import Example

        tokens = _token_lists(model_input)
        empty = [i for i, t in enumerate(tokens) if not t]
        if empty:
            raise ValueError(f"inputs {empty[:5]} have no tokens; send non-empty text")
        predictions = self.predictor([Example(t) for t in tokens])
        if self.task == "translation":
            predictions = [" ".join(p) for p in predictions]
        elif self.task == "ner":
            predictions = [list(p) for p in predictions]
        return pd.DataFrame({"tokens": [list(t) for t in tokens], "prediction": predictions})


def _load_pyfunc(data_path: str) -> ZooPyfuncModel:
    return ZooPyfuncModel(data_path)
