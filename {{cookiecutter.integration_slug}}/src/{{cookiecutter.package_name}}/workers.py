"""``serve --workers N``: N server processes sharing one port (``SO_REUSEPORT``).

Python serves gRPC on one core per process; the kernel spreads connections over
the processes listening on the port. This supervisor starts them, forwards
SIGTERM/SIGINT so each drains its calls, and exits 0 once all exited cleanly. If
one dies on its own, the others are stopped and its status returned, so the
orchestrator restarts the whole unit.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from types import FrameType

from .settings import Settings

logger = logging.getLogger(__name__)


def supervise(settings: Settings, argv: list[str]) -> int:
    if settings.port == 0:
        logger.error("--workers needs a fixed --port: with port 0 each worker would pick its own")
        return 2
    command = [sys.executable, "-m", __package__ or "", *argv]
    workers = [
        subprocess.Popen([*command, "--worker-index", str(index)])  # noqa: S603 - our own argv
        for index in range(settings.workers)
    ]
    logger.info("started %d workers on port %d", len(workers), settings.port)
    stopping = False

    def forward(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while True:
        codes = [worker.poll() for worker in workers]
        if all(code is not None for code in codes):
            break
        failed = [code for code in codes if code not in (None, 0)]
        if failed and not stopping:
            logger.error("a worker exited with status %s; stopping the others", failed[0])
            forward(signal.SIGTERM, None)
        time.sleep(0.1)
    bad = [code for code in (worker.wait() for worker in workers) if code != 0]
    return bad[0] if bad else 0
