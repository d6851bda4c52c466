"""Storage of the green-mine register: one schema, two backends, through SQLAlchemy Core.

* **GeoPackage** (a ``.gpkg`` path, the default): GDAL creates the container and the mine
  feature table ``register_mines`` (MultiPolygon, EPSG:4326, no spatial-index triggers, so plain
  SQLite can write it); the events table is an attribute table registered in ``gpkg_contents``,
  so QGIS and ``ogrinfo`` list both. The file runs in WAL mode with a busy timeout, and every
  write transaction starts ``BEGIN IMMEDIATE``: two processes queue, neither corrupts the file.
* **PostgreSQL/PostGIS** (a ``postgresql://`` URL): the same tables with a PostGIS geometry
  column, created by the tool; writers run in transactions (psycopg 3), one at a time (a
  transaction-level advisory lock), as the role ``ordos_geo_writer``, which may read and insert
  but not UPDATE, DELETE or TRUNCATE an event, a head or the metadata.

Both refuse, with triggers, UPDATE and DELETE of an event (and TRUNCATE on PostgreSQL), an
INSERT that would replace an event (SQLite's ``INSERT OR REPLACE`` and upserts), and any change
of a mine's row other than to the name and banner its latest ``entered``/``mine_changed`` event
gives. Triggers can be dropped by whoever owns the file; the hash chain (:mod:`._chain`) is what
proves the history. Every value reaches SQL as a bound parameter.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import uuid
from pathlib import Path

import sqlalchemy as sa

from ..core.errors import InputFileError, UsageError
from ..core.messages import msg

__all__ = ["EVENTS", "MINES", "HEADS", "connect", "create", "geometry_param",
           "mine_geometry_sql", "WRITER_ROLE", "SCHEMA_VERSION", "masked_location"]

SCHEMA_VERSION = "2"
APPEND_ONLY = "the register is append-only: record a correction instead"
MINE_ROWS = "a mine changes only through a signed mine_changed event"
WRITER_ROLE = "ordos_geo_writer"
#: The advisory lock every PostgreSQL writer holds for its transaction (one chain, one writer).
LOCK_KEY = 7_203_941_105

metadata = sa.MetaData()
EVENTS = sa.Table(
    "register_events", metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("mine_id", sa.Text, index=True),  # empty for register-wide events
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("level", sa.Text),
    sa.Column("score", sa.Double),
    sa.Column("score_max", sa.Double),
    sa.Column("due_date", sa.Date),
    sa.Column("refers_to", sa.Integer),
    sa.Column("supersedes", sa.Integer),
    sa.Column("corrected_event", sa.Text),
    sa.Column("corrected_date", sa.Date),
    sa.Column("evaluator_org", sa.Text),
    sa.Column("checked_by", sa.Text),
    sa.Column("evaluated_by", sa.Text),
    sa.Column("tracked_by", sa.Text),
    sa.Column("responsible", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("name", sa.Text),
    sa.Column("banner", sa.Text),
    sa.Column("detail", sa.Text),
    sa.Column("recorded_at", sa.Text, nullable=False),  # ISO 8601 UTC, as GeoPackage wants
    sa.Column("prev_hash", sa.Text, nullable=False),
    sa.Column("hash", sa.Text, nullable=False),
)
#: One row per write transaction: the number of events and the chain's hash after it.
HEADS = sa.Table("register_heads", metadata,
                 sa.Column("n_events", sa.Integer, primary_key=True, autoincrement=False),
                 sa.Column("hash", sa.Text, nullable=False),
                 sa.Column("recorded_at", sa.Text, nullable=False))
META = sa.Table("register_meta", metadata, sa.Column("key", sa.Text, primary_key=True),
                sa.Column("value", sa.Text))
#: The mine table's attribute columns (its geometry column is ``geom``).
MINES = sa.Table("register_mines", sa.MetaData(),
                 sa.Column("fid", sa.Integer, primary_key=True, autoincrement=True),
                 sa.Column("mine_id", sa.Text, nullable=False, unique=True),
                 sa.Column("name", sa.Text), sa.Column("banner", sa.Text),
                 sa.Column("geom", sa.LargeBinary))
_PROTECTED = ("register_events", "register_heads", "register_meta")
_LATEST = ("(SELECT {col} FROM register_events e WHERE e.mine_id = NEW.mine_id AND "
           "e.event IN ('entered', 'mine_changed') ORDER BY e.event_id DESC LIMIT 1)")


def is_postgres(db: str | Path) -> bool:
    return str(db).startswith(("postgresql://", "postgresql+psycopg://", "postgres://"))


def _url(db: str | Path) -> str:
    text = str(db)
    if is_postgres(text):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    check_location(text)
    return f"sqlite:///{Path(text)}"


def check_location(db: str | Path) -> None:
    """A register is a ``.gpkg`` file or a ``postgresql://`` URL; anything else (a libpq
    ``host=… password=…`` string too) is a usage error, its password masked, before any
    folder or file is made."""
    text = str(db)
    if not is_postgres(text) and Path(text).suffix.lower() != ".gpkg":
        raise UsageError(msg("reg_location", db=repr(masked_location(text))))


def connect(db: str | Path, *, must_exist: bool = True) -> sa.Engine:
    """An engine on the register ``db``; refuses a file or database that holds none (or one of
    another schema version). On PostgreSQL every transaction runs as :data:`WRITER_ROLE`."""
    if not is_postgres(db) and must_exist and not Path(db).exists():
        raise InputFileError(msg("reg_no_register", db=repr(str(db))))
    try:
        engine = sa.create_engine(_url(db), connect_args={"timeout": 60}
                                  if not is_postgres(db) else {}, pool_pre_ping=False)
    except (ValueError, sa.exc.ArgumentError) as exc:  # a URL that is no URL (port, [::1)
        raise InputFileError(msg("reg_cannot_open", db=shown(db),
                                 reason=_masked_text(str(exc)))) from None
    if engine.dialect.name == "sqlite":
        _sqlite_writes_queue(engine)
    if must_exist:
        try:
            _check_register(engine, db)
        except ValueError as exc:  # psycopg's URL parsing, at the first connection
            engine.dispose()
            raise InputFileError(msg("reg_cannot_open", db=shown(db),
                                     reason=_masked_text(str(exc)))) from None
        except BaseException:
            engine.dispose()
            raise
        if engine.dialect.name == "postgresql":
            _as_writer(engine)
    return engine


def _check_register(engine: sa.Engine, db) -> None:
    """Refuse a database that holds no ordos_geo register, or one of another schema."""
    version = schema_version(engine, db)
    if version != SCHEMA_VERSION:
        raise InputFileError(msg("reg_schema", db=shown(db), version=version,
                                 want=SCHEMA_VERSION))


def schema_version(engine: sa.Engine, db) -> str:
    """The register's schema version; refuses a database that holds no register."""
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.select(META.c.value).where(META.c.key == "schema")
                                   ).scalar_one_or_none()
    except sa.exc.ProgrammingError:
        version = None
    except sa.exc.DBAPIError as exc:  # not a database at all, or one we cannot open
        raise InputFileError(msg("reg_cannot_open", db=shown(db),
                                 reason=str(exc.orig).strip().splitlines()[0])) from None
    if version is None:
        raise InputFileError(msg("reg_not_register", db=shown(db)))
    return version


