"""Tests of the chapter ``comparison``: its table covers every small network.

The chapter lists each model of ``book.lib.models`` in a dict literal,
``CHAPTER_RUNS`` (model name: (chapter, data)), and trains and times every
entry. These tests read that dict from the notebooks' code (no execution) and
fail when a model of ``book.lib.models`` (a key of ``RECIPES`` or a public
``fashion_*`` builder) is missing from it, or when it names a model that does
not exist.
"""

import ast
import inspect
import json
from pathlib import Path

import pytest

from book.lib import models

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("es", "en")
CHAPTERS = {path.stem for path in (ROOT / "book" / "en").glob("*.ipynb")}


def chapter_runs(lang: str) -> dict:
    """The ``CHAPTER_RUNS`` literal of book/<lang>/comparison.ipynb."""
    notebook = json.loads((ROOT / "book" / lang / "comparison.ipynb")
                          .read_text(encoding="utf-8"))
    found = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        text = "".join(cell["source"])
        if "CHAPTER_RUNS" not in text or text.lstrip().startswith("%"):
            continue
        for node in ast.walk(ast.parse(text)):
            if (isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "CHAPTER_RUNS"
                            for t in node.targets)):
                found.append(ast.literal_eval(node.value))
    assert len(found) == 1, f"book/{lang}/comparison.ipynb must define CHAPTER_RUNS once"
    return found[0]


def public_builders() -> set[str]:
    return {name for name, obj in vars(models).items()
            if name.startswith("fashion_") and inspect.isfunction(obj)
            and obj.__module__ == models.__name__}


def missing_models(runs: dict) -> set[str]:
    return (set(models.RECIPES) | public_builders()) - set(runs)


@pytest.mark.parametrize("lang", LANGS)
def test_every_model_of_the_library_is_in_the_table(lang):
    runs = chapter_runs(lang)
    missing = missing_models(runs)
    assert not missing, (f"book/{lang}/comparison.ipynb: CHAPTER_RUNS lacks {sorted(missing)}; "
                         "add each model with its chapter and the data it trains on there")
    unknown = set(runs) - set(models.RECIPES)
    assert not unknown, f"CHAPTER_RUNS names models without a recipe: {sorted(unknown)}"


@pytest.mark.parametrize("lang", LANGS)
def test_each_run_names_an_existing_chapter_and_a_known_data_kind(lang):
    for name, (chapter, kind) in chapter_runs(lang).items():
        assert chapter in CHAPTERS, f"{name}: no chapter book/en/{chapter}.ipynb"
        assert kind in ("all", "small", "pool"), f"{name}: unknown data kind {kind!r}"


def test_the_check_fails_when_a_model_is_dropped():
    runs = dict(chapter_runs("en"))
    runs.pop("fashion_mobilenet")
    assert missing_models(runs) == {"fashion_mobilenet"}
