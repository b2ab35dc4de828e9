#!/usr/bin/python3
"""The SQL of the Tortoise ORM recipe (doc/orm/tortoise.md), run without
Tortoise: Tortoise ORM has no Debian or npm package, so it is not installed
here.  This runs, through psycopg2:
  - schema.sql: the table generate_schemas() makes for the recipe's model;
  - the "upgrade" and "downgrade" regions of orm_triggers.sql, extracted by
    their recipe markers (the same regions doc/orm/tortoise.md shows, which
    test/t/079_recipes.pl checks): what the aerich migration returns;
  - statements of the shape Tortoise's asyncpg executor sends for create(),
    save() (every field written back, WHERE pk), QuerySet.update() and
    delete(), with the actor set by set_config() in the transaction.
Prints TAP; run by test/t/077_orm_tortoise_sql.pl.
"""
import getpass
import json
import os
import re
import select
import sys
import time

import psycopg2
import psycopg2.errors

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from tap import done, ok  # noqa: E402
DB = "orm_tortoise"
USER = os.environ.get("PGUSER") or getpass.getuser()
FIELDS = ["name", "price", "created_at", "updated_at", "created_by", "updated_by", "version", "deleted_at"]



def region(path, name):
    """the lines between "recipe:begin NAME" and "recipe:end NAME" """
    lines = open(path, encoding="utf-8").read().splitlines()
    pat = re.compile(r"recipe:(begin|end)\s+%s(\s|$)" % re.escape(name))
    marks = [i for i, line in enumerate(lines) if pat.search(line)]
    assert len(marks) == 2, "%s: region %s not found" % (path, name)
    return "\n".join(line for line in lines[marks[0] + 1:marks[1]] if "recipe:" not in line)


class Tortoise:
    """the statements Tortoise sends, on one connection"""

    def __init__(self, conn):
        self.conn = conn

    def q(self, sql, params=None):
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else cur.rowcount

    def create(self, **values):
        row = {f: values.get(f) for f in FIELDS}
        row["price"] = row["price"] or 0
        cols = ",".join('"%s"' % f for f in FIELDS)
        return self.q('INSERT INTO "item" (%s) VALUES (%s) RETURNING "id"' % (cols, ",".join(["%s"] * len(FIELDS))),
                      [row[f] for f in FIELDS])[0][0]

    def get(self, pk):
        cols = ",".join('"%s"' % f for f in ["id"] + FIELDS)
        r = self.q('SELECT %s FROM "item" WHERE "id"=%%s LIMIT 2' % cols, [pk])[0]
        return dict(zip(["id"] + FIELDS, r))

    def save(self, obj):
        sets = ",".join('"%s"=%%s' % f for f in FIELDS)
        return self.q('UPDATE "item" SET %s WHERE "id"=%%s' % sets, [obj[f] for f in FIELDS] + [obj["id"]])

    def delete(self, obj):
        return self.q('DELETE FROM "item" WHERE "id"=%s', [obj["id"]])


