"""What reaches the page: words, numbers and tables in the reader's language.

Data flows one way: model -> ``costs`` rows -> ``report`` table -> page. This
module holds the one table of translated words of ``book.lib`` (:data:`WORDS`,
read with :func:`word` and :func:`words`), formats numbers, renders cost
tables (:func:`format_table`, :func:`table`) and glues values to the page.

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

import math
import numbers
import os
from typing import Any

import pandas as pd

from book.lib.config import check_language

_GROUP = {"en": ",", "es": "\u202f"}
_DECIMAL = {"en": ".", "es": ","}

#: Every word that ``book.lib`` puts on a page, ``WORDS[key][lang]``, both
#: languages side by side. Keys are ``<group>.<word>``: ``table.*`` titles the
#: columns and rows of cost tables (:func:`format_table`), ``plot.*`` labels
#: figures (``plots``), ``data.*`` is Fashion-MNIST's (``data``). A chapter's
#: own words stay in the chapter; a word that a second chapter or a lib module
#: needs comes here, with both languages (``tests/test_report.py`` checks).
WORDS: dict[str, dict[str, Any]] = {
    # Cost tables: column names of costs.layer_costs, block_totals and compare,
    # and the rows of totals.
    "table.name": {"en": "layer", "es": "capa"},
    "table.type": {"en": "type", "es": "tipo"},
    "table.output_shape": {"en": "output shape", "es": "forma de salida"},
    "table.params": {"en": "params", "es": "parámetros"},
    "table.macs": {"en": "MACs", "es": "MACs"},
    "table.flops": {"en": "FLOPs", "es": "FLOPs"},
    "table.bias_adds": {"en": "bias adds", "es": "sumas de sesgo"},
    "table.norm_ops": {"en": "normalization ops", "es": "ops. de normalización"},
    "table.pool_ops": {"en": "pooling ops", "es": "ops. de pooling"},
    "table.elementwise_ops": {"en": "element-wise ops",
                              "es": "ops. elemento a elemento"},
    "table.activation_ops": {"en": "activation ops", "es": "ops. de activación"},
    "table.block": {"en": "block", "es": "bloque"},
    "table.layers": {"en": "layers", "es": "capas"},
    "table.saving": {"en": "saving", "es": "ahorro"},
    "table.relative_saving": {"en": "relative saving", "es": "ahorro relativo"},
    "table.ratio": {"en": "ratio", "es": "cociente"},
    "table.total": {"en": "total", "es": "total"},
    # Figures (plots): axis labels, legends, titles.
    "plot.epoch": {"en": "Epoch", "es": "Época"},
    "plot.loss": {"en": "Loss", "es": "Pérdida"},
    "plot.accuracy": {"en": "Accuracy", "es": "Exactitud"},
    "plot.train": {"en": "training", "es": "entrenamiento"},
    "plot.val": {"en": "validation", "es": "validación"},
    "plot.true": {"en": "true", "es": "real"},
    "plot.pred": {"en": "predicted", "es": "predicha"},
    "plot.true_class": {"en": "True class", "es": "Clase real"},
    "plot.pred_class": {"en": "Predicted class", "es": "Clase predicha"},
    "plot.class": {"en": "class", "es": "clase"},
    "plot.precision": {"en": "precision", "es": "precisión"},
    "plot.recall": {"en": "recall", "es": "exhaustividad"},
    "plot.f1": {"en": "F1", "es": "F1"},
    "plot.support": {"en": "support", "es": "ejemplos"},
    "plot.macs": {"en": "MACs", "es": "MACs"},
    "plot.flops": {"en": "FLOPs", "es": "FLOPs"},
    "plot.params": {"en": "Parameters", "es": "Parámetros"},
    "plot.seconds": {"en": "Seconds", "es": "Segundos"},
    "plot.images_per_second": {"en": "Images per second",
                               "es": "Imágenes por segundo"},
    "plot.saving": {"en": "Saving", "es": "Ahorro"},
    "plot.fewer": {"en": "fewer", "es": "menos"},
    "plot.more": {"en": "more", "es": "más"},
    "plot.channel": {"en": "channel", "es": "canal"},
    "plot.input": {"en": "input", "es": "entrada"},
    "plot.conv": {"en": "conv.", "es": "conv."},
    "plot.max_pool": {"en": "max pool", "es": "max pooling"},
    "plot.concat": {"en": "concatenation", "es": "concatenación"},
    "plot.mistakes": {"en": "Mistakes", "es": "Errores"},
    "plot.no_mistakes": {"en": "No mistakes: every prediction is right.",
                         "es": "Ningún error: todas las predicciones aciertan."},
    "plot.maps_title": {"en": "{layer}: {shown} of {total} channels",
                        "es": "{layer}: {shown} de {total} canales"},
    "plot.mistakes_title": {"en": "{shown} of {total} mistakes ({count} images)",
                            "es": "{shown} de {total} errores ({count} imágenes)"},
    # The machine that ran the notebook (hardware.describe).
    "hardware.gpu": {"en": "a {names} GPU", "es": "una GPU {names}"},
    "hardware.cpu": {"en": "a CPU without a GPU ({model}, {cores} cores)",
                     "es": "una CPU sin GPU ({model}, {cores} núcleos)"},
    "hardware.cpu_one_core": {"en": "a CPU without a GPU ({model}, 1 core)",
                              "es": "una CPU sin GPU ({model}, 1 núcleo)"},
    # Fashion-MNIST (data): the class names in label order, and what to do
    # when the files are missing.
    "data.class_names": {
        "en": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        "es": ("Camiseta/top", "Pantalón", "Suéter", "Vestido", "Abrigo",
               "Sandalia", "Camisa", "Zapatilla", "Bolso", "Botín"),
    },
    "data.unavailable": {
        "en": (
            "Fashion-MNIST is not available on this machine and could not be "
            "downloaded ({cause}).\n"
            "How to get it:\n"
            "  * With internet (or in Colab), run the cell again: Keras downloads "
            "the four files once into ~/.keras/datasets/fashion-mnist.\n"
            "  * Offline on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist, "
            "then either export KERAS_HOME=/usr/share before starting Jupyter (as "
            "root), or link the folder into your Keras cache:\n"
            "      mkdir -p ~/.keras/datasets && "
            "ln -s /usr/share/datasets/fashion-mnist ~/.keras/datasets/\n"
            "  * Or copy the four .gz files from another machine into "
            "~/.keras/datasets/fashion-mnist/."),
        "es": (
            "Fashion-MNIST no está en esta máquina y no se ha podido descargar "
            "({cause}).\n"
            "Cómo conseguirlo:\n"
            "  * Con internet (o en Colab), vuelve a ejecutar la celda: Keras "
            "descarga una vez los cuatro archivos en ~/.keras/datasets/fashion-mnist.\n"
            "  * Sin conexión en Debian/Ubuntu: sudo apt-get install "
            "dataset-fashion-mnist y después exporta KERAS_HOME=/usr/share antes "
            "de abrir Jupyter (como root) o enlaza la carpeta en la caché de Keras:\n"
            "      mkdir -p ~/.keras/datasets && "
            "ln -s /usr/share/datasets/fashion-mnist ~/.keras/datasets/\n"
            "  * O copia los cuatro archivos .gz desde otra máquina en "
            "~/.keras/datasets/fashion-mnist/."),
    },
    "data.corrupt": {
        "en": (
            "Fashion-MNIST is in the Keras cache, but damaged ({cause}). These "
            "files are truncated or corrupt:\n{files}\n"
            "Running the cell again fails the same way: Keras never downloads "
            "over an existing file. How to fix it:\n"
            "  * Delete them (rm {paths}) and run the cell again: with internet "
            "(or in Colab) Keras downloads them afresh.\n"
            "  * Offline, copy sound ones in their place: sudo apt-get install "
            "--reinstall dataset-fashion-mnist puts them under "
            "/usr/share/datasets/fashion-mnist, or copy the .gz files from "
            "another machine."),
        "es": (
            "Fashion-MNIST está en la caché de Keras, pero dañado ({cause}). "
            "Estos archivos están truncados o corruptos:\n{files}\n"
            "Volver a ejecutar la celda falla igual: Keras nunca descarga sobre "
            "un archivo que ya existe. Cómo arreglarlo:\n"
            "  * Bórralos (rm {paths}) y vuelve a ejecutar la celda: con "
            "internet (o en Colab) Keras los descarga de nuevo.\n"
            "  * Sin conexión, copia unos sanos en su lugar: sudo apt-get "
            "install --reinstall dataset-fashion-mnist los deja en "
            "/usr/share/datasets/fashion-mnist, o copia los archivos .gz desde "
            "otra máquina."),
    },
}


def word(key: str, lang: str) -> Any:
    """The word (or sentence, or tuple of names) ``key`` of :data:`WORDS` in ``lang``.

    Args:
        key: ``"<group>.<word>"``, e.g. ``"table.params"`` or ``"plot.epoch"``.
        lang: ``"es"`` or ``"en"``.

    Returns:
        What :data:`WORDS` holds, e.g. ``word("table.params", "es") ==
        "parámetros"``.

    Raises:
        ValueError: if ``lang`` is not a language of the book, or
            :data:`WORDS` has no ``key`` or no ``lang`` translation of it.
    """
    check_language(lang)
    if key not in WORDS:
        raise ValueError(
            f"report.WORDS has no word {key!r} (asked for lang={lang!r}); "
            f"add it with both languages, e.g. WORDS[{key!r}] = "
            "{'en': ..., 'es': ...}.")
    entry = WORDS[key]
    if lang not in entry:
        raise ValueError(
            f"report.WORDS[{key!r}] has no {lang!r} translation; it has "
            f"{sorted(entry)}. Add the {lang!r} one.")
    return entry[lang]


def words(group: str, lang: str) -> dict[str, Any]:
    """Every word of ``group`` in ``lang``, keyed without the group's prefix.

    ``words("table", "es")["params"] == "parámetros"``.

    Raises:
        ValueError: if ``lang`` is not a language of the book, or no key of
            :data:`WORDS` starts with ``"<group>."``.
    """
    check_language(lang)
    prefix = f"{group}."
    found = {key[len(prefix):]: word(key, lang)
             for key in WORDS if key.startswith(prefix)}
    if not found:
        groups = sorted({key.partition(".")[0] for key in WORDS})
        raise ValueError(
            f"report.WORDS has no group {group!r}; its groups are {groups}.")
    return found


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
    the prose reads naturally in each language. Inside a Jupyter Book build
    (``BOOK_BUILD=1``) nothing is displayed: the page shows the value in the
    prose. Anywhere else (Colab, Jupyter, papermill) the cell's output shows
    ``name = value``, which the Colab edition's prose points at
    (``book/_ext/colab_edition.py``).

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
    if os.environ.get("BOOK_BUILD") != "1":
        # Colab and plain Jupyter: the reader sees the value under its name.
        if isinstance(shown, (str, numbers.Number)):
            print(f"{name} = {shown}")
        else:
            from IPython.display import display

            print(f"{name} =")
            display(shown)
        return None
    from myst_nb import glue as myst_glue

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


# ---------------------------------------------------------------------------
# Cost tables (rows from ``costs``) rendered for the page.
# ---------------------------------------------------------------------------

#: Between a number and its unit or suffix; never breaks a line.
UNIT_SPACE = "\u00a0"
SUFFIXES = ("", "K", "M", "G", "T", "P")


def format_int(n: int, lang: str = "en", group_four_digits: bool = True
               ) -> str:
    """An integer with the reader's thousands separator (:func:`format_number`).

    Args:
        n: the integer.
        lang: ``"en"`` (``138,357,544``) or ``"es"`` (``138 357 544``, with a
            narrow no-break space).
        group_four_digits: whether 4-digit numbers are grouped too. The RAE
            writes ``4500`` in running text, but groups it in a column of
            longer numbers, so tables keep the default and prose may pass
            False (Spanish only; English always groups).

    Returns:
        The formatted text.
    """
    return format_number(int(n), check_language(lang), 0, group_four_digits)


def format_float(x: float, lang: str = "en", digits: int = 2) -> str:
    """A decimal number with the reader's decimal and thousands separators.

    Args:
        x: the number.
        lang: ``"en"`` (``1,234.56``) or ``"es"`` (``1 234,56``).
        digits: digits after the decimal separator.

    Returns:
        The formatted text (``"–"`` for NaN).
    """
    check_language(lang)
    if x != x:  # NaN
        return "–"
    return format_number(float(x), lang, digits, group_four_digits=True)


def human(n: float, lang: str = "en", digits: int = 2) -> str:
    """A count with a K/M/G/T suffix: ``15.47 G`` (en), ``15,47 G`` (es).

    Counts under 1000 are written whole. The space before the suffix is a
    no-break space.

    Args:
        n: the count (e.g. MACs or parameters).
        lang: ``"en"`` or ``"es"``.
        digits: digits after the decimal separator.

    Returns:
        The formatted text.
    """
    check_language(lang)
    if abs(n) < 1000:
        return format_int(n, lang) if float(n).is_integer() else format_float(
            n, lang, digits)
    power = min(int(math.log10(abs(n)) // 3), len(SUFFIXES) - 1)
    value = n / 1000 ** power
    if round(abs(value), digits) >= 1000 and power < len(SUFFIXES) - 1:
        # 999,999 is 1.00 M, not 1000.00 K.
        power, value = power + 1, value / 1000
    return format_float(value, lang, digits) + UNIT_SPACE + SUFFIXES[power]


def format_shape(shape: Any) -> str:
    """``(224, 224, 64)`` as ``224 × 224 × 64``; several joined by ``;``."""
    if isinstance(shape, list):
        return "; ".join(format_shape(s) for s in shape)
    if isinstance(shape, tuple):
        return " × ".join(str(size) for size in shape)
    return str(shape)


def format_table(df: pd.DataFrame | pd.Series, lang: str = "en",
                 human_counts: bool = False, digits: int = 2
                 ) -> pd.DataFrame:
    """Renders a cost table for the page: every cell as text.

    Integers get the reader's thousands separator (or a K/M/G suffix),
    decimals its decimal separator, ``relative_saving`` becomes a percentage
    (``89.67%``, ``89,67 %``), ``ratio`` a factor (``9.68×``), shapes
    ``224 × 224 × 64``, and known column and row titles are translated
    (the ``table.*`` entries of :data:`WORDS`); any other title is left as the
    chapter wrote it.

    Args:
        df: a table from ``costs.layer_costs``, ``block_totals``, ``compare``
            or ``with_total``, or a Series such as ``costs.totals(table)``.
        lang: ``"en"`` or ``"es"``.
        human_counts: write integers as :func:`human` does (``15.47 G``).
        digits: digits after the decimal separator.

    Returns:
        A DataFrame of strings; show it, or ``.style.hide()`` it, in the page.

    Raises:
        ValueError: if ``lang`` is not ``"es"`` or ``"en"``.
        TypeError: if ``df`` is not a DataFrame or a Series.
    """
    check_language(lang)
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            "df must be a pandas DataFrame or Series (e.g. from "
            f"costs.layer_costs); received {type(df).__name__}.")
    headers = words("table", lang)
    percent = "%" if lang == "en" else UNIT_SPACE + "%"

    def cell(value: Any, column: Any) -> str:
        if isinstance(value, (tuple, list)):
            return format_shape(value)
        if isinstance(value, bool) or not isinstance(
                value, (int, float)) and not pd.api.types.is_number(value):
            return str(value)
        if column == "relative_saving":
            return (format_float(100 * value, lang, digits) + percent
                    if value == value else "–")
        if column == "ratio":
            return (format_float(value, lang, digits) + "×"
                    if value == value else "–")
        if pd.api.types.is_integer(value) or (
                isinstance(value, float) and value.is_integer()):
            return human(int(value), lang, digits) if human_counts else (
                format_int(int(value), lang))
        return format_float(float(value), lang, digits)

    out = pd.DataFrame({column: [cell(v, column) for v in df[column]]
                        for column in df.columns}, index=df.index)
    out = out.rename(columns=lambda c: headers.get(c, c) if isinstance(
        c, str) else c)
    if not isinstance(df.index, pd.RangeIndex):
        out = out.rename(index=lambda r: headers.get(r, r) if isinstance(
            r, str) else r)
        if df.index.name in headers:
            out.index.name = headers[df.index.name]
    return out
