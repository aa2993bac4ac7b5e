"""Importing this module registers every model family. Add one import line per new family."""
from zoo.baselines import tfidf  # noqa: F401
from zoo.families import recurrent  # noqa: F401
from zoo.families import cnn  # noqa: F401
from zoo.families import attention  # noqa: F401
from zoo.families import elmo  # noqa: F401
from zoo.baselines import feature_tagger  # noqa: F401
from zoo.families import transformer  # noqa: F401
from zoo.families import seq2seq  # noqa: F401
from zoo.baselines import lexical  # noqa: F401
from zoo.families import realtime  # noqa: F401
