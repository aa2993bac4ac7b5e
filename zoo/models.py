"""Importing this module registers every model family. Add one import line per new family."""
from zoo.baselines import tfidf  # noqa: F401
from zoo.families import recurrent  # noqa: F401
