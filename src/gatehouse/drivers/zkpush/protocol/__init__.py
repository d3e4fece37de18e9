"""Wire format of both ZKTeco PUSH dialects, as typed parse/build functions without Django.

Encoding decisions (reference §1): parsers take request bodies as ``bytes`` and decode them as
UTF-8 with replacement characters, so that a legacy GB2312 name spoils one field instead of the
whole upload; query strings arrive already decoded as a ``Mapping[str, str]``. Builders return
``str``; the HTTP layer encodes replies as UTF-8. Every parser raises only ``ProtocolError``.
"""

from gatehouse.drivers.zkpush.protocol.errors import ProtocolError

__all__ = ["ProtocolError"]
