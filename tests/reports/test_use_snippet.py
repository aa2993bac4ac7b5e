"""The report's "Use a recommended model" snippet feeds the registered model an input of its
own task (it fed the sentiment sentence "a gripping, funny film" to the NER model)."""
from __future__ import annotations

import re

import pytest

from reports.recommend import EXAMPLE_INPUT
from reports.render import render_report


@pytest.fixture(scope="module")
def rendered(rich_store, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZOO_HOME", str(rich_store))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        return render_report("nlp-zoo", tmp_path_factory.mktemp("snippet"))


def _snippet_task(text: str) -> str:
    uri = re.search(r'load_model\("models:/nlp-zoo-(\w+)-', text)
    assert uri, "no load_model line"
    return uri.group(1)


def test_the_snippet_input_fits_the_task_of_the_model_it_loads(rendered):
    html = rendered.read_text(encoding="utf-8")
    use = html[html.index('<section id="use">'):html.index('<section id="method">')]
    task = _snippet_task(use)
    assert task == "ner"  # the rich store's first registration: the case that was wrong
    assert use.count(EXAMPLE_INPUT["ner"]) == 2  # Python and curl
    assert EXAMPLE_INPUT["sentiment"] not in use
    md = rendered.with_name("report.md").read_text(encoding="utf-8")
    use_md = md[md.index("## Use a recommended model"):]
    assert _snippet_task(use_md) == "ner" and EXAMPLE_INPUT["ner"] in use_md
    assert EXAMPLE_INPUT["sentiment"] not in use_md


def test_every_task_has_an_example_input_without_quotes():
    assert set(EXAMPLE_INPUT) == {"sentiment", "ner", "translation"}
    assert not any(q in text for text in EXAMPLE_INPUT.values() for q in "'\"\\")
