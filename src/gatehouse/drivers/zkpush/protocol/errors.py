"""The single error type of the protocol layer."""


class ProtocolError(ValueError):
    """Bad input on the wire (or a value that cannot be put on it).

    A ValueError so that callers who only know the standard library still catch it; the reason
    is kept apart from the message so the driver can log it next to the raw bytes.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