def shown(db: str | Path) -> str:
    """The database as it may be printed: a URL without its password, a file quoted."""
    return masked_location(db) if is_postgres(db) else repr(str(db))


def masked_location(db: str | Path) -> str:
    """The register's location as every message prints it: a file as given, a URL as typed
    but with its password masked (``postgresql://user:***@host/db``, ``password=***``)."""
    text = str(db)
    if not is_postgres(text):
        return _masked_text(text)
    scheme, rest = text.split("://", 1)
    ends = [i for i in (rest.find("/"), rest.find("?")) if i >= 0]
    authority, tail = rest[:min(ends, default=len(rest))], rest[min(ends, default=len(rest)):]
    userinfo, at, host = authority.rpartition("@")
    if at and ":" in userinfo:
        authority = f"{userinfo.split(':', 1)[0]}:***@{host}"
    tail = re.sub(r"([?&]password=)[^&]*", r"\1***", tail, flags=re.IGNORECASE)
    return f"{scheme}://{authority}{tail}"


def _masked_text(text: str) -> str:
    """``password=…`` (libpq keyword strings, query parameters) and a URL's ``user:pw@``
    masked in any text."""
    text = re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", text, flags=re.IGNORECASE)
    return re.sub(r"(://[^/:@\s]+:)[^@/\s]+@", r"\1***@", text)


