"""Where the heavy imagery and terrain work runs: on this machine, or on a Dask cluster.

>>> with og.cluster.connect("tcp://10.0.0.5:8786") as client:     # or None: this machine
...     result = og.reclamation.progress(sites, scenes, client=client)

``progress``, ``disturbance`` and ``terrain`` cut their work into the same tasks whatever runs
them (scenes; strips of the searched window; bands of DEM rows) and add the partial results up
in the same order, so a cluster gives the same outputs as this machine, to the bit. On the command
line ``--scheduler ADDRESS`` names the scheduler; without it Dask's standard configuration is
read (the ``DASK_SCHEDULER_ADDRESS`` environment variable, i.e. ``scheduler-address``), and
without either the work stays on this machine. The workers must reach the same files by the
same paths (a shared disk) and run the same ordos_geo version.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .errors import MissingDependencyError, UsageError
from .messages import msg

__all__ = ["scheduler_address", "connect", "CONNECT_TIMEOUT_S"]

#: seconds to wait for a scheduler before giving up with a message
CONNECT_TIMEOUT_S = 10


def scheduler_address(address: str | None = None) -> str | None:
    """``address`` if given, else Dask's ``scheduler-address`` (``DASK_SCHEDULER_ADDRESS``),
    else None (this machine). Blank values count as none."""
    if address is not None and str(address).strip():
        return str(address).strip()
    import dask

    configured = dask.config.get("scheduler-address", None)
    return str(configured).strip() if configured and str(configured).strip() else None


@contextmanager
def connect(address: str | None = None, *,
            timeout: float = CONNECT_TIMEOUT_S) -> Iterator[object | None]:
    """A ``dask.distributed.Client`` on the scheduler at :func:`scheduler_address`, closed on
    exit; None when there is no address. A scheduler that cannot be reached within ``timeout``
    seconds is a :class:`UsageError` naming the address."""
    where = scheduler_address(address)
    if where is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - dask[distributed] is a dependency
        raise MissingDependencyError(msg("scheduler_needs_distributed")) from None
    try:
        client = Client(where, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise UsageError(msg("scheduler_unreachable", address=where, seconds=timeout,
                             reason=str(exc) or type(exc).__name__)) from None
    try:
        yield client
    finally:
        client.close()
