"""Comparing saved and fresh outputs: exact text, tolerant numbers, volatile detail masked."""

from __future__ import annotations

from typing import Any

import pytest

from pairbook.check.compare import Tolerance, difference, normal_outputs, same_text


def stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def result(data: dict[str, Any]) -> dict[str, Any]:
    return {"output_type": "execute_result", "data": data, "metadata": {}, "execution_count": 1}


def test_a_float_that_differs_in_the_12th_digit_is_the_same_within_the_default_tolerance() -> None:
    assert same_text("mean 0.123456789012", "mean 0.123456789013", Tolerance())


def test_a_float_that_differs_in_the_4th_digit_differs() -> None:
    assert not same_text("mean 0.1234", "mean 0.1235", Tolerance())


def test_a_zero_tolerance_wants_the_same_digits() -> None:
    assert not same_text("0.123456789012", "0.123456789013", Tolerance(rtol=0.0))


def test_an_absolute_tolerance_allows_small_differences_near_zero() -> None:
    assert same_text("x = 1e-15", "x = -2e-15", Tolerance(atol=1e-12))


def test_text_around_numbers_is_compared_exactly() -> None:
    assert not same_text("12 rows", "12 cols", Tolerance())


def test_memory_addresses_and_timings_are_masked() -> None:
    old = "<Foo object at 0x7f3a1c2b9d60>\nCPU times: user 1 ms\nWall time: 2.1 ms\n"
    new = "<Foo object at 0x7f99aa00bb10>\nCPU times: user 3 ms\nWall time: 5.4 ms\n"
    assert same_text(old, new, Tolerance(rtol=0.0))


def test_user_patterns_are_ignored() -> None:
    tolerance = Tolerance(ignore=(r"run at \S+",))
    assert same_text("run at 12:00:01", "run at 13:44:10", tolerance)


def test_stream_chunks_are_joined_before_comparing() -> None:
    saved = [stream("a\nb\n")]
    fresh = [stream("a\n"), stream("b\n")]
    assert difference(saved, fresh, Tolerance()) is None
    assert normal_outputs(fresh) == [("stream", "stdout", "a\nb\n")]


def test_a_changed_line_is_named() -> None:
    found = difference([stream("total 10\n")], [stream("total 11\n")], Tolerance())
    assert found == "stdout differs: saved 'total 10', got 'total 11'"


def test_a_missing_output_is_reported() -> None:
    found = difference([stream("hi\n")], [], Tolerance())
    assert found is not None
    assert "did not come out" in found


def test_images_match_by_kind_unless_exact_images() -> None:
    saved = [result({"image/png": "AAAA", "text/plain": "<Figure>"})]
    fresh = [result({"image/png": "BBBB", "text/plain": "<Figure>"})]
    assert difference(saved, fresh, Tolerance()) is None
    assert difference(saved, fresh, Tolerance(exact_images=True)) is not None


@pytest.mark.parametrize("pattern", ["(", "[a-"])
def test_a_bad_ignore_pattern_is_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        Tolerance(ignore=(pattern,))
