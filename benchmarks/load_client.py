"""Load generator in its own process: N concurrent callers of one unary RPC.

The request is sent as pre-serialized bytes and the response kept as bytes, so the
client spends as little CPU as a Python gRPC client can (no protobuf work), and it is
the same for both servers. Prints one JSON line: calls, seconds, latencies (ms).

    python load_client.py --target 127.0.0.1:PORT --method /pkg.Service/Method \
        --request FILE --concurrency 32 --duration 5 --warmup 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import grpc


async def run(arguments: argparse.Namespace) -> dict[str, object]:
    request = Path(arguments.request).read_bytes()
    options = [("grpc.use_local_subchannel_pool", 1)]
    channels = [
        grpc.aio.insecure_channel(arguments.target, options=options)
        for _ in range(arguments.connections)
    ]
    calls: list[Any] = [channel.unary_unary(arguments.method) for channel in channels]
    latencies: list[float] = []
    errors: dict[str, int] = {}
    measuring = False
    stop = False

    async def caller(index: int) -> None:
        call = calls[index % len(calls)]
        while not stop:
            started = time.perf_counter()
            try:
                await call(request, timeout=10)
            except grpc.aio.AioRpcError as error:
                errors[error.code().name] = errors.get(error.code().name, 0) + 1
                continue
            if measuring:
                latencies.append(time.perf_counter() - started)

    for channel in channels:
        await channel.channel_ready()
    tasks = [asyncio.create_task(caller(index)) for index in range(arguments.concurrency)]
    await asyncio.sleep(arguments.warmup)
    measuring = True
    began = time.perf_counter()
    await asyncio.sleep(arguments.duration)
    measuring = False
    elapsed = time.perf_counter() - began
    stop = True
    await asyncio.gather(*tasks)
    for channel in channels:
        await channel.close()
    latencies.sort()
    return {
        "calls": len(latencies),
        "seconds": elapsed,
        "latencies_ms": [round(value * 1000, 4) for value in latencies],
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", required=True)
    parser.add_argument("--method", required=True)
    parser.add_argument("--request", required=True, help="file with the serialized request")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(run(arguments))))


if __name__ == "__main__":
    main()