def _sqlite_writes_queue(engine: sa.Engine) -> None:
    """WAL, a busy timeout and ``BEGIN IMMEDIATE``: writers wait their turn instead of failing
    half way (SQLAlchemy's documented pysqlite recipe)."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA busy_timeout = 60000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _as_writer(engine: sa.Engine) -> None:
    """Every PostgreSQL transaction of the tool runs as the writer role."""

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql(f"SET LOCAL ROLE {WRITER_ROLE}")


def lock_for_writing(conn) -> None:
    """Take the register's write lock for this transaction (SQLite: BEGIN IMMEDIATE has)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def create(db: str | Path) -> sa.Engine:
    """Create an empty register at ``db`` (refused when one is there already)."""
    register_id = uuid.uuid4().hex
    if is_postgres(db):
        engine = connect(db, must_exist=False)
        try:
            _create_postgres(engine, db, register_id)
        finally:
            engine.dispose()
        return connect(db)
    path = Path(db)
    if path.exists():
        raise UsageError(msg("reg_exists", db=repr(str(path))))
    _gpkg_container(path)
    engine = connect(path, must_exist=False)
    with engine.begin() as conn:
        metadata.create_all(conn)
        conn.exec_driver_sql("CREATE UNIQUE INDEX register_mines_mine_id ON register_mines "
                             "(mine_id)")
        now = _now()[:-4] + "Z"
        for table in _PROTECTED:
            conn.exec_driver_sql(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, last_change) "
                "VALUES (?, 'attributes', ?, ?)", (table, table, now))
        conn.execute(sa.insert(META), [{"key": "schema", "value": SCHEMA_VERSION},
                                       {"key": "register_id", "value": register_id}])
        _sqlite_triggers(conn)
    return engine


#: A head record must name the last event and hold its hash (a forged one cannot lock the
#: register out of use).
_HEAD_OK = ("NEW.n_events = (SELECT max(event_id) FROM register_events) AND NEW.hash = "
            "(SELECT hash FROM register_events WHERE event_id = NEW.n_events)")


