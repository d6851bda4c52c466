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
        with socket.create_connection((host, port), timeout=timeout) as sock:
            first = _first_bytes(sock, min(timeout, _GREETING_S))
            if not first and not where.startswith("tls://"):
                # silent: a proxy answers only when spoken to (in HTTP, which Dask would read
                # as a message of exabytes); a scheduler, slow to greet, would wait for more
                sock.sendall(b"\r\n\r\n")
                first = _first_bytes(sock, min(timeout, _GREETING_S))
    except (OSError, ValueError, OverflowError) as exc:
        raise UsageError(msg("scheduler_unreachable", address=where, seconds=timeout,
                             reason=str(exc) or type(exc).__name__)) from None
    # A Dask scheduler greets a tcp:// client with its handshake, whose first 8 bytes are the
    # message's length (little-endian; a few hundred bytes); a TLS server says nothing first.
    # Another program's greeting (a web server's "HTTP/1.0 …") is refused here, before a client
    # reads it as a length of exabytes.
    strange = (where.startswith("tls://") and first) or (
        not where.startswith("tls://") and len(first) == 8
        and not 0 < int.from_bytes(first, "little") < _LARGEST_GREETING)
    if strange:
        raise UsageError(msg("scheduler_unreachable", address=where, seconds=timeout,
                             reason=f"the program there greets with {first!r}, not as a Dask "
                                    "scheduler does"))


#: how long to wait for a scheduler's greeting (a scheduler sends it at once), seconds
_GREETING_S = 2.0
#: a scheduler's handshake is far shorter than this, bytes
_LARGEST_GREETING = 1 << 24


def _first_bytes(sock, seconds: float) -> bytes:
    """Up to 8 bytes the peer sends unasked within ``seconds`` (fewer when it closes or says
    nothing)."""
    import socket

    sock.settimeout(seconds)
    data = b""
    try:
        while len(data) < 8:
            part = sock.recv(8 - len(data))
            if not part:
                break
            data += part
    except (socket.timeout, OSError):
        pass
    return data


def _close_half_made(exc: BaseException, kind: type) -> None:
    """Close, at once and quietly, the client a failed constructor left behind (found in the
    exception's frames): otherwise it waits twice the timeout to close when collected, and
    prints a traceback at exit."""
    import gc
    import warnings

    tb = exc.__traceback__
    while tb is not None:
        client = tb.tb_frame.f_locals.get("self")
        if isinstance(client, kind):
            try:
                client.close(timeout=1)
            except BaseException:  # noqa: BLE001 - a client that never connected
                pass
            client.status = "closed"  # its __del__ does nothing more
        tb = tb.tb_next
    exc.__traceback__ = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


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
        except BaseException as exc:  # noqa: BLE001 - reported below, in the caller's thread
            made["error"] = (type(exc), str(exc))
            _close_half_made(exc, Client)

    worker = threading.Thread(target=make, daemon=True, name="ordos-geo-connect")
    worker.start()
    worker.join(timeout + 5)
    if "client" in made:
        return made["client"]
    kind, text = made.get("error", (TimeoutError, ""))
    reason = text or kind.__name__
    if worker.is_alive() or issubclass(kind, (MemoryError, EOFError)):
        # silent, or a length Dask read from another program's answer ("HTTP/1.1": exabytes)
        reason = "the program there accepts connections but does not answer as a Dask scheduler"
    raise UsageError(msg("scheduler_unreachable", address=where, seconds=f"{timeout + 5:g}",
                         reason=reason))
