#!/usr/bin/python3
"""Django (Debian's python3-django, psycopg2) against orm_triggers, set up
exactly as doc/orm/django.md says: the migrations in shop/migrations attach
the triggers, the models in shop/models.py, the actor hook in shop/actor.py.
Everything below goes through Django's own API; raw SQL only reads the audit
log, checks the clock and plays the other writers.  Prints TAP; run by
test/t/070_orm_django.pl.

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

import django  # noqa: E402
import psycopg2  # noqa: E402
from django.conf import settings  # noqa: E402

DB = "orm_django"
USER = os.environ.get("PGUSER") or getpass.getuser()




def pgcode(exc):
    cause = getattr(exc, "__cause__", None)
    return getattr(cause, "pgcode", None)


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

    settings.configure(
        DATABASES={"default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": DB,
            "HOST": os.environ["PGHOST"],
            "PORT": os.environ.get("PGPORT", "5432"),
            "USER": USER,
        }},
        INSTALLED_APPS=["shop"],
        USE_TZ=True,
        TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()
    from django.core.management import call_command
    from django.db import IntegrityError, OperationalError, connection, transaction
    from django.db.models import F
    from django.db.models.signals import post_delete
    from django.test import RequestFactory
    from shop.actor import ActorMiddleware, SetActor
    from shop.models import Item

    print("# Django %s, psycopg2 %s" % (django.get_version(), psycopg2.__version__.split()[0]), flush=True)

    def sql(q, params=None):
        with connection.cursor() as cur:
            cur.execute(q, params)
            return cur.fetchall() if cur.description else None

    def db_now():
        return sql("SELECT now()")[0][0]

    # --- the migration tool attaches the triggers
    call_command("migrate", "shop", verbosity=0)
    attached = sql("SELECT function_name, arguments FROM orm_triggers.attached"
                   " WHERE table_name = 'shop_item'::regclass ORDER BY trigger_name")
    ok(len(attached) == 9, "migrate: 0002_orm_triggers attached 9 triggers with orm_triggers.attach()", attached)
    e = raises(lambda: call_command("makemigrations", "shop", check=True, dry_run=True, verbosity=0))
    ok(e is None, "makemigrations --check: the migrations match the models", e)
    # attach() is idempotent: running the migration's SQL again changes nothing
    call_command("migrate", "shop", "0001", verbosity=0)
    ok(sql("SELECT count(*) FROM orm_triggers.attached WHERE table_name = 'shop_item'::regclass")[0][0] == 0,
       "migrate shop 0001: the reverse SQL detaches every trigger")
    call_command("migrate", "shop", verbosity=0)
    ok(sql("SELECT count(*) FROM orm_triggers.attached WHERE table_name = 'shop_item'::regclass")[0][0] == 9,
       "migrate again: attached again")

    # --- create: the trigger's values come back (RETURNING for created_at/updated_at)
    with connection.execute_wrapper(SetActor("alice")), transaction.atomic():
        a = Item.objects.create(name="kettle", price=25, owner="shop1")
        b = Item.objects.create(name="teapot", price=40, owner="shop1")
        t_insert = db_now()
    ok(a.created_at == t_insert and a.updated_at == t_insert,
       "create(): created_at/updated_at are the transaction time, back through RETURNING")
    ok(a.version == 1, "create(): version 1 from the trigger", a.version)
    a.refresh_from_db()
    ok(a.created_by == "alice" and a.updated_by == "alice",
       "create(): created_by/updated_by are the actor set by the execute_wrapper", (a.created_by, a.updated_by))

    # --- save(): the trigger bumps the version and the stamps
    time.sleep(0.01)
    with connection.execute_wrapper(SetActor("bob")), transaction.atomic():
        a.price = 30
        a.save()
        t_save = db_now()
    ok(a.version == 2 and a.updated_at == t_save and a.updated_by == "bob",
       "save() of a changed object: version 1 -> 2, updated_at/updated_by set (refreshed in save())",
       (a.version, a.updated_at, t_save, a.updated_by))
    a.refresh_from_db()
    ok(a.created_at == t_insert and a.created_by == "alice", "save(): created_at/created_by kept")

    time.sleep(0.01)
    with connection.execute_wrapper(SetActor("carol")):
        a.save()
    ok(a.version == 3 and a.updated_at == t_save and a.updated_by == "bob",
       "save() of an unchanged object: no stamp bump, the version still bumps (3)", (a.version, a.updated_by))

    # --- a stale save() fails with 40001 and changes nothing
    stale = Item.objects.get(pk=a.pk)
    fresh = Item.objects.get(pk=a.pk)
    fresh.price = 31
    fresh.save()
    stale.price = 99
    e = raises(stale.save)
    ok(isinstance(e, OperationalError) and pgcode(e) == "40001",
       "stale save() (another save came first): OperationalError with SQLSTATE 40001", repr(e))
    a.refresh_from_db()
    ok(a.price == 31 and a.version == 4, "the stale save changed nothing", (a.price, a.version))

    # --- the usual Django optimistic lock: filter(version=read).update(version=F + 1)
    read = a.version
    # recipe:begin version_filter
    n1 = Item.objects.filter(pk=a.pk, version=read).update(price=32, version=F("version") + 1)
    # recipe:end version_filter
    a.refresh_from_db()
    ok(n1 == 1 and a.version == read + 1 and a.price == 32,
       "filter(pk, version=read).update(version=F('version') + 1): 1 row, the ORM's read + 1 kept",
       (n1, a.version))
    n2 = Item.objects.filter(pk=a.pk, version=read).update(price=33, version=F("version") + 1)
    a.refresh_from_db()
    ok(n2 == 0 and a.version == read + 1 and a.price == 32,
       "the same update with a stale version: 0 rows, nothing changed", (n2, a.version, a.price))

    # --- bulk writes bypassing save(): QuerySet.update(), bulk_update()
    time.sleep(0.01)
    with connection.execute_wrapper(SetActor("dave")), transaction.atomic():
        v_a = a.version
        cnt = Item.objects.filter(name="kettle").update(price=34)
        t_upd = db_now()
    a.refresh_from_db()
    b.refresh_from_db()
    ok(cnt == 1 and a.updated_at == t_upd and a.updated_by == "dave" and a.version == v_a + 1,
       "QuerySet.update(): updated_at, updated_by and the version bumped (Django #12184)")
    ok(b.updated_at == t_insert and b.version == 1, "rows QuerySet.update() did not touch keep their values")

    time.sleep(0.01)
    with connection.execute_wrapper(SetActor("erin")), transaction.atomic():
        a.price, b.price = 35, 41
        va, vb = a.version, b.version
        Item.objects.bulk_update([a, b], ["price"])
        t_bulk = db_now()
    a.refresh_from_db()
    b.refresh_from_db()
    ok(a.updated_at == t_bulk and b.updated_at == t_bulk and a.updated_by == "erin"
       and a.version == va + 1 and b.version == vb + 1,
       "bulk_update(): every changed row stamped and its version bumped")

    # --- upserts: update_or_create (both ways), bulk_create(ignore_conflicts=True)
    with connection.execute_wrapper(SetActor("frank")), transaction.atomic():
        v_b = b.version
        obj, created = Item.objects.update_or_create(name="teapot", defaults={"price": 42})
        obj2, created2 = Item.objects.update_or_create(name="cup", defaults={"price": 5, "owner": "shop2"})
        t_uoc = db_now()
    ok(not created and obj.pk == b.pk and obj.version == v_b + 1 and obj.updated_by == "frank"
       and obj.updated_at == t_uoc,
       "update_or_create() of an existing row: saved, version bumped, stamps set", (created, obj.version))
    obj2.refresh_from_db()
    ok(created2 and obj2.version == 1 and obj2.created_by == "frank" and obj2.created_at == t_uoc,
       "update_or_create() of a new row: inserted with version 1 and stamps")
    with connection.execute_wrapper(SetActor("gina")):
        Item.objects.bulk_create([Item(id=obj2.pk, name="cup", price=6), Item(name="saucer", price=3)],
                                 ignore_conflicts=True)
    obj2.refresh_from_db()
    saucer = Item.objects.get(name="saucer")
    ok(obj2.price == 5 and obj2.version == 1 and saucer.version == 1 and saucer.created_by == "gina",
       "bulk_create(ignore_conflicts=True): the existing row untouched, the new one stamped")

    # --- protect_columns: the ORM gets its IntegrityError
    a.owner = "mallory"
    e = raises(lambda: transaction.atomic()(a.save)())
    ok(isinstance(e, IntegrityError) and pgcode(e) == "23000",
       "save() changing a protected column: IntegrityError (23000)", repr(e))
    e = raises(lambda: Item.objects.filter(pk=a.pk).update(owner="mallory"))
    ok(isinstance(e, IntegrityError), "QuerySet.update() of a protected column: IntegrityError", repr(e))
    a.refresh_from_db()
    ok(a.owner == "shop1", "the protected column kept its value")

    # --- soft delete through Model.delete() and QuerySet.delete()
    time.sleep(0.01)
    pk_a, v_a = a.pk, a.version
    signalled = []
    post_delete.connect(lambda sender, instance, **kw: signalled.append(instance.pk), sender=Item, weak=False)
    with connection.execute_wrapper(SetActor("hank")), transaction.atomic():
        res = a.delete()
        t_del = db_now()
    ok(res[0] == 0, "Model.delete() on a soft-deleting table returns (0, {...}) and does not raise", res)
    ok(signalled == [pk_a], "post_delete is still sent for the instance", signalled)
    ok(a.pk is None, "Django sets the instance's pk to None after delete(), as after any delete")
    row = Item.all_objects.get(pk=pk_a)
    ok(row.deleted_at == t_del and row.version == v_a + 1 and row.updated_by == "hank",
       "the row stays, marked: deleted_at = now(), version bumped, updated_by set",
       (row.deleted_at, t_del, row.version))
    ok(not Item.objects.filter(pk=pk_a).exists(), "the default manager (deleted_at IS NULL) hides it")
    res = Item.objects.filter(name="saucer").delete()
    ok(res[0] == 0 and Item.all_objects.get(name="saucer").deleted_at is not None,
       "QuerySet.delete(): 0 reported, the rows soft-deleted", res)
    # a real delete: orm_triggers.hard_delete for one transaction
    # recipe:begin hard_delete
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET LOCAL orm_triggers.hard_delete = on")
        res = Item.all_objects.filter(name="saucer").delete()
    # recipe:end hard_delete
    ok(res[0] == 1 and not Item.all_objects.filter(name="saucer").exists(),
       "SET LOCAL orm_triggers.hard_delete = on in the transaction: delete() really deletes", res)

    # --- the actor middleware: a request's queries, in autocommit mode
    def view(request):
        it = Item.objects.create(name="mug", price=7, owner="shop2")  # its own transaction
        Item.objects.filter(pk=it.pk).update(price=8)                  # and another
        return it

    request = RequestFactory().post("/items")
    request.user = type("U", (), {"is_authenticated": True, "get_username": lambda self: "ivy"})()
    mug = ActorMiddleware(view)(request)
    mug.refresh_from_db()
    ok(mug.created_by == "ivy" and mug.updated_by == "ivy" and mug.version == 2,
       "ActorMiddleware: autocommit statements of a request get the request's user as actor")
    log = sql("""SELECT op, actor, session_user_name, context FROM orm_triggers.audit_log
                  WHERE table_name = 'shop_item' AND key = jsonb_build_object('id', %s) ORDER BY id""", [mug.pk])
    ok([r[0] for r in log] == ["INSERT", "UPDATE"] and all(r[1] == "ivy" and r[2] == USER for r in log)
       and all(json.loads(r[3]) == {"path": "/items", "method": "POST"} for r in log),
       "audit_log: actor, session user and the request context for both statements", log)
    Item.objects.filter(pk=mug.pk).update(price=9)
    mug.refresh_from_db()
    ok(mug.updated_by == USER, "outside the wrapper the session user is recorded: the setting did not leak",
       mug.updated_by)

    log = sql("""SELECT op, actor, new_values ? 'deleted_at' FROM orm_triggers.audit_log
                  WHERE table_name = 'shop_item' AND key = jsonb_build_object('id', %s) ORDER BY id""", [pk_a])
    ok(log[0][:2] == ("INSERT", "alice") and log[-1] == ("UPDATE", "hank", True),
       "audit_log: the soft delete is logged as the UPDATE it is, with its actor", log)

    # --- notify_change through psycopg2: LISTEN, poll(), notifies
    listener = psycopg2.connect(dbname=DB)
    listener.autocommit = True
    listener.cursor().execute("LISTEN shop_item")
    with transaction.atomic():
        obj.price = 43
        obj.save()
    with transaction.atomic():
        Item.objects.filter(pk=obj.pk).update(price=44)
        transaction.set_rollback(True)
    got = list(changes(listener))
    ok(len(got) == 1 and got[0]["op"] == "UPDATE" and got[0]["key"] == {"id": obj.pk}
       and got[0]["table"] == "shop_item" and "price" in got[0]["changed"],
       "notify_change: the committed save() arrives through psycopg2's notifies, the rolled-back update does not",
       got)
    listener.close()

    connection.close()
    return done()


if __name__ == "__main__":
    sys.exit(main())
