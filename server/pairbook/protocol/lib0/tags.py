"""lib0's `writeAny` tags and fixed-width codecs, shared by the decoder and the encoder."""

from __future__ import annotations

import struct

FLOAT32 = struct.Struct(">f")
FLOAT64 = struct.Struct(">d")
BIG_INT64 = struct.Struct(">q")
MAX_VARINT_BYTES = 10
BITS31 = 2**31 - 1

ANY_UNDEFINED = 127
ANY_NULL = 126
ANY_INTEGER = 125
ANY_FLOAT32 = 124
ANY_FLOAT64 = 123
ANY_BIGINT = 122
ANY_FALSE = 121
ANY_TRUE = 120
ANY_STRING = 119
ANY_OBJECT = 118
ANY_ARRAY = 117
ANY_UINT8ARRAY = 116
