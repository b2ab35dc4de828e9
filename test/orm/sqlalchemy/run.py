#!/usr/bin/python3
"""SQLAlchemy with Alembic (Debian's python3-sqlalchemy, alembic, psycopg2)
against orm_triggers, set up exactly as doc/orm/sqlalchemy.md says: the
Alembic revisions in migrations/ attach the triggers, models.py holds the
mapping and the session hooks.  Everything below goes through SQLAlchemy's
own API; raw SQL only reads the audit log, checks the clock and plays the
other writers.  Prints TAP; run by test/t/071_orm_sqlalchemy.pl.

Needs PGHOST/PGPORT (and PGUSER) of a running server where the current user
may CREATE DATABASE and CREATE EXTENSION.
"""
import getpass
import json
import os
import select
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from tap import done, ok, raises  # noqa: E402

import alembic  # noqa: E402
import psycopg2  # noqa: E402
import sqlalchemy  # noqa: E402
from alembic import command  # noqa: E402
from alembic.autogenerate import compare_metadata  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402
from sqlalchemy import create_engine, text, update  # noqa: E402
from sqlalchemy.dialects.postgresql import insert as pg_insert  # noqa: E402
from sqlalchemy.exc import IntegrityError  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from sqlalchemy.orm.exc import StaleDataError  # noqa: E402

from models import Base, Item  # noqa: E402

DB = "orm_sqlalchemy"
USER = os.environ.get("PGUSER") or getpass.getuser()




# The same table mapped with SQLAlchemy's default confirm_deleted_rows, to
# show why the recipe turns it off.
class StrictItem(Base):
    __table__ = Item.__table__
    __mapper_args__ = {"version_id_col": Item.__table__.c.version, "eager_defaults": True}


# recipe:begin listen
def changes(conn, idle=1.0):
    """The payloads notify_change sent to a psycopg2 connection that runs
    LISTEN in autocommit mode, until none came for `idle` seconds."""
    while select.select([conn], [], [], idle)[0]:
        conn.poll()
        while conn.notifies:
            yield json.loads(conn.notifies.pop(0).payload)
# recipe:end listen


