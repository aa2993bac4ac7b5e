"""Importing this module registers every model family. Add one import line per new family."""
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
    realtime,  # noqa: F401
    recurrent,  # noqa: F401
    seq2seq,  # noqa: F401
    transformer,  # noqa: F401
)
