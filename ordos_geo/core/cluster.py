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

__all__ = ["scheduler_address", "connect", "in_order", "CONNECT_TIMEOUT_S"]

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
    exit; None when there is no address. An address that is not ``[tcp://|tls://]host:port``
    (port 1–65535), or a scheduler that does not answer as one within ``timeout`` seconds
    (nothing listening, another program on that port), is a :class:`UsageError` naming the
    address."""
    where = scheduler_address(address)
    if where is None:
        yield None
        return
    try:
        import distributed  # noqa: F401
    except ImportError:  # pragma: no cover - dask[distributed] is a dependency
        raise MissingDependencyError(msg("scheduler_needs_distributed")) from None
    host, port = _host_port(where)
    _probe(where, host, port, timeout)
    client = _client(where, timeout)
    try:
        yield client
    finally:
        client.close()


def in_order(client, fn, items, *, item: str, shared: dict, **fixed) -> Iterator:
    """``fn(**{item: x}, **shared, **fixed)`` for every ``x`` of ``items`` on the workers of
    ``client``, the results yielded in the order of ``items`` (so sums add up as they do on this
    machine). ``shared`` values are sent to every worker once (scattered), not with each task."""
    names = list(shared)
    sent = dict(zip(names, client.scatter([shared[n] for n in names], broadcast=True)))
    futures = [client.submit(fn, **{item: x}, **sent, **fixed, pure=False) for x in items]
    return (future.result() for future in futures)


def _host_port(where: str) -> tuple[str, int]:
    """The host and port of a scheduler address, or a :class:`UsageError`."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(where)
        host, port = parse_host_port(location)
    except (ValueError, TypeError, OverflowError) as exc:
        raise UsageError(msg("scheduler_bad_address", address=where, reason=str(exc))) from None
    printable = host.isprintable() and not any(c.isspace() for c in host)  # U+200B, BOM: not
    if scheme not in ("tcp", "tls") or not host or not printable or not 0 < int(port) < 65536:
        raise UsageError(msg("scheduler_bad_address", address=where,
                             reason=f"scheme {scheme!r}, host {host!r}, port {port!r}"))
    return host, int(port)


def _probe(where: str, host: str, port: int, timeout: float) -> None:
    """Something must accept a connection there (a refused or silent port fails at once,
    without Dask's retries)."""
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except (OSError, ValueError, OverflowError) as exc:
        raise UsageError(msg("scheduler_unreachable", address=where, seconds=timeout,
                             reason=str(exc) or type(exc).__name__)) from None


def _client(where: str, timeout: float):
    """The client, made in a helper thread given ``timeout`` (+ 5 s) in all: Dask's own timeout
    does not cover a handshake with a program that accepts the connection and never answers
    as a scheduler would (a web server, the dashboard's port)."""
    import threading

    from distributed import Client

    made: dict = {}

    def make() -> None:
        try:
            made["client"] = Client(where, timeout=timeout, set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - reported below, in the caller's thread
            made["error"] = exc

    worker = threading.Thread(target=make, daemon=True, name="ordos-geo-connect")
    worker.start()
    worker.join(timeout + 5)
    if "client" in made:
        return made["client"]
    reason = str(made.get("error") or "") or type(made.get("error", TimeoutError())).__name__
    if worker.is_alive():
        reason = "the program there accepts connections but does not answer as a Dask scheduler"
    raise UsageError(msg("scheduler_unreachable", address=where, seconds=f"{timeout + 5:g}",
                         reason=reason))