def _sqlite_triggers(conn) -> None:
    """Append-only events and heads, a sealed metadata table, mine rows bound to their events
    (see the module text). Created after the metadata is written."""
    keys = {"register_events": "event_id", "register_heads": "n_events",
            "register_meta": "key"}
    for table, key in keys.items():
        for verb in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
        when = {"register_meta": "1", "register_heads": f"NOT ({_HEAD_OK}) OR EXISTS "
                "(SELECT 1 FROM register_heads WHERE n_events = NEW.n_events)"}.get(
            table, f"EXISTS (SELECT 1 FROM {table} WHERE {key} = NEW.{key})")
        conn.exec_driver_sql(  # INSERT OR REPLACE and upserts delete or update silently
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN {when} "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
    conn.exec_driver_sql(
        "CREATE TRIGGER register_mines_no_delete BEFORE DELETE ON register_mines "
        f"BEGIN SELECT RAISE(ABORT, '{MINE_ROWS}'); END")
    conn.exec_driver_sql(
        "CREATE TRIGGER register_mines_no_replace BEFORE INSERT ON register_mines WHEN EXISTS "
        "(SELECT 1 FROM register_mines WHERE mine_id = NEW.mine_id OR fid = NEW.fid) "
        f"BEGIN SELECT RAISE(ABORT, '{MINE_ROWS}'); END")
    conn.exec_driver_sql(
        "CREATE TRIGGER register_mines_no_update BEFORE UPDATE ON register_mines WHEN "
        "NEW.fid IS NOT OLD.fid OR NEW.mine_id IS NOT OLD.mine_id OR NEW.geom IS NOT OLD.geom "
        f"OR NEW.name IS NOT {_LATEST.format(col='name')} "
        f"OR NEW.banner IS NOT {_LATEST.format(col='banner')} "
        f"BEGIN SELECT RAISE(ABORT, '{MINE_ROWS}'); END")


def _create_postgres(engine: sa.Engine, db, register_id: str) -> None:
    try:
        conn = engine.connect()
    except sa.exc.DBAPIError as exc:  # no server there, a refused login, no such database
        raise InputFileError(msg("reg_cannot_open", db=shown(db),
                                 reason=str(exc.orig).strip().splitlines()[0])) from None
    with conn, conn.begin():
        if sa.inspect(conn).has_table("register_events"):
            raise UsageError(msg("reg_exists", db=shown(db)))
        _postgis(conn, db)
        conn.exec_driver_sql(
            "CREATE TABLE register_mines (fid serial PRIMARY KEY, mine_id text NOT NULL UNIQUE, "
            "name text, banner text, geom geometry(MultiPolygon, 4326))")
        metadata.create_all(conn)
        conn.execute(sa.insert(META), [{"key": "schema", "value": SCHEMA_VERSION},
                                       {"key": "register_id", "value": register_id}])
        _pg_triggers(conn)
        _pg_writer_role(conn, db)


def _postgis(conn, db) -> None:
    """PostGIS in the database: there already, or created now; a user who may not create it
    (an untrusted extension: superusers only) is told to ask the administrator."""
    if conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").scalar():
        return
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
    except sa.exc.DBAPIError as exc:
        raise InputFileError(msg("reg_no_postgis", db=shown(db),
                                 reason=str(exc.orig).strip().splitlines()[0])) from None


def _pg_triggers(conn) -> None:
    conn.exec_driver_sql(
        "CREATE OR REPLACE FUNCTION register_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$")
    conn.exec_driver_sql(
        "CREATE OR REPLACE FUNCTION register_mine_rows() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF TG_OP <> 'UPDATE' OR NEW.fid IS DISTINCT FROM OLD.fid "
        "OR NEW.mine_id IS DISTINCT FROM OLD.mine_id "
        "OR ST_AsBinary(NEW.geom) IS DISTINCT FROM ST_AsBinary(OLD.geom) "
        f"OR NEW.name IS DISTINCT FROM {_LATEST.format(col='name')} "
        f"OR NEW.banner IS DISTINCT FROM {_LATEST.format(col='banner')} "
        f"THEN RAISE EXCEPTION '{MINE_ROWS}'; END IF; RETURN NEW; END $$")
    for table in _PROTECTED:
        conn.exec_driver_sql(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON "
                             f"{table} FOR EACH ROW EXECUTE FUNCTION register_append_only()")
        conn.exec_driver_sql(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                             "FOR EACH STATEMENT EXECUTE FUNCTION register_append_only()")
    conn.exec_driver_sql(
        "CREATE OR REPLACE FUNCTION register_head_ok() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN IF NOT ({_HEAD_OK}) THEN RAISE EXCEPTION '{APPEND_ONLY}'; END IF; "
        "RETURN NEW; END $$")
    conn.exec_driver_sql("CREATE TRIGGER register_heads_ok BEFORE INSERT ON register_heads "
                         "FOR EACH ROW EXECUTE FUNCTION register_head_ok()")
    conn.exec_driver_sql("CREATE TRIGGER register_meta_sealed BEFORE INSERT ON register_meta "
                         "FOR EACH ROW EXECUTE FUNCTION register_append_only()")
    conn.exec_driver_sql("CREATE TRIGGER register_mines_rows BEFORE UPDATE OR DELETE ON "
                         "register_mines FOR EACH ROW EXECUTE FUNCTION register_mine_rows()")
    conn.exec_driver_sql("CREATE TRIGGER register_mines_no_truncate BEFORE TRUNCATE ON "
                         "register_mines FOR EACH STATEMENT EXECUTE FUNCTION "
                         "register_append_only()")


def _pg_writer_role(conn, db) -> None:
    """The role the tool writes with: it may read and insert, and set a mine's name and banner
    (the trigger checks them against the mine's events), nothing else."""
    exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                          {"r": WRITER_ROLE}).scalar()
    try:
        with conn.begin_nested():
            if not exists:
                conn.exec_driver_sql(f"CREATE ROLE {WRITER_ROLE} NOLOGIN")
            member = conn.execute(sa.text("SELECT pg_has_role(current_user, :r, 'MEMBER')"),
                                  {"r": WRITER_ROLE}).scalar()
            if not member:
                conn.exec_driver_sql(f"GRANT {WRITER_ROLE} TO CURRENT_USER")
    except sa.exc.DBAPIError as exc:
        raise UsageError(msg("reg_writer_role", db=shown(db), role=WRITER_ROLE,
                             reason=str(exc.orig).strip().splitlines()[0])) from None
    conn.exec_driver_sql(f"GRANT SELECT, INSERT ON register_events, register_heads TO "
                         f"{WRITER_ROLE}")
    conn.exec_driver_sql(f"GRANT SELECT ON register_meta TO {WRITER_ROLE}")
    conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE (name, banner) ON register_mines "
                         f"TO {WRITER_ROLE}")
    conn.exec_driver_sql(f"GRANT USAGE ON SEQUENCE register_mines_fid_seq TO {WRITER_ROLE}")


