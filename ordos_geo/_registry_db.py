"""Storage of the green-mine register: one schema, two backends, through SQLAlchemy Core.

* **GeoPackage** (a ``.gpkg`` path, the default): GDAL creates the container and the mine
  feature table ``register_mines`` (MultiPolygon, EPSG:4326, no spatial-index triggers, so plain
  SQLite can write it); the events table is an attribute table registered in ``gpkg_contents``,
  so QGIS and ``ogrinfo`` list both. The file runs in WAL mode with a busy timeout, and every
  write transaction starts ``BEGIN IMMEDIATE``: two processes queue, neither corrupts the file.
* **PostgreSQL/PostGIS** (a ``postgresql://`` URL): the same tables with a PostGIS geometry
  column, created by the tool; writers run in transactions (psycopg 3).

Both refuse UPDATE, DELETE (and, on PostgreSQL, TRUNCATE) of an event with a trigger: the
history is append-only; a mistake is corrected by a new ``correction`` event. Every value reaches
SQL as a bound parameter.
"""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

import sqlalchemy as sa

from ._errors import InputFileError, UsageError
from ._messages import msg

__all__ = ["EVENTS", "MINES", "connect", "create", "geometry_param", "mine_geometry_sql"]

SCHEMA_VERSION = "1"
APPEND_ONLY = "the register is append-only: record a correction instead"

