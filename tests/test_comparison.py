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


def assigned_literals(lang: str, chapter: str) -> dict[str, dict]:
    """The literal values that a chapter's ``parameters`` cell assigns (full mode),
    and those that the ``if config.quick_mode():`` of the next cell assigns (quick)."""
    notebook = json.loads((ROOT / "book" / lang / f"{chapter}.ipynb")
                          .read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    index = next(i for i, cell in enumerate(code)
                 if "parameters" in cell.get("metadata", {}).get("tags", []))

    def literals(statements) -> dict:
        values = {}
        for node in statements:
            if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                continue
            target, value = node.targets[0], node.value
            pairs = (zip(target.elts, value.elts)
                     if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
                     else [(target, value)])
            for name, expression in pairs:
                try:
                    values[name.id] = ast.literal_eval(expression)
                except ValueError:
                    pass  # An expression (models.RECIPES[...]): not a literal.
        return values

    full = literals(ast.parse("".join(code[index]["source"])).body)
    quick = {}
    for node in ast.parse("".join(code[index + 1]["source"])).body:
        if isinstance(node, ast.If) and "quick_mode" in ast.unparse(node.test):
            quick = literals(node.body)
    return {"full": full, "quick": {**full, **quick}}


#: The capstone's copies of other chapters' sizes: (its name, chapter, the chapter's name).
MIRRORED = [("validation_size", "augmentation", "validation_size"),
            ("validation_size", "hparam_search", "validation_size"),
            ("small_train_size", "augmentation", "train_size"),
            ("pool_size", "hparam_search", "pool_size"),
            ("tunable_epochs", "hparam_search", "full_epochs")]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("mode", ["full", "quick"])
@pytest.mark.parametrize("ours, chapter, theirs", MIRRORED)
def test_the_capstone_trains_on_the_chapters_own_sizes(lang, mode, ours, chapter, theirs):
    # Otherwise the capstone trains another run than the chapter's (hparam_search's
    # pool went from 15,000 to 8,000 images while the capstone kept 15,000), and in
    # a book build it trains it again instead of finding the chapter's in the cache.
    capstone = assigned_literals(lang, "comparison")[mode]
    source = assigned_literals(lang, chapter)[mode]
    assert capstone[ours] == source[theirs], (
        f"book/{lang}/comparison.ipynb ({mode} mode): {ours}={capstone[ours]!r}, but "
        f"book/{lang}/{chapter}.ipynb has {theirs}={source[theirs]!r}")
