"""How a wire is named in recordings, cross-check reports and painted pictures.

A wire is an output port of a block. Its key is the block's name for port 0
(``"sum y"``) and ``"<name>[<port>]"`` for the other ports (``"demux[1]"``), so
the one-output blocks that make most diagrams keep their plain names, and the
LSTM diagrams' traces (keyed by block name) follow the same rule.
"""

from __future__ import annotations

__all__ = ["wire_key"]


def wire_key(block: str, port: int) -> str:
    """The key of the wire leaving output ``port`` of block ``block``.

    Parameters
    ----------
    block
        The block's name.
    port
        The output port, 0-based.

    Returns
    -------
    str
        ``block`` for port 0, ``f"{block}[{port}]"`` otherwise.
    """
    return block if port == 0 else f"{block}[{port}]"
