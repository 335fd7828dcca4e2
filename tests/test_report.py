import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from keras import layers  # noqa: E402

from book.lib import config, costs, report  # noqa: E402

NBSP = "\u202f"  # narrow no-break space: the Spanish thousands separator.
UNIT = "\u00a0"  # no-break space: before a unit or suffix.


@pytest.mark.parametrize("value, lang, decimals, expected", [
    (101, "en", 0, "101"),
    (10201, "en", 0, "10,201"),
    (10201, "es", 0, f"10{NBSP}201"),
    (4500, "es", 0, "4500"),          # Spanish groups only numbers of five digits or more.
    (4500, "en", 0, "4,500"),
    (15470264320, "es", 0, f"15{NBSP}470{NBSP}264{NBSP}320"),
    (0.914, "es", 3, "0,914"),
    (1234.5, "en", 1, "1,234.5"),
    (-12345.678, "es", 2, f"-12{NBSP}345,68"),
    (np.int64(138357544), "en", 0, "138,357,544"),
])
def test_format_number(value, lang, decimals, expected):
    assert report.format_number(value, lang, decimals) == expected


def test_format_percent():
    assert report.format_percent(0.9143, "en") == "91.4%"
    assert report.format_percent(0.9143, "es") == "91,4\u00a0%"


def test_format_number_errors():
    with pytest.raises(TypeError, match="received '12'"):
        report.format_number("12", "en")
    with pytest.raises(ValueError, match="received lang='de'"):
        report.format_number(12, "de")
    with pytest.raises(ValueError, match="decimals must be a non-negative integer"):
        report.format_number(12, "en", -1)


def test_glue_returns_nothing_so_cells_print_nothing(monkeypatch, capsys):
    monkeypatch.setenv("BOOK_BUILD", "1")
    assert report.glue("answer", 42, "en") is None
    assert capsys.readouterr().out == ""  # The website shows it in the prose only.


def test_glue_shows_name_and_value_outside_a_book_build(monkeypatch, capsys):
    # The Colab edition's prose points at this output (book/_ext/colab_edition.py).
    monkeypatch.delenv("BOOK_BUILD", raising=False)
    assert report.glue("mlp_params", 235146, "es") is None
    assert report.glue("accuracy", 0.9143, "en", decimals=1, percent=True) is None
    assert capsys.readouterr().out == f"mlp_params = 235{NBSP}146\naccuracy = 91.4%\n"


@pytest.mark.parametrize("value, lang, decimals, percent, shown", [
    (1792, "en", 0, False, "1,792"),          # Not the tuple (1, 792).
    (0.286, "es", 3, False, "0,286"),         # Not the tuple (0, 286).
    (10201, "es", 0, False, f"10{NBSP}201"),
    (0.9143, "en", 1, True, "91.4%"),
    (101, None, 0, False, "101"),
])
def test_glued_numbers_reach_the_page_as_written(value, lang, decimals, percent, shown):
    # What myst-nb does with a glued value for {glue:text}: read its repr back.
    from myst_nb.core.variables import format_plain_text

    page_value = report.page_value(value, lang, decimals, percent)
    assert format_plain_text(repr(page_value), "") == shown


def test_table_formats_numbers_per_language():
    frame = pd.DataFrame({"layer": ["conv"], "params": [1792], "macs": [86704128]})
    html = report.table(frame, "es", headers={"params": "parámetros"}).to_html()
    assert f"86{NBSP}704{NBSP}128" in html
    assert f"1{NBSP}792" in html  # Grouped in a column, unlike in running text.
    assert "parámetros" in html and ">params<" not in html
    assert "86,704,128" in report.table(frame, "en").to_html()


# ---------------------------------------------------------------------------
# The table of words.
# ---------------------------------------------------------------------------


def test_every_word_is_in_both_languages():
    for key, entry in report.WORDS.items():
        assert set(entry) == set(config.LANGUAGES), (
            f"WORDS[{key!r}] has {sorted(entry)}; it needs {sorted(config.LANGUAGES)}")
        assert re.fullmatch(r"[a-z]+\.[a-z0-9_]+", key), key


def test_words_of_a_kind_have_the_same_shape_in_both_languages():
    for key, entry in report.WORDS.items():
        en, es = entry["en"], entry["es"]
        assert type(en) is type(es), key
        if isinstance(en, tuple):
            assert len(en) == len(es), key
        if isinstance(en, str):  # The same {placeholders} to fill in.
            assert re.findall(r"{(\w+)}", en) == re.findall(r"{(\w+)}", es), key


def test_word_and_words():
    assert report.word("table.params", "es") == "parámetros"
    assert report.word("plot.params", "en") == "Parameters"
    assert report.words("table", "en")["relative_saving"] == "relative saving"
    assert set(report.words("plot", "es")) == {
        key.removeprefix("plot.") for key in report.WORDS if key.startswith("plot.")}


