"""Start-up helpers shared by the api and the worker."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Awaitable, Callable

log = logging.getLogger(__name__)


async def retry(start: Callable[[], Awaitable[None]], what: str, seconds: float, pause: float = 2.0) -> None:
    """Calls `start` until it succeeds or `seconds` have passed (then re-raises its last error)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            await start()
            return
        except Exception as err:  # noqa: BLE001 - every connection error is retried until the deadline
            if time.monotonic() + pause > deadline:
                raise RuntimeError(f"{what}: still failing after {seconds:.0f}s: {err}") from err
            log.warning("%s not ready (%s), retrying in %ss", what, err, pause)
            await asyncio.sleep(pause)


def configure_logging(level_name: str | None) -> None:
    """The apps' own log lines (LOG_LEVEL: debug, info, warning, error; default info) on stderr."""
    level = getattr(logging, (level_name or "info").upper(), None)
    if not isinstance(level, int):
        raise ValueError(f"LOG_LEVEL must be one of debug, info, warning, error (got {level_name!r})")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("refapp").setLevel(level)
