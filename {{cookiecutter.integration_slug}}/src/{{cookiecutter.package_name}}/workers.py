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
    workers: list[subprocess.Popen[bytes]] = []
    stopping = False

    def forward(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signum)

    # Handlers before the workers start, so no signal is lost while they do.
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for index in range(settings.workers):
        if stopping:
            break
        worker = subprocess.Popen([*command, "--worker-index", str(index)])  # noqa: S603 - our argv
        workers.append(worker)
    logger.info("started %d workers on port %d", len(workers), settings.port)
    failure: int | None = None
    while True:
        codes = [worker.poll() for worker in workers]
        if all(code is not None for code in codes):
            break
        failed = [code for code in codes if code not in (None, 0)]
        if failed and not stopping:
            failure = failed[0]
            logger.error("a worker exited with status %s; stopping the others", failure)
            forward(signal.SIGTERM, None)
        time.sleep(0.1)
    codes = [worker.wait() for worker in workers]
    if failure is None:
        # A worker still importing when our signal came had served no call yet; the
        # signal ended it before it installed its handler: a clean stop as well.
        forwarded = (-signal.SIGTERM, -signal.SIGINT)
        failure = next((code for code in codes if code != 0 and code not in forwarded), None)
    if failure is None:
        logger.info("all %d workers stopped", len(workers))
        return 0
    return 128 - failure if failure < 0 else failure  # killed by signal N: 128 + N
