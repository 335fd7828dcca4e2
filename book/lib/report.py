"""Numbers for the page: formatting in the reader's language, and ``glue``.

Every number that a chapter's prose quotes is computed by the notebook and
handed to the page with :func:`glue`; the prose refers to it by name
(``{glue:text}`name```). Nothing is typed in by hand.

Formatting follows each language's convention:

* English: ``10,201`` and ``91.4``.
* Spanish (RAE and SI): a narrow no-break space (U+202F) groups thousands in
  numbers of five digits or more in running text (``4500``, ``10 201``; tables
  group four-digit numbers too, to keep columns aligned) and the decimal mark
  is a comma (``91,4``).
"""

from __future__ import annotations

import numbers

from book.lib.config import check_language

_GROUP = {"en": ",", "es": "\u202f"}
_DECIMAL = {"en": ".", "es": ","}


def format_number(value, lang: str = "en", decimals: int = 0,
                  group_four_digits: bool = False) -> str:
    """A number as the reader's language writes it.

    Args:
        value: an int or float (NumPy scalars included).
        lang: ``"es"`` or ``"en"``.
        decimals: digits after the decimal mark.
        group_four_digits: group four-digit numbers in Spanish too (``4 500``),
            as tables do; running text writes ``4500``. English always groups.

    Returns:
        The formatted number, e.g. ``format_number(10201, "es") == "10 201"``
        (with a narrow no-break space) and ``format_number(0.914, "en", 3)``
        ``== "0.914"``.
    """
    check_language(lang)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"value must be a real number; received {value!r} "
            f"of type {type(value).__name__}.")
    if not isinstance(decimals, int) or decimals < 0:
        raise ValueError(
            f"decimals must be a non-negative integer; received {decimals!r}.")
    text = f"{float(value) if decimals else round(value):,.{decimals}f}"
    integer, _, fraction = text.partition(".")
    digits = integer.lstrip("-").replace(",", "")
    if lang == "es" and len(digits) <= 4 and not group_four_digits:
        integer = integer.replace(",", "")
    integer = integer.replace(",", _GROUP[lang])
    return integer + (_DECIMAL[lang] + fraction if fraction else "")


def format_percent(fraction, lang: str = "en", decimals: int = 1) -> str:
    """A fraction in [0, 1] as a percentage: ``0.9143 -> "91.4%"`` / ``"91,4 %"``.

    Spanish separates the percent sign with a (non-breaking) space; English
    does not.
    """
    number = format_number(100 * float(fraction), lang, decimals)
    return number + ("\u00a0%" if lang == "es" else "%")


def page_value(value, lang: str | None = None, decimals: int = 0,
               percent: bool = False):
    """What :func:`glue` hands to the page: numbers formatted for ``lang``.

    Formatted numbers are handed over as strings. myst-nb shows a glued value
    through its ``repr`` and strips the quotes of a string literal, so
    ``"10,201"`` reaches the page as 10,201 (a custom ``repr`` without quotes
    would be read back as the tuple ``(10, 201)``).
    """
    if lang is not None and isinstance(value, numbers.Real) and not isinstance(value, bool):
        return (format_percent(value, lang, decimals) if percent
                else format_number(value, lang, decimals))
    return value


def glue(name: str, value, lang: str | None = None, decimals: int = 0,
         percent: bool = False):
    """Hands a computed value to the page under ``name``, without displaying it.

    Numbers are formatted for ``lang`` first, so that ``{glue:text}`name``` in
    the prose reads naturally in each language. Outside a Jupyter Book build
    (in Colab, say) ``myst_nb`` may be missing: then the value is only returned.

    Args:
        name: the key that the prose uses; unique within the page.
        value: a number, a string, or any object that the page can display
            (a DataFrame, a matplotlib figure).
        lang: format numbers for this language (``"es"``/``"en"``); None keeps
            the value as it is.
        decimals: digits after the decimal mark, for numbers.
        percent: show a fraction in [0, 1] as a percentage.

    Returns:
        None, so that a ``glue`` call at the end of a cell prints nothing.
    """
    shown = page_value(value, lang, decimals, percent)
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab and plain Jupyter need no glue.
        return None
    myst_glue(name, shown, display=False)
    return None


def table(frame, lang: str = "en", headers: dict | None = None,
          decimals: dict | None = None):
    """A DataFrame styled for the page: numbers in the reader's language, no index.

    Args:
        frame: the table, one row per item; its own column names stay in English
            (they are code), ``headers`` gives what the page shows.
        lang: ``"es"`` or ``"en"``: thousands separators and decimal mark
            (in a column, Spanish groups four-digit numbers too: ``9 408``).
        headers: optional mapping from column name to the header to show.
        decimals: optional mapping from column name to digits after the decimal
            mark (default 0 for integers and 2 for other numbers).

    Returns:
        A pandas ``Styler``, which notebooks and the website render as a table.
    """
    import pandas as pd

    check_language(lang)
    decimals = dict(decimals or {})
    formats = {}
    for column in frame.columns:
        if pd.api.types.is_bool_dtype(frame[column]):
            continue
        if pd.api.types.is_numeric_dtype(frame[column]):
            digits = decimals.get(
                column, 0 if pd.api.types.is_integer_dtype(frame[column]) else 2)
            formats[column] = (
                lambda v, d=digits: "" if pd.isna(v)
                else format_number(v, lang, d, group_four_digits=True))
    styler = frame.style.format(formats).hide(axis="index")
    if formats:
        styler = styler.set_properties(subset=list(formats), **{"text-align": "right"})
    styler = styler.set_table_attributes('class="book-table"')
    if headers:
        styler = styler.relabel_index(
            [headers.get(c, c) for c in frame.columns], axis="columns")
    return styler
