"""The models front door: importing it registers every model family (one import line per
family file), then `create_model`, `list_models`, `get_entry` see them all.

The catalog itself (zoo.model_catalog) is pure data and imports no family, so nothing here is
re-entered at import time. Family files import their heavy libraries (scikit-learn,
sacreBLEU, seqeval) only where they fit or score, so listing the models stays light.
"""
from zoo.baselines import (
    feature_tagger,  # noqa: F401
    lexical,  # noqa: F401
    tfidf,  # noqa: F401
    trivial,  # noqa: F401
)
from zoo.families import (
    attention,  # noqa: F401
    cnn,  # noqa: F401
    elmo,  # noqa: F401
    pretrained_transformer,  # noqa: F401
    realtime,  # noqa: F401
    recurrent,  # noqa: F401
    seq2seq,  # noqa: F401
    transformer,  # noqa: F401
)
from zoo.model_catalog import (
    DataInfo,
    ModelEntry,
    Twins,
    check_supports,
    create_model,
    entries,
    floor_model,
    get_entry,
    list_models,
)

__all__ = ["DataInfo", "ModelEntry", "Twins", "check_supports", "create_model", "entries",
           "floor_model", "get_entry", "list_models"]
