"""The book's structure: table of contents, language twins, setup cells, outputs.

These tests read files only; they run in a second or two.
"""

import ast
import io
import json
import re
import tokenize
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("es", "en")
NOTEBOOKS = sorted((ROOT / "book").glob("[a-z][a-z]/*.ipynb"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(path: Path) -> list[dict]:
    return [c for c in load(path)["cells"] if c["cell_type"] == "code"]


def source(cell: dict) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def code_tokens(text: str) -> list[str]:
    """The code of a cell without comments, string literals and layout.

    Two cells with the same tokens differ only in what a reader reads (comments,
    printed sentences, plot labels), which is what the two languages may change.
    """
    skip = {tokenize.COMMENT, tokenize.STRING, tokenize.NL, tokenize.NEWLINE,
            tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER}
    fstring = {getattr(tokenize, n) for n in
               ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, n)}
    tokens, depth = [], 0
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == getattr(tokenize, "FSTRING_START", None):
            depth += 1
        elif tok.type == getattr(tokenize, "FSTRING_END", None):
            depth -= 1
        elif tok.type not in skip and tok.type not in fstring and depth == 0:
            tokens.append(tok.string)
    return tokens


def toc_parts() -> dict[str, list[str]]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return {part["caption"]: [ch["file"] for ch in part["chapters"]]
            for part in toc["parts"]}


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def test_code_tokens_ignore_strings_and_comments():
    assert code_tokens('print("Hola")  # es\n') == code_tokens("print('Hello')\n")
    assert code_tokens('print(f"{x} Hola")\n') == code_tokens('print(f"{x} Hello")\n')
    assert code_tokens("x = 1\n") != code_tokens("x = 2\n")


#: The appendices, in their order: the same pages in both languages, after the chapters.
APPENDICES = ("glossary", "errata", "references")


def test_toc_has_a_spanish_and_an_english_part_with_the_same_chapters():
    parts = toc_parts()
    assert list(parts) == ["Español", "Apéndices", "English", "Appendices"]
    for chapters, appendices, lang in (("Español", "Apéndices", "es"),
                                       ("English", "Appendices", "en")):
        assert all(f.startswith(f"book/{lang}/") for f in parts[chapters] + parts[appendices])
    es = [f.removeprefix("book/es/") for f in parts["Español"]]
    en = [f.removeprefix("book/en/") for f in parts["English"]]
    assert es == en, "both parts must list the same chapters in the same order"
    for caption in ("Apéndices", "Appendices"):
        assert [f.rsplit("/", 1)[-1] for f in parts[caption]] == list(APPENDICES), (
            f"the {caption} part must list {APPENDICES} in that order")
    assert not set(APPENDICES) & {f.rsplit("/", 1)[-1] for f in parts["English"]}, (
        "an appendix is listed among the chapters")


def test_appendices_are_unnumbered_and_known_to_the_extensions():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    numbered = {part["caption"]: part.get("numbered", False) for part in toc["parts"]}
    assert numbered == {"Español": True, "Apéndices": False, "English": True,
                        "Appendices": False}
    # The instructors' tooling skips the appendices by this name list.
    text = (ROOT / "book" / "_ext" / "bilingual.py").read_text(encoding="utf-8")
    match = re.search(r"^APPENDICES = (.+)$", text, flags=re.M)
    assert match and ast.literal_eval(match.group(1)) == APPENDICES


def test_every_toc_entry_exists_and_every_notebook_is_listed():
    files = [f for chapters in toc_parts().values() for f in chapters]
    for entry in files:
        candidates = [ROOT / f"{entry}{ext}" for ext in (".ipynb", ".md")]
        assert any(p.exists() for p in candidates), f"_toc.yml lists {entry}, which does not exist"
    listed = set(files)
    for path in NOTEBOOKS:
        entry = path.relative_to(ROOT).with_suffix("").as_posix()
        assert entry in listed, f"{entry} is not in _toc.yml"


def test_file_names_are_topic_slugs_without_numbers():
    for path in NOTEBOOKS:
        # A version of the architecture is part of its name (inception_v4);
        # an ordering number is not.
        assert re.fullmatch(r"[a-z][a-z_]*[a-z](_v\d+)?", path.stem), (
            f"{path.name}: chapter files are named by topic (e.g. vgg.ipynb, "
            "inception_v4.ipynb); the reading order lives in _toc.yml")


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_has_a_twin(lang):
    other = "en" if lang == "es" else "es"
    for path in (ROOT / "book" / lang).iterdir():
        if path.suffix in (".ipynb", ".md"):
            twin = ROOT / "book" / other / path.name
            assert twin.exists(), f"book/{lang}/{path.name} has no twin book/{other}/{path.name}"


@pytest.mark.parametrize("name", sorted({p.name for p in NOTEBOOKS}))
def test_twins_have_the_same_code(name):
    es = code_cells(ROOT / "book" / "es" / name)
    en = code_cells(ROOT / "book" / "en" / name)
    assert len(es) == len(en), f"{name}: {len(es)} code cells in es, {len(en)} in en"
    for i, (a, b) in enumerate(zip(es, en)):
        assert code_tokens(source(a)) == code_tokens(source(b)), (
            f"{name}: code cell {i} differs between es and en beyond comments and "
            f"strings.\n--- es ---\n{source(a)}\n--- en ---\n{source(b)}")
        assert a.get("metadata", {}).get("tags", []) == b.get("metadata", {}).get("tags", []), (
            f"{name}: code cell {i} has different tags in es and en")


def heading_levels(path: Path) -> list[int]:
    """The levels of the markdown headings of a notebook, in order (fenced code skipped)."""
    levels, fenced = [], False
    for cell in load(path)["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for line in source(cell).splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            elif not fenced and (match := re.match(r"(#{1,6}) ", line)):
                levels.append(len(match.group(1)))
    return levels


@pytest.mark.parametrize("name", sorted({p.name for p in NOTEBOOKS}))
def test_twins_have_the_same_headings(name):
    # The same sections in the same order: a heading lost in translation shows up
    # here, before the build's "H1 to H3" warning (senet's Spanish twin once lost one).
    es = heading_levels(ROOT / "book" / "es" / name)
    en = heading_levels(ROOT / "book" / "en" / name)
    assert es == en, f"{name}: heading levels differ between es {es} and en {en}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_notebooks_are_stored_without_outputs(path):
    for i, cell in enumerate(code_cells(path)):
        assert cell["outputs"] == [], f"code cell {i} has stored outputs: clear them"
        assert cell["execution_count"] is None, f"code cell {i} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_cells_that_draw_a_figure_give_it_alternative_text(path):
    # A figure drawn with plt.show() is an <img> on the site; without the cell's
    # mystnb.image.alt its alternative text is the file path (the browser suite
    # checks the rendered pages too; this catches it before the build).
    for i, cell in enumerate(code_cells(path)):
        if "plt.show()" in code_text(source(cell)):
            alt = cell["metadata"].get("mystnb", {}).get("image", {}).get("alt", "")
            assert alt.strip(), (f"code cell {i} draws a figure without alternative text: "
                                 "describe it in the cell's metadata, mystnb.image.alt")


def test_setup_cell_is_the_same_everywhere_and_names_the_repository():
    url = config()["repository"]["url"]
    first_cells = {}
    for path in NOTEBOOKS:
        cell = code_cells(path)[0]
        text = source(cell)
        assert "remove-cell" in cell.get("metadata", {}).get("tags", []), (
            f"{path.name}: the setup cell must be tagged remove-cell")
        match = re.search(r'^REPO_URL = "([^"]+)"$', text, flags=re.M)
        assert match, f"{path}: the first code cell must be the setup cell with REPO_URL"
        assert match.group(1) == url, (
            f"{path}: REPO_URL is {match.group(1)!r}, but _config.yml's "
            f"repository.url is {url!r}")
        assert "pip install" not in text, "the setup cell must never install packages"
        first_cells[path] = text
    assert len(set(first_cells.values())) == 1, "setup cells differ between notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_notebooks_that_train_have_a_parameters_cell(path):
    cells = code_cells(path)
    trains = any(re.search(r"\.fit\(|training\.train\(", source(c)) for c in cells)
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if trains:
        assert len(tagged) == 1, f"{path.name} trains, so it needs one cell tagged parameters"


def code_text(text: str) -> str:
    """A cell's code without comments and strings, tokens joined as written
    (``keras.utils.Sequence`` stays one word, whatever the spacing)."""
    return "".join(code_tokens(text))


def test_code_text_sees_old_apis_in_code_only():
    assert "keras.utils.Sequence" in code_text("class Batches(keras.utils.Sequence):\n    pass\n")
    assert "fit_generator" in code_text("model.fit_generator(batches)\n")
    assert "ImageDataGenerator" not in code_text('print("ImageDataGenerator")  # ImageDataGenerator\n')


def test_notebooks_use_modern_keras_only():
    banned = {
        "fit_generator": "model.fit",
        "ImageDataGenerator": "preprocessing layers",
        "keras.utils.Sequence": "keras.utils.PyDataset",
        "keras.layers.merge": "layers.Concatenate",
    }
    sources = {path: path.read_text(encoding="utf-8")
               for path in (ROOT / "book" / "lib").glob("*.py")}
    # A notebook may name an old API in its prose, its comments and its strings
    # (augmentation maps ImageDataGenerator's arguments to layers); its code may
    # not use it.
    for path in NOTEBOOKS:
        sources[path] = "\n".join(code_text(source(cell)) for cell in code_cells(path))
    for path, text in sources.items():
        for old, new in banned.items():
            assert old not in text, f"{path.name} uses {old}; use {new} (Keras 3)"
