"""The appendices: glossary (both languages, every {term} resolves) and references.

These tests read files only. Sphinx's glossary terms are global to the site, so the
Spanish glossary defines Spanish terms and the English one English terms; each entry
names its twin in the other language after ``*inglés:*`` / ``*Spanish:*``.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("es", "en")
TWIN_LABEL = {"es": "inglés", "en": "Spanish"}
ROLE = re.compile(r"\{term\}`([^`]+)`")


def glossary_text(lang: str) -> str:
    return (ROOT / "book" / lang / "glossary.md").read_text(encoding="utf-8")


def parse_glossary(text: str, lang: str) -> dict[str, str]:
    """``{term: twin}`` from the page's ``{glossary}`` block.

    Raises:
        AssertionError: if the block is missing or an entry is malformed.
    """
    match = re.search(r"^```\{glossary\}\n(.*?)^```", text, flags=re.M | re.S)
    assert match, "the glossary page has no ```{glossary} block"
    entries, term = {}, None
    for line in match.group(1).splitlines():
        if not line.strip() or line.startswith(":"):
            continue
        if not line.startswith(" "):
            term = line.strip()
            assert term not in entries, f"{term!r} is defined twice in book/{lang}/glossary.md"
            entries[term] = None
            continue
        assert term is not None, f"a definition without a term: {line!r}"
        if entries[term] is None:
            twin = re.match(rf"\s+\*{TWIN_LABEL[lang]}:\* (.+?) · \S", line)
            assert twin, (f"book/{lang}/glossary.md, {term!r}: the definition must start with "
                          f"'*{TWIN_LABEL[lang]}:* <term in the other language> · '")
            entries[term] = twin.group(1)
    assert all(twin for twin in entries.values()), "an entry has no definition"
    return entries


def glossaries() -> dict[str, dict[str, str]]:
    return {lang: parse_glossary(glossary_text(lang), lang) for lang in LANGS}


def check_pairs(es: dict[str, str], en: dict[str, str]) -> None:
    """Every entry's twin is an entry of the other glossary that names it back."""
    for lang, mine, other in (("es", es, en), ("en", en, es)):
        twin_lang = "en" if lang == "es" else "es"
        for term, twin in mine.items():
            assert twin in other, (f"book/{lang}/glossary.md defines {term!r} with the twin "
                                   f"{twin!r}, which book/{twin_lang}/glossary.md does not define")
            assert other[twin] == term, (f"{term!r} ({lang}) names {twin!r}, which names "
                                         f"{other[twin]!r} back")


def markdown_sources(lang: str) -> dict[str, str]:
    """The Markdown of every page of one language: .md files and notebooks' markdown cells."""
    sources = {}
    for path in sorted((ROOT / "book" / lang).iterdir()):
        if path.suffix == ".md":
            sources[path.name] = path.read_text(encoding="utf-8")
        elif path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            sources[path.name] = "\n".join(
                c["source"] if isinstance(c["source"], str) else "".join(c["source"])
                for c in cells if c["cell_type"] == "markdown")
    return sources


def role_target(content: str) -> str:
    """``"text <target>"`` -> ``"target"``; ``"target"`` -> ``"target"``."""
    match = re.fullmatch(r"(.*?)\s*<([^<>]+)>", content.strip(), flags=re.S)
    return match.group(2) if match and match.group(1) else content.strip()


def test_every_glossary_entry_exists_in_both_languages():
    found = glossaries()
    assert len(found["es"]) == len(found["en"]) >= 40
    check_pairs(found["es"], found["en"])