metadata = sa.MetaData()
EVENTS = sa.Table(
    "register_events", metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("mine_id", sa.Text, nullable=False, index=True),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("level", sa.Text),
    sa.Column("score", sa.Double),
    sa.Column("score_max", sa.Double),
    sa.Column("due_date", sa.Date),
    sa.Column("refers_to", sa.Integer),
    sa.Column("supersedes", sa.Integer),
    sa.Column("corrected_event", sa.Text),
    sa.Column("evaluator_org", sa.Text),
    sa.Column("checked_by", sa.Text),
    sa.Column("evaluated_by", sa.Text),
    sa.Column("tracked_by", sa.Text),
    sa.Column("responsible", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("recorded_at", sa.Text, nullable=False),  # ISO 8601 UTC, as GeoPackage wants
)
#: Third-party evaluators that may no longer verify (评估机构黑名单), append-only like the events.
BLACKLIST = sa.Table(
    "register_blacklist", metadata,
    sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("organisation", sa.Text, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("responsible", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.Text, nullable=False))
META = sa.Table("register_meta", metadata, sa.Column("key", sa.Text, primary_key=True),
                sa.Column("value", sa.Text))
#: The mine table's attribute columns (its geometry column is ``geom``).
MINES = sa.Table("register_mines", sa.MetaData(),
                 sa.Column("fid", sa.Integer, primary_key=True, autoincrement=True),
                 sa.Column("mine_id", sa.Text, nullable=False, unique=True),
                 sa.Column("name", sa.Text), sa.Column("banner", sa.Text),
                 sa.Column("geom", sa.LargeBinary))


def is_postgres(db: str | Path) -> bool:
    return str(db).startswith(("postgresql://", "postgresql+psycopg://", "postgres://"))


def _url(db: str | Path) -> str:
    text = str(db)
    if is_postgres(text):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    path = Path(text)
    if path.suffix.lower() != ".gpkg":
        raise UsageError(msg("reg_location", db=repr(text)))
    return f"sqlite:///{path}"


def connect(db: str | Path, *, must_exist: bool = True) -> sa.Engine:
    """An engine on the register ``db``; refuses a file or database that holds none."""
    if not is_postgres(db) and must_exist and not Path(db).exists():
        raise InputFileError(msg("reg_no_register", db=repr(str(db))))
    engine = sa.create_engine(_url(db), connect_args={"timeout": 60} if not is_postgres(db)
                              else {}, pool_pre_ping=False)
    if engine.dialect.name == "sqlite":
        _sqlite_writes_queue(engine)
    if must_exist:
        try:
            _check_register(engine, db)
        except BaseException:
            engine.dispose()
            raise
    return engine


def _check_register(engine: sa.Engine, db) -> None:
    """Refuse a database that holds no ordos_geo register."""
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.select(META.c.value).where(META.c.key == "schema")
                                   ).scalar_one_or_none()
    except sa.exc.OperationalError as exc:
        raise InputFileError(msg("reg_cannot_open", db=_shown(db),
                                 reason=str(exc.orig).strip().splitlines()[0])) from None
    except sa.exc.ProgrammingError:
        version = None
    if version is None:
        raise InputFileError(msg("reg_not_register", db=_shown(db)))


def _shown(db: str | Path) -> str:
    """The database as it may be printed: a URL without its password."""
    if is_postgres(db):
        return sa.make_url(_url(db)).render_as_string(hide_password=True)
    return repr(str(db))


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


def create(db: str | Path) -> sa.Engine:
    """Create an empty register at ``db`` (refused when one is there already)."""
    if is_postgres(db):
        engine = connect(db, must_exist=False)
        try:
            _create_postgres(engine, db)
        except BaseException:
            engine.dispose()
            raise
        return engine
    path = Path(db)
    if path.exists():
        raise UsageError(msg("reg_exists", db=repr(str(path))))
    _gpkg_container(path)
    engine = connect(path, must_exist=False)
    with engine.begin() as conn:
        metadata.create_all(conn)
        conn.exec_driver_sql("CREATE UNIQUE INDEX register_mines_mine_id ON register_mines "
                             "(mine_id)")
        for table in ("register_events", "register_blacklist"):
            for verb in ("UPDATE", "DELETE"):
                conn.exec_driver_sql(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
        for table in ("register_events", "register_meta", "register_blacklist"):
            conn.exec_driver_sql(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, last_change) "
                "VALUES (?, 'attributes', ?, ?)", (table, table, now))
        conn.execute(sa.insert(META), [{"key": "schema", "value": SCHEMA_VERSION}])
    return engine


def _create_postgres(engine: sa.Engine, db) -> None:
    with engine.begin() as conn:
        if sa.inspect(conn).has_table("register_events"):
            raise UsageError(msg("reg_exists", db=_shown(db)))
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.exec_driver_sql(
            "CREATE TABLE register_mines (fid serial PRIMARY KEY, mine_id text NOT NULL UNIQUE, "
            "name text, banner text, geom geometry(MultiPolygon, 4326))")
        metadata.create_all(conn)
        _pg_triggers(conn)
        conn.execute(sa.insert(META), [{"key": "schema", "value": SCHEMA_VERSION}])


def _gpkg_container(path: Path) -> None:
    """A GeoPackage 1.2 with the empty mine layer, made by GDAL (a valid container)."""
    import geopandas as gpd
    import pyogrio

    from .io import GPKG_OPTIONS

    path.parent.mkdir(parents=True, exist_ok=True)
    empty = gpd.GeoDataFrame({"mine_id": [], "name": [], "banner": []},
                             geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    for col in ("mine_id", "name", "banner"):
        empty[col] = empty[col].astype(object)
    pyogrio.write_dataframe(empty, path, layer="register_mines", driver="GPKG",
                            geometry_type="MultiPolygon", dataset_options=GPKG_OPTIONS,
                            layer_options={"SPATIAL_INDEX": "NO", "FID": "fid",
                                           "GEOMETRY_NAME": "geom"})


def _pg_triggers(conn) -> None:
    conn.exec_driver_sql(
        "CREATE FUNCTION register_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$")
    conn.exec_driver_sql("CREATE TRIGGER register_events_append_only BEFORE UPDATE OR DELETE ON "
                         "register_events FOR EACH ROW EXECUTE FUNCTION register_append_only()")
    for table in ("register_events", "register_blacklist"):
        if table != "register_events":
            conn.exec_driver_sql(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON "
                                 f"{table} FOR EACH ROW EXECUTE FUNCTION register_append_only()")
        conn.exec_driver_sql(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                             "FOR EACH STATEMENT EXECUTE FUNCTION register_append_only()")


def geometry_param(engine: sa.Engine, geom) -> bytes | None:
    """A mine geometry (MultiPolygon, EPSG:4326) as the backend stores it: GeoPackage binary
    (``GP`` header, SRS 4326, no envelope, then WKB) or WKB for PostGIS's ``ST_GeomFromWKB``."""
    import shapely

    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "Polygon":
        geom = shapely.MultiPolygon([geom])
    wkb = shapely.to_wkb(geom, byte_order=1)
    if engine.dialect.name == "postgresql":
        return wkb
    return b"GP" + struct.pack("<BBi", 0, 0b00000001, 4326) + wkb


def mine_geometry_sql(engine: sa.Engine):
    """The expression that turns the bound ``geom`` parameter into the stored geometry."""
    if engine.dialect.name == "postgresql":
        return sa.func.ST_GeomFromWKB(sa.bindparam("geom"), 4326)
    return sa.bindparam("geom")


def geometry_wkb_sql(engine: sa.Engine):
    """A select expression giving each mine's geometry as WKB (None when it has none)."""
    geom = sa.column("geom")
    if engine.dialect.name == "postgresql":
        return sa.func.ST_AsBinary(geom).label("wkb")
    return geom.label("wkb")  # GeoPackage binary; the reader strips the header


def wkb_from_stored(engine: sa.Engine, value: bytes | None) -> bytes | None:
    """WKB from what :func:`geometry_wkb_sql` selected."""
    if value is None:
        return None
    value = bytes(value)
    if engine.dialect.name == "postgresql":
        return value
    flags = value[3]
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 0b111]
    return value[8 + envelope:]
