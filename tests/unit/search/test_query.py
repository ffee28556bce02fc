import pytest

from bookreader.domain.search.query import EmptyQuery, search_config, to_tsquery_text


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("old house", "old & house"),
        ('"old house" sea', "(old <-> house) & sea"),
        ("hous*", "hous:*"),
        ("Дом", "дом"),
        ("don't", "don <-> t"),
        ("'); DROP TABLE books; --", "drop & table & books"),
        ('"unclosed phrase', "(unclosed <-> phrase)"),
        ("a:* & b | !c", "a:* & b & c"),
    ],
)
def test_queries_become_safe_tsquery_text(q: str, expected: str) -> None:
    assert to_tsquery_text(q) == expected


@pytest.mark.parametrize("q", ["", "   ", "***", '""', "&|!"])
def test_nothing_to_search_for(q: str) -> None:
    with pytest.raises(EmptyQuery):
        to_tsquery_text(q)


def test_configuration_per_language() -> None:
    assert [search_config(x) for x in ("ru", "ru-RU", "en", "EN-us", "de", None)] == [
        "russian", "russian", "english", "english", "simple", "simple",
    ]  # fmt: skip
