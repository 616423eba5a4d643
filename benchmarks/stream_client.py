"""Streaming client in its own process: one server-streaming call, read to the end.

Responses are kept as bytes and their entries counted from the wire format (each
``entries`` element is one length-delimited field 1), so the client needs no
generated code and little CPU. Prints one JSON line: entries, messages, bytes, seconds.

    python stream_client.py --target 127.0.0.1:PORT --method /pkg.Service/Sync --request FILE
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import grpc

ENTRIES_TAG = 0x0A  # field 1, wire type 2 (length-delimited)


def count_entries(message: bytes) -> int:
    """Top-level field-1 elements of a message (every field of it must be field 1)."""
    count = position = 0
    end = len(message)
    while position < end:
        if message[position] != ENTRIES_TAG:
            raise ValueError(f"unexpected field tag {message[position]:#x} in a response")
        position += 1
        length = shift = 0
        while True:  # varint
            byte = message[position]
            position += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        position += length
        count += 1
    return count


async def run(arguments: argparse.Namespace) -> dict[str, object]:
    request = Path(arguments.request).read_bytes()
    options = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]
    async with grpc.aio.insecure_channel(arguments.target, options=options) as channel:
        await channel.channel_ready()
        entries = messages = size = 0
        started = time.perf_counter()
        method: Any = channel.unary_stream(arguments.method)
        call = method(request, timeout=arguments.timeout)
        async for response in call:
            messages += 1
            size += len(response)
            entries += count_entries(response)
        elapsed = time.perf_counter() - started
    return {"entries": entries, "messages": messages, "bytes": size, "seconds": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", required=True)
    parser.add_argument("--method", required=True)
    parser.add_argument("--request", required=True, help="file with the serialized request")
    parser.add_argument("--timeout", type=float, default=1800.0)
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(run(arguments))))


if __name__ == "__main__":
    main()