def main():
    admin = psycopg2.connect(dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS %s" % DB)
        cur.execute("CREATE DATABASE %s" % DB)
    admin.close()

    conn = psycopg2.connect(dbname=DB)
    conn.autocommit = True
    t = Tortoise(conn)
    sql_file = os.path.join(HERE, "orm_triggers.sql")
    count_sql = "SELECT count(*) FROM orm_triggers.attached WHERE table_name = 'item'::regclass"

    t.q(open(os.path.join(HERE, "schema.sql"), encoding="utf-8").read())
    oids_sql = "SELECT array_agg(trigger_oid ORDER BY trigger_oid) FROM orm_triggers.attached WHERE table_name = 'item'::regclass"
    t.q(region(sql_file, "upgrade"))
    ok(t.q(count_sql)[0][0] == 8, "the recipe's upgrade SQL attaches 8 triggers")
    oids = t.q(oids_sql)
    t.q(region(sql_file, "upgrade"))
    ok(t.q(oids_sql) == oids, "run again (aerich re-run, squashed migrations): the same triggers, untouched")
    t.q(region(sql_file, "downgrade"))
    ok(t.q(count_sql)[0][0] == 0, "the recipe's downgrade SQL detaches them")
    t.q(region(sql_file, "upgrade"))

    def in_tx(actor, fn):
        """async with in_transaction() as conn: set_config(...); ..."""
        conn.autocommit = False
        try:
            t.q("SELECT set_config('orm_triggers.actor', %s, true)", [actor])
            r = fn()
            now = t.q("SELECT now()")[0][0]
            conn.commit()
            return r, now
        except Exception:
            conn.rollback()
            raise
        finally:
            conn.autocommit = True

    # create(): trigger-owned fields are sent as None
    pk, t_ins = in_tx("alice", lambda: t.create(name="kettle", price=25))
    a = t.get(pk)
    ok(a["created_at"] == t_ins and a["updated_at"] == t_ins and a["created_by"] == "alice"
       and a["version"] == 1, "create(): stamps, actor and version 1 from the triggers", a)

    # save(): every field written back as read, created_at included
    a["price"] = 30
    cnt, t_save = in_tx("bob", lambda: t.save(a))
    b = t.get(pk)
    ok(cnt == 1 and b["version"] == 2 and b["updated_at"] == t_save and b["updated_by"] == "bob"
       and b["created_at"] == t_ins and b["created_by"] == "alice",
       "save(): version read -> stored + 1, updated_* set, created_* kept", b)
    cnt, _ = in_tx("bob", lambda: t.save(b))
    c = t.get(pk)
    ok(c["updated_at"] == t_save and c["version"] == 3, "save() of an unchanged object: no stamp bump, version bumped", c)

    # a stale save(): 40001, nothing changed
    a["price"] = 99  # a still holds version 1
    try:
        in_tx("carol", lambda: t.save(a))
        e = None
    except psycopg2.Error as exc:
        e = exc
    ok(e is not None and e.pgcode == "40001", "a stale save() (version read 1, stored 3): SQLSTATE 40001",
       getattr(e, "pgerror", None))
    ok(t.get(pk)["price"] == 30, "the stale save changed nothing")

    # QuerySet.update(): bypasses save(), still stamped
    cnt, t_upd = in_tx("dave", lambda: t.q('UPDATE "item" SET "price"=%s WHERE "name"=%s', [31, "kettle"]))
    d = t.get(pk)
    ok(cnt == 1 and d["updated_at"] == t_upd and d["updated_by"] == "dave" and d["version"] == 4,
       "Item.filter(...).update(): updated_at/updated_by set, version bumped (tortoise-orm #431)", d)

    # delete(): soft, 0 rows reported
    cnt, t_del = in_tx("erin", lambda: t.delete(d))
    e = t.get(pk)
    ok(cnt == 0 and e["deleted_at"] == t_del and e["version"] == 5 and e["updated_by"] == "erin",
       "delete(): DELETE reports 0 rows, the row is marked deleted_at, version bumped", (cnt, e))

    log = t.q("""SELECT op, actor, session_user_name FROM orm_triggers.audit_log
                  WHERE table_name = 'item' ORDER BY id""")
    ok([r[0] for r in log] == ["INSERT", "UPDATE", "UPDATE", "UPDATE", "UPDATE"]
       and [r[1] for r in log] == ["alice", "bob", "bob", "dave", "erin"] and all(r[2] == USER for r in log),
       "audit_log: every change with its actor and the session user", log)

    listener = psycopg2.connect(dbname=DB)
    listener.autocommit = True
    listener.cursor().execute("LISTEN item")
    in_tx("frank", lambda: t.q('UPDATE "item" SET "price"=%s WHERE "id"=%s', [32, pk]))
    got = []
    deadline = time.time() + 10
    while time.time() < deadline and not got:
        if select.select([listener], [], [], 0.5)[0]:
            listener.poll()
            got.extend(json.loads(x.payload) for x in listener.notifies)
            listener.notifies.clear()
    ok(len(got) == 1 and got[0]["op"] == "UPDATE" and got[0]["key"] == {"id": pk},
       "notify_change: a listener gets the committed update", got)
    listener.close()
    conn.close()
    return done()


if __name__ == "__main__":
    sys.exit(main())