@pytest.mark.parametrize("call, message", [
    (lambda: report.word("table.parms", "es"),
     r"report.WORDS has no word 'table.parms' \(asked for lang='es'\); add it"),
    (lambda: report.word("table.params", "fr"), r"received lang='fr'"),
    (lambda: report.words("tables", "en"),
     r"report.WORDS has no group 'tables'; its groups are \[.*'plot', 'table'.*\]"),
])
def test_missing_words_are_errors_that_name_key_and_language(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_word_missing_in_one_language_is_an_error(monkeypatch):
    monkeypatch.setitem(report.WORDS, "table.new", {"en": "new"})
    with pytest.raises(ValueError, match=r"WORDS\['table.new'\] has no 'es' translation"):
        report.word("table.new", "es")


# ---------------------------------------------------------------------------
# Cost tables rendered for the page (the rows come from costs).
# ---------------------------------------------------------------------------


def _small_table():
    inputs = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(4, 3, name="block1_conv")(inputs)
    x = layers.MaxPooling2D(2, name="block1_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(2, name="head")(x)
    return costs.layer_costs(keras.Model(inputs, outputs))


def test_every_column_of_costs_has_a_title():
    table = _small_table()
    # compare's first two columns are the chapter's own labels, in its language.
    compared = costs.compare(table, table, labels=("a", "b"))
    columns = {*table.columns, *compared.columns[2:], *compared.index,
               *costs.block_totals(table).columns, "total"}
    assert columns - set(report.words("table", "en")) == set()


def test_format_shape():
    assert report.format_shape((224, 224, 64)) == "224 × 224 × 64"
    assert report.format_shape([(7, 7, 512), (1000,)]) == "7 × 7 × 512; 1000"
    assert report.format_shape(None) == "None"


@pytest.mark.parametrize("n, lang, expected", [
    (138_357_544, "en", "138,357,544"),
    (138_357_544, "es", f"138{NBSP}357{NBSP}544"),
    (4500, "es", f"4{NBSP}500"),
    (-1234, "en", "-1,234"),
    (512, "es", "512"),
])
def test_format_int(n, lang, expected):
    assert report.format_int(n, lang) == expected


def test_format_int_four_digits_in_spanish_prose():
    # RAE: four-digit numbers are not split in running text.
    assert report.format_int(4500, "es", group_four_digits=False) == "4500"
    assert report.format_int(45000, "es", group_four_digits=False) == (
        f"45{NBSP}000")


@pytest.mark.parametrize("n, lang, expected", [
    (15_470_264_320, "en", f"15.47{UNIT}G"),
    (15_470_264_320, "es", f"15,47{UNIT}G"),
    (138_357_544, "en", f"138.36{UNIT}M"),
    (568_740_352, "es", f"568,74{UNIT}M"),
    (999_999, "en", f"1.00{UNIT}M"),
    (1_500, "en", f"1.50{UNIT}K"),
    (-2_500_000, "es", f"-2,50{UNIT}M"),
    (512, "en", "512"),
])
def test_human(n, lang, expected):
    assert report.human(n, lang) == expected


def test_format_table_languages():
    table = _small_table()
    english = report.format_table(table, "en")
    spanish = report.format_table(table, "es")
    assert list(english.columns) == [
        "layer", "type", "output shape", "params", "MACs", "bias adds",
        "normalization ops", "pooling ops", "element-wise ops",
        "activation ops"]
    assert list(spanish.columns) == [
        "capa", "tipo", "forma de salida", "parámetros", "MACs",
        "sumas de sesgo", "ops. de normalización", "ops. de pooling",
        "ops. elemento a elemento", "ops. de activación"]
    assert english.iloc[1]["output shape"] == "6 × 6 × 4"
    assert english.iloc[1]["MACs"] == f"{6 * 6 * 3 * 3 * 3 * 4:,}"
    assert spanish.iloc[1]["MACs"] == f"{6 * 6 * 3 * 3 * 3 * 4:,}".replace(
        ",", NBSP)
    assert (english.map(type) == str).all().all()
    human_counts = report.format_table(table, "es", human_counts=True)
    assert human_counts.iloc[1]["MACs"] == f"3,89{UNIT}K"  # 3888 MACs.


def test_format_table_compare_and_totals():
    result = costs.compare(pd.Series({"macs": 120_422_400}),
                           pd.Series({"macs": 12_443_648}),
                           labels=("sin", "con"))
    spanish = report.format_table(result, "es")
    assert list(spanish.columns) == ["sin", "con", "ahorro",
                                     "ahorro relativo", "cociente"]
    assert spanish.index.tolist() == ["MACs", "FLOPs"]
    assert spanish.loc["MACs", "ahorro relativo"] == f"89,67{UNIT}%"
    assert spanish.loc["MACs", "cociente"] == "9,68×"
    english = report.format_table(result, "en")
    assert english.loc["MACs", "relative saving"] == "89.67%"
    total = costs.totals(_small_table())
    rendered = report.format_table(total, "en")
    assert rendered.loc["params", "total"] == f"{total['params']:,}"


@pytest.mark.parametrize("function", [
    lambda: report.format_table(pd.DataFrame(), "fr"),
    lambda: report.human(1, "EN"),
    lambda: report.format_int(1, "es-ES"),
])
def test_bad_lang_is_an_error(function):
    with pytest.raises(ValueError, match=r"lang must be one of \('es', "
                                         r"'en'\); received lang="):
        function()


def test_format_table_rejects_other_inputs():
    with pytest.raises(TypeError, match="received list"):
        report.format_table([1, 2], "en")


