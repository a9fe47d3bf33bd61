"""lib0 binary encoding: the varUints, varStrings and `readAny` values Yjs messages are made of.

`Decoder` (decoder.py) reads them and raises ProtocolError on bad input; `Encoder`
(encoder.py) writes them byte-for-byte as lib0 does; tags.py names `writeAny`'s tags.
"""

from pairbook.protocol.lib0.decoder import Decoder
from pairbook.protocol.lib0.encoder import Encoder, encode_var_uint

__all__ = ["Decoder", "Encoder", "encode_var_uint"]
