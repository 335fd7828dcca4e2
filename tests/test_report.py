import numpy as np
import pandas as pd
import pytest

from book.lib import report

NBSP = "\u202f"  # narrow no-break space


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


def test_glue_returns_nothing_so_cells_print_nothing():
    assert report.glue("answer", 42, "en") is None


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
