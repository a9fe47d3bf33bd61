"""Hypothesis strategies for the values that travel on the wire, and JavaScript equality."""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

examples = settings(max_examples=150, deadline=None)
"""Enough examples to find framing bugs while keeping the protocol tests under a few seconds."""

structured_examples = settings(max_examples=50, deadline=None)
"""For nested JSON-like values, which are slow to generate and exercise more per example."""

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)
json_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=4)


def js_equal(left: Any, right: Any) -> bool:
    """Equality as JavaScript sees JSON values: every number is a double."""
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return float(left) == float(right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(js_equal, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(js_equal(left[k], right[k]) for k in left)
    return bool(left == right)