def _gpkg_container(path: Path) -> None:
    """A GeoPackage 1.2 with the empty mine layer, made by GDAL (a valid container)."""
    import geopandas as gpd
    import pyogrio

    from ..io.files import GPKG_OPTIONS

    path.parent.mkdir(parents=True, exist_ok=True)
    empty = gpd.GeoDataFrame({"mine_id": [], "name": [], "banner": []},
                             geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    for col in ("mine_id", "name", "banner"):
        empty[col] = empty[col].astype(object)
    pyogrio.write_dataframe(empty, path, layer="register_mines", driver="GPKG",
                            geometry_type="MultiPolygon", dataset_options=GPKG_OPTIONS,
                            layer_options={"SPATIAL_INDEX": "NO", "FID": "fid",
                                           "GEOMETRY_NAME": "geom"})


def meta_value(conn, key: str) -> str | None:
    return conn.execute(sa.select(META.c.value).where(META.c.key == key)).scalar_one_or_none()


def upgrade_v1(conn, db) -> None:
    """Turn a schema-1 register into schema 2 in place (the caller's transaction): the old
    triggers out, the new columns and the heads table in. The caller chains the events, then
    :func:`finish_upgrade` puts the triggers (and on PostgreSQL the writer role) back."""
    if conn.dialect.name == "postgresql":
        for table in ("register_events", "register_blacklist", "register_meta"):
            for trigger in (f"{table}_append_only", f"{table}_no_truncate",
                            f"{table}_sealed"):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    else:
        for table in ("register_events", "register_blacklist", "register_meta"):
            for verb in ("update", "delete", "replace"):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    for column, kind in (("corrected_date", "DATE"), ("name", "TEXT"), ("banner", "TEXT"),
                         ("detail", "TEXT"), ("prev_hash", "TEXT"), ("hash", "TEXT")):
        conn.exec_driver_sql(f"ALTER TABLE register_events ADD COLUMN {column} {kind}")
    HEADS.create(conn)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, last_change) "
            "VALUES ('register_heads', 'attributes', 'register_heads', ?)", (_now()[:-4] + "Z",))


def finish_upgrade(conn, db) -> None:
    """The schema-2 triggers (and the writer role) on an upgraded register."""
    if conn.dialect.name == "postgresql":
        _pg_triggers(conn)
        _pg_writer_role(conn, db)
    else:
        _sqlite_triggers(conn)


def register_id(conn) -> str:
    """The register's own id (its chain starts from it)."""
    return conn.execute(sa.select(META.c.value).where(META.c.key == "register_id")).scalar_one()


