"""Display names: two names are one name when a person could not tell them apart."""

from __future__ import annotations

import pytest

from pairbook.auth.profile import name_key


@pytest.mark.parametrize(
    "lookalike",
    [
        "alice",
        "  ALICE ",
        "Ａlice",  # full-width A (NFKC)
        "\u0410lice",  # Cyrillic capital A
        "Al\u0456ce",  # Cyrillic i
        "Ali\u200bce",  # zero-width space
        "Alic\u0435",  # Cyrillic e
    ],
)
def test_lookalikes_of_a_name_are_the_same_name(lookalike: str) -> None:
    assert name_key(lookalike) == name_key("Alice")


def test_different_names_stay_different() -> None:
    assert name_key("Alice") != name_key("Alicia")
    assert name_key("Ana Bo") == name_key("Ana  Bo")
    assert name_key("Zoë") != name_key("Zoe")
