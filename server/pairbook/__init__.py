"""pairbook: a collaborative pairing and mob-programming server for Jupyter notebooks."""

import sys

__version__ = "0.1.0"

# jsonschema (under nbformat) imports rfc3987_syntax whenever it is installed (a dev tool,
# check-jsonschema, brings it), and that module builds a Lark grammar as it is imported:
# 3.2 s on every `pairbook` start, for an IRI format check that nbformat's schemas never
# ask for. Marked absent, jsonschema leaves that one format unchecked.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
