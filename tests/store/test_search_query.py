"""The search query's parser, alone: words in, a tree of terms out (no database)."""

from __future__ import annotations

import os

import pytest

from music_tools.store.search import folded_patterns
from music_tools.store.search_query import SearchError, SearchQuery, parse_query


def test_a_field_term_names_its_column_whatever_the_case_of_its_name() -> None:
    assert parse_query("artist:Björk AlbumArtist:x format:flac codec:aac genre:Pop").fields == (
        ("artist", "Björk"),
        ("album_artist", "x"),
        ("file_format", "flac"),
        ("codec", "aac"),
        ("genre", "Pop"),
    )
    assert parse_query("album_artist:y title:a:b").fields == (
        ("album_artist", "y"),
        ("title", "a:b"),  # the first colon ends the name, the rest is the value
    )


def test_words_without_a_known_field_are_free_words() -> None:
    assert parse_query("live 12:30 :x") == SearchQuery(words=("live", "12:30", ":x"))
    assert parse_query("") == SearchQuery()
    assert parse_query("").terms == 0


def test_quotes_group_words_as_a_shell_would() -> None:
    query = parse_query("artist:\"Sigur Rós\" 'Near Light' live")
    assert query == SearchQuery(fields=(("artist", "Sigur Rós"),), words=("Near Light", "live"))
    assert query.terms == 3


def test_a_sequence_is_taken_as_the_terms_themselves() -> None:
    assert parse_query(['"quoted"', "two words", "artist:a b"]) == SearchQuery(
        fields=(("artist", "a b"),), words=('"quoted"', "two words")
    )


def test_an_unbalanced_quote_is_a_search_error() -> None:
    with pytest.raises(SearchError, match="cannot read the query: No closing quotation"):
        parse_query('artist:"Sigur Rós')


@pytest.mark.parametrize(
    ("word", "years"),
    [("year:1999", (1999, 1999)), ("YEAR:1990..1999", (1990, 1999)), ("year:0..9999", (0, 9999))],
)
def test_a_year_is_one_year_or_a_range(word: str, years: tuple[int, int]) -> None:
    assert parse_query(word) == SearchQuery(years=(years,))


@pytest.mark.parametrize("value", ["abc", "1990..", "..1999", "10000", "-5", "1990..x", ""])
def test_a_year_that_is_not_one_is_a_search_error(value: str) -> None:
    with pytest.raises(SearchError, match=r"year wants a number from 0 to 9999 .*1990\.\.1999"):
        parse_query([f"year:{value}"])


def test_an_unknown_field_is_a_search_error_naming_the_known_ones() -> None:
    with pytest.raises(SearchError, match="unknown field 'colour'; use one of: album, ") as raised:
        parse_query("Colour:red")
    assert "path" in str(raised.value) and "year" in str(raised.value)


def test_a_path_term_and_a_word_that_is_not_utf8_search_the_path() -> None:
    odd = os.fsdecode(b"caf\xe9")
    assert parse_query(["path:Live/", odd, f"artist:{odd}"]) == SearchQuery(
        paths=("Live/", odd, f"artist:{odd}")  # only a file name can hold it, whatever it says
    )


def test_a_free_word_is_folded_into_any_free_slot_of_search_text() -> None:
    """search_text (schema version 8) holds artist, title, album, album artist and genre
    folded, joined by U+001F: a free word may match in the first four slots only."""
    inside, *plain = folded_patterns("BJÖRK", None, 4)
    assert inside == "%bjork%\x1f%"  # at least one separator after it: not the genre
    assert plain == ["%bjork%"] * 4


def test_a_field_term_is_folded_into_its_own_slot_of_search_text() -> None:
    assert folded_patterns("Jóga", 1, 1) == ["%\x1f%joga%\x1f%\x1f%\x1f%", "%joga%"]
    assert folded_patterns("Straße", 4, 1) == ["%\x1f%\x1f%\x1f%\x1f%strasse%", "%strasse%"]


def test_like_wildcards_in_a_term_match_only_themselves() -> None:
    assert folded_patterns("100%_a\\", 0, 1)[1] == "%100\\%\\_a\\\\%"