def chain_rows(conn, *, columns: list[str]) -> list[tuple]:
    """Every event's ``columns`` as the driver gives them, in order of ``event_id``."""
    result = conn.exec_driver_sql(f"SELECT {', '.join(columns)} FROM register_events "
                                  "ORDER BY event_id")
    return result.cursor.fetchall()


def heads(conn) -> list[tuple[int, str]]:
    return [tuple(r) for r in conn.execute(sa.select(HEADS.c.n_events, HEADS.c.hash))]


def last_link(conn) -> tuple[int, str | None]:
    """The last event's id and hash (0, None in an empty register)."""
    row = conn.execute(sa.select(EVENTS.c.event_id, EVENTS.c.hash)
                       .order_by(EVENTS.c.event_id.desc()).limit(1)).first()
    return (int(row[0]), row[1]) if row else (0, None)


def record_head(conn, n_events: int, hash_: str) -> None:
    conn.execute(sa.insert(HEADS), [{"n_events": n_events, "hash": hash_, "recorded_at": _now()}])


def mine_wkb(geom) -> bytes | None:
    """A mine boundary as a MultiPolygon in little-endian WKB (what both backends store and
    give back, and what the ``entered`` event's digest is taken of); None when empty."""
    import shapely

    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "Polygon":
        geom = shapely.MultiPolygon([geom])
    return shapely.to_wkb(geom, byte_order=1)


def geometry_param(engine: sa.Engine, geom) -> bytes | None:
    """A mine geometry (MultiPolygon, EPSG:4326) as the backend stores it: GeoPackage binary
    (``GP`` header, SRS 4326, no envelope, then WKB) or WKB for PostGIS's ``ST_GeomFromWKB``."""
    wkb = mine_wkb(geom)
    if wkb is None:
        return None
    if engine.dialect.name == "postgresql":
        return wkb
    return b"GP" + struct.pack("<BBi", 0, 0b00000001, 4326) + wkb


def mine_geometry_sql(engine: sa.Engine):
    """The expression that turns the bound ``geom`` parameter into the stored geometry."""
    if engine.dialect.name == "postgresql":
        return sa.func.ST_GeomFromWKB(sa.bindparam("geom"), 4326)
    return sa.bindparam("geom")


def geometry_sql(engine: sa.Engine) -> list:
    """Select expressions giving each mine's geometry as stored (PostgreSQL: WKB; GeoPackage:
    its binary, whose header the reader strips) and its SRS id (GeoPackage: read from the
    header by :func:`stored_srid`)."""
    geom = sa.column("geom")
    if engine.dialect.name == "postgresql":
        return [sa.func.ST_AsBinary(geom).label("wkb"), sa.func.ST_SRID(geom).label("srid")]
    return [geom.label("wkb"), sa.literal(None).label("srid")]


def layer_srid(conn) -> int | None:
    """The SRS id the mine layer declares (GeoPackage ``gpkg_geometry_columns``; PostGIS the
    column's type)."""
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql("SELECT Find_SRID('public', 'register_mines', 'geom')"
                                    ).scalar()
    return conn.exec_driver_sql("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = "
                                "'register_mines'").scalar()


def wkb_from_stored(engine: sa.Engine, value: bytes | None) -> bytes | None:
    """WKB from what :func:`geometry_sql` selected."""
    if value is None:
        return None
    value = bytes(value)
    if engine.dialect.name == "postgresql":
        return value
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}.get((value[3] >> 1) & 0b111) \
        if len(value) >= 8 and value[:2] == b"GP" else None
    if envelope is None:  # not a GeoPackage geometry: kept whole, so its digest differs
        return value
    return value[8 + envelope:]


def stored_srid(engine: sa.Engine, value: bytes | None) -> int | None:
    """The SRS id a stored GeoPackage geometry carries in its header (None when it has no
    header); PostgreSQL: see :func:`geometry_srid_sql`."""
    value = bytes(value) if value is not None else b""
    if len(value) < 8 or value[:2] != b"GP":
        return None
    return int.from_bytes(value[4:8], "little" if value[3] & 1 else "big", signed=True)