@pytest.mark.parametrize("lang", LANGS)
def test_the_pairing_check_fails_when_an_entry_is_deleted(lang):
    # The check above can fail: delete one entry in one language and it does.
    found = glossaries()
    deleted = dict(found[lang])
    deleted.pop(next(iter(deleted)))
    with pytest.raises(AssertionError, match="does not define"):
        check_pairs(*((deleted, found["en"]) if lang == "es" else (found["es"], deleted)))
    # Deleting it from the page's text fails the parse-and-pair chain the same way.
    text = glossary_text(lang)
    first = re.search(r"^(?! )(\S[^\n]*)\n  [^\n]*\n\n", text.split("```{glossary}", 1)[1],
                      flags=re.M)
    broken = text.replace(first.group(0), "", 1)
    assert broken != text
    parsed = parse_glossary(broken, lang)
    with pytest.raises(AssertionError, match="does not define"):
        check_pairs(*((parsed, found["en"]) if lang == "es" else (found["es"], parsed)))


def test_no_term_string_is_defined_in_both_glossaries():
    # Sphinx's glossary terms are global (and compared in lower case): the same string
    # in both glossaries is a "duplicate term description" warning, an error with -W.
    found = glossaries()
    es = {term.lower() for term in found["es"]}
    en = {term.lower() for term in found["en"]}
    assert len(es) == len(found["es"]) and len(en) == len(found["en"])
    assert not es & en, f"defined in both languages: {sorted(es & en)}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_term_role_resolves_in_its_own_language(lang):
    terms = {term.lower() for term in glossaries()[lang]}
    roles = {name: [role_target(c) for c in ROLE.findall(text)]
             for name, text in markdown_sources(lang).items()}
    assert sum(map(len, roles.values())) >= 40, "the chapters link almost no terms"
    for name, targets in roles.items():
        unknown = [t for t in targets if t.lower() not in terms]
        assert not unknown, (f"book/{lang}/{name} links {unknown}, which "
                             f"book/{lang}/glossary.md does not define")


def test_the_role_finder_reads_text_and_target():
    assert role_target("dense layers <dense layer>") == "dense layer"
    assert role_target("softmax") == "softmax"
    assert ROLE.findall("a {term}`ReLU <rectified linear unit (ReLU)>` b") == [
        "ReLU <rectified linear unit (ReLU)>"]


@pytest.mark.parametrize("lang", LANGS)
def test_each_glossary_term_is_linked_at_most_once_per_page(lang):
    # First use only: the chapters link a term once, where it first appears.
    for name, text in markdown_sources(lang).items():
        targets = [role_target(c).lower() for c in ROLE.findall(text)]
        repeated = {t for t in targets if targets.count(t) > 1}
        assert not repeated, f"book/{lang}/{name} links {sorted(repeated)} more than once"


def test_references_page_lists_the_whole_bibliography_once_per_language():
    prefixes = {}
    for lang in LANGS:
        text = (ROOT / "book" / lang / "references.md").read_text(encoding="utf-8")
        block = re.search(r"^```\{bibliography\}\n(.*?)^```", text, flags=re.M | re.S)
        assert block, f"book/{lang}/references.md has no bibliography"
        assert re.search(r"^:all:$", block.group(1), flags=re.M), "it must list :all: entries"
        prefix = re.search(r"^:keyprefix: (\S+)$", block.group(1), flags=re.M)
        assert prefix and prefix.group(1) == f"{lang}-refs-"
    # Every bibliography of the book has its own key prefix: the same entry listed by two
    # bibliographies without one is a duplicate citation, an error with -W.
    for lang in LANGS:
        for name, text in markdown_sources(lang).items():
            for block in re.findall(r"^```\{bibliography\}\n(.*?)^```", text, flags=re.M | re.S):
                prefix = re.search(r"^:keyprefix: (\S+)$", block, flags=re.M)
                assert prefix, f"book/{lang}/{name}: a bibliography without :keyprefix:"
                assert prefix.group(1).startswith(f"{lang}-"), f"book/{lang}/{name}"
                assert prefix.group(1) not in prefixes, (
                    f"book/{lang}/{name} and {prefixes[prefix.group(1)]} share "
                    f"the key prefix {prefix.group(1)}")
                prefixes[prefix.group(1)] = f"book/{lang}/{name}"
    assert {"es-refs-", "en-refs-"} <= set(prefixes)