def main():
    admin = psycopg2.connect(dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS %s" % DB)
        cur.execute("CREATE DATABASE %s" % DB)
    admin.close()
    print("# SQLAlchemy %s, Alembic %s, psycopg2 %s" % (
        sqlalchemy.__version__, alembic.__version__, psycopg2.__version__.split()[0]), flush=True)

    url = "postgresql+psycopg2://%s@/%s?host=%s&port=%s" % (
        USER, DB, os.environ["PGHOST"], os.environ.get("PGPORT", "5432"))
    engine = create_engine(url, future=True)

    def sql(q, **params):
        with engine.connect() as c:
            r = c.execute(text(q), params)
            rows = r.fetchall() if r.returns_rows else None
            c.commit()
            return rows

    # --- the migration tool attaches the triggers
    cfg = Config()
    cfg.set_main_option("script_location", os.path.join(HERE, "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    count_sql = "SELECT count(*) FROM orm_triggers.attached WHERE table_name = 'item'::regclass"
    command.upgrade(cfg, "head")
    ok(sql(count_sql)[0][0] == 9, "alembic upgrade head: revision 0002 attached 9 triggers with orm_triggers.attach()")
    with engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), Base.metadata)
    ok(diff == [], "alembic autogenerate: the revisions match the models", diff)
    command.downgrade(cfg, "0001")
    ok(sql(count_sql)[0][0] == 0, "alembic downgrade 0001: every trigger detached")
    command.upgrade(cfg, "head")
    ok(sql(count_sql)[0][0] == 9, "alembic upgrade head again: attached again")

    # --- INSERT: the triggers' values come back with RETURNING
    with Session(engine, future=True, info={"actor": "alice", "context": {"req": 1}}) as s:
        a = Item(name="kettle", price=25, owner="shop1")
        b = Item(name="teapot", price=40, owner="shop1")
        s.add_all([a, b])
        s.flush()
        t_insert = s.execute(text("SELECT now()")).scalar()
        ok(a.created_at == t_insert and a.updated_at == t_insert and a.created_by == "alice"
           and a.updated_by == "alice",
           "INSERT: created_at/updated_at/created_by/updated_by are the trigger's, fetched by RETURNING")
        ok(a.version == 1, "INSERT: version 1 (SQLAlchemy's own first version, kept)", a.version)
        s.commit()
        a_id, b_id = a.id, b.id

    # --- UPDATE through the unit of work: SQLAlchemy's read + 1 is kept
    time.sleep(0.01)
    with Session(engine, future=True, info={"actor": "bob"}) as s:
        a = s.get(Item, a_id)
        a.price = 30
        s.flush()
        t_upd = s.execute(text("SELECT now()")).scalar()
        ok(a.version == 2 and a.updated_at == t_upd and a.updated_by == "bob",
           "flush of a changed object: version 1 -> 2 (SET version = 2 WHERE version = 1), stamps fetched",
           (a.version, a.updated_by))
        s.commit()
    ok(sql("SELECT version, price FROM item WHERE id = :i", i=a_id)[0] == (2, 30),
       "the stored version is SQLAlchemy's own: 2")

    # --- a stale flush raises StaleDataError and changes nothing
    s1 = Session(engine, future=True)
    s2 = Session(engine, future=True)
    stale = s1.get(Item, a_id)
    fresh = s2.get(Item, a_id)
    fresh.price = 31
    s2.commit()
    stale.price = 99
    e = raises(s1.flush)
    ok(isinstance(e, StaleDataError), "stale flush (another session committed first): StaleDataError", repr(e))
    s1.rollback()
    ok(sql("SELECT version, price FROM item WHERE id = :i", i=a_id)[0] == (3, 31),
       "the stale flush changed nothing (version 3, price 31)")
    s1.close()
    s2.close()

    # --- bulk update statements bypass the unit of work and still bump
    time.sleep(0.01)
    with Session(engine, future=True, info={"actor": "carol"}) as s:
        loaded = s.get(Item, b_id)
        s.execute(update(Item).where(Item.name == "kettle").values(price=32))
        s.execute(update(Item).where(Item.id == b_id).values(price=41), execution_options={"synchronize_session": False})
        t_bulk = s.execute(text("SELECT now()")).scalar()
        s.commit()
    ok(sql("SELECT version, updated_at, updated_by FROM item WHERE id = :i", i=a_id)[0] == (4, t_bulk, "carol"),
       "session.execute(update(Item)): version bumped 3 -> 4, updated_at/updated_by set")
    with Session(engine, future=True) as s:
        loaded = s.get(Item, b_id)
        old_version = loaded.version
        s.execute(update(Item).where(Item.id == b_id).values(price=42), execution_options={"synchronize_session": False})
        loaded.price = 43
        e = raises(s.flush)
        ok(isinstance(e, StaleDataError) and old_version == 2,
           "an object loaded before a bulk update is stale afterwards: StaleDataError on flush", repr(e))
        s.rollback()

    # --- upsert: INSERT ... ON CONFLICT DO UPDATE
    time.sleep(0.01)
    with Session(engine, future=True, info={"actor": "dave"}) as s:
        # recipe:begin upsert
        stmt = pg_insert(Item).values([
            {"id": a_id, "name": "kettle", "price": 33, "owner": "shop1"},
            {"id": 100, "name": "cup", "price": 5, "owner": "shop2"}])
        stmt = stmt.on_conflict_do_update(index_elements=[Item.id], set_={"price": stmt.excluded.price})
        rows = s.execute(stmt.returning(Item.id, Item.version, Item.created_by, Item.updated_by,
                                        Item.created_at, Item.updated_at)).fetchall()
        # recipe:end upsert
        t_ups = s.execute(text("SELECT now()")).scalar()
        s.commit()
    got = {r[0]: r for r in rows}
    ok(got[a_id][1] == 5 and got[a_id][2] == "alice" and got[a_id][3] == "dave"
       and got[a_id][4] == t_insert and got[a_id][5] == t_ups,
       "on_conflict_do_update of an existing row: version 4 -> 5, created_* kept, updated_* set (RETURNING)",
       got.get(a_id))
    ok(got[100][1] == 1 and got[100][2] == "dave" and got[100][4] == t_ups,
       "on_conflict_do_update of a new row: version 1 and stamps", got.get(100))

    # --- protect_columns: IntegrityError, nothing changed
    with Session(engine, future=True) as s:
        a = s.get(Item, a_id)
        a.owner = "mallory"
        e = raises(s.commit)
        ok(isinstance(e, IntegrityError) and getattr(e.orig, "pgcode", None) == "23000",
           "flush changing a protected column: IntegrityError (23000)", repr(e))
        s.rollback()
    ok(sql("SELECT owner FROM item WHERE id = :i", i=a_id)[0][0] == "shop1", "the protected column kept its value")

    # --- soft delete through session.delete()
    time.sleep(0.01)
    with Session(engine, future=True, info={"actor": "erin"}) as s:
        cup = s.get(Item, 100)
        v = cup.version
        s.delete(cup)
        e = raises(s.commit)
        ok(e is None, "session.delete() of a soft-deleting row: no error (confirm_deleted_rows=False)", repr(e))
    row = sql("SELECT deleted_at IS NOT NULL, version, updated_by FROM item WHERE id = 100")
    ok(row == [(True, v + 1, "erin")], "the row stays, marked: deleted_at set, version bumped, updated_by set", row)
    with Session(engine, future=True) as s:
        ok(s.get(Item, 100) is None and sorted(s.execute(sqlalchemy.select(Item.id)).scalars().all()) == sorted([a_id, b_id]),
           "ORM queries hide it (with_loader_criteria in do_orm_execute)")
        ok(s.execute(sqlalchemy.select(Item).where(Item.id == 100).execution_options(include_deleted=True)).scalar_one().version == v + 1,
           "execution_options(include_deleted=True) shows it")

    # a stale session.delete() matches 0 rows (WHERE version = read) and,
    # with confirm_deleted_rows=False, passes silently: nothing is marked
    s1 = Session(engine, future=True)
    stale = s1.get(Item, b_id)
    sql("UPDATE item SET price = price + 1 WHERE id = :i", i=b_id)
    s1.delete(stale)
    e = raises(s1.commit)
    row = sql("SELECT deleted_at FROM item WHERE id = :i", i=b_id)
    ok(e is None and row == [(None,)],
       "a stale session.delete(): no error and no mark (the version guard matched no row)", (repr(e), row))
    s1.close()

    # SQLAlchemy's default (confirm_deleted_rows=True): 0 rows with a version
    # column is a StaleDataError; the rollback undoes the mark
    with Session(engine, future=True) as s:
        strict = s.get(StrictItem, b_id)
        s.delete(strict)
        e = raises(s.commit)
        ok(isinstance(e, StaleDataError) and "expected to delete 1 row(s); 0 were matched" in str(e),
           "without confirm_deleted_rows=False, session.delete() raises StaleDataError", repr(e))
        s.rollback()
    ok(sql("SELECT deleted_at FROM item WHERE id = :i", i=b_id) == [(None,)], "... and after its rollback nothing is marked")

    # the ORM's own soft delete as a versioned UPDATE: a stale one raises
    with Session(engine, future=True, info={"actor": "frank"}) as s:
        teapot = s.get(Item, b_id)
        sql("UPDATE item SET price = price + 1 WHERE id = :i", i=b_id)
        teapot.soft_delete()
        e = raises(s.commit)
        ok(isinstance(e, StaleDataError), "soft delete as an UPDATE of deleted_at: a stale one raises StaleDataError", repr(e))
        s.rollback()
        teapot = s.get(Item, b_id)
        teapot.soft_delete()
        s.commit()
    ok(sql("SELECT deleted_at IS NOT NULL, updated_by FROM item WHERE id = :i", i=b_id) == [(True, "frank")],
       "soft delete as an UPDATE of deleted_at: a fresh one marks the row")

    # a real delete: orm_triggers.hard_delete for one transaction
    # recipe:begin hard_delete
    with Session(engine, future=True) as s:
        s.execute(text("SET LOCAL orm_triggers.hard_delete = on"))
        cup = s.get(Item, 100, execution_options={"include_deleted": True})
        s.delete(cup)
        s.commit()
    # recipe:end hard_delete
    ok(sql("SELECT count(*) FROM item WHERE id = 100")[0][0] == 0,
       "SET LOCAL orm_triggers.hard_delete = on in the transaction: session.delete() really deletes")

    # --- actor and context per transaction, read back from the audit log
    log = sql("""SELECT op, actor, session_user_name, context FROM orm_triggers.audit_log
                  WHERE table_name = 'item' AND key = jsonb_build_object('id', :i) ORDER BY id""", i=a_id)
    ok(log[0] == ("INSERT", "alice", USER, {"req": 1}) and log[1][:3] == ("UPDATE", "bob", USER) and log[1][3] is None,
       "audit_log: each transaction's actor and context (after_begin), always the session user", log[:2])
    log = sql("""SELECT op, actor, new_values ? 'deleted_at' FROM orm_triggers.audit_log
                  WHERE table_name = 'item' AND key = jsonb_build_object('id', 100) ORDER BY id""")
    ok([r[0] for r in log] == ["INSERT", "UPDATE", "DELETE"] and log[1] == ("UPDATE", "erin", True),
       "audit_log: the soft delete is an UPDATE, the hard delete a DELETE", log)
    with Session(engine, future=True) as s:
        s.execute(update(Item).where(Item.id == a_id).values(price=34))
        s.commit()
    ok(sql("SELECT updated_by FROM item WHERE id = :i", i=a_id)[0][0] == USER,
       "a Session without info['actor']: the session user; the setting did not leak from the pool")

    # --- notify_change through psycopg2: LISTEN, poll(), notifies
    raw = engine.raw_connection()
    listener = raw.connection
    listener.autocommit = True
    listener.cursor().execute("LISTEN item")
    with Session(engine, future=True) as s:
        a = s.get(Item, a_id)
        a.price = 35
        s.commit()
    with Session(engine, future=True) as s:
        s.execute(update(Item).where(Item.id == a_id).values(price=36))
        s.rollback()
    got = list(changes(listener))
    ok(len(got) == 1 and got[0]["op"] == "UPDATE" and got[0]["key"] == {"id": a_id} and "price" in got[0]["changed"],
       "notify_change: the committed flush arrives through psycopg2's notifies, the rolled-back update does not", got)
    listener.cursor().execute("UNLISTEN *")
    raw.close()

    engine.dispose()
    return done()


if __name__ == "__main__":
    sys.exit(main())
