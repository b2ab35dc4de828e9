#!/usr/bin/python3
"""Django (Debian's python3-django) against orm_triggers, as the README recipe
sets it up: the triggers own created_at/updated_at/created_by/updated_by, the
model declares them without auto_now.  Prints TAP; run by test/check.

Needs PGHOST/PGPORT/PGUSER of a running server where CREATE EXTENSION works.
"""
import getpass
import os
import sys
import time

import django
from django.conf import settings

DB = "orm_django"


def tap():
    n = 0
    failed = 0

    def ok(cond, name):
        nonlocal n, failed
        n += 1
        if not cond:
            failed += 1
        print(("ok" if cond else "not ok") + " %d - %s" % (n, name), flush=True)

    def done():
        print("1..%d" % n)
        return 1 if failed else 0

    return ok, done


def main():
    import psycopg2

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
            "USER": (os.environ.get("PGUSER") or getpass.getuser()),
        }},
        INSTALLED_APPS=["django.contrib.contenttypes"],
        USE_TZ=True,
        TIME_ZONE="UTC",
    )
    django.setup()
    from django.db import connection, models, transaction

    class Item(models.Model):
        name = models.TextField()
        price = models.IntegerField(default=0)
        created_at = models.DateTimeField(null=True, editable=False)
        updated_at = models.DateTimeField(null=True, editable=False)
        created_by = models.TextField(null=True, editable=False)
        updated_by = models.TextField(null=True, editable=False)

        class Meta:
            app_label = "shop"
            db_table = "shop_item"

    with connection.schema_editor() as editor:
        editor.create_model(Item)
    # the migration of the README recipe
    with connection.cursor() as cur:
        cur.execute("""
            CREATE EXTENSION IF NOT EXISTS orm_triggers;
            CREATE TRIGGER item_updated_at BEFORE INSERT OR UPDATE ON shop_item
                FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
            CREATE TRIGGER item_created_at BEFORE INSERT OR UPDATE ON shop_item
                FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('created_at');
            CREATE TRIGGER item_created_by BEFORE INSERT OR UPDATE ON shop_item
                FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('created_by', 'on=insert');
            CREATE TRIGGER item_updated_by BEFORE INSERT OR UPDATE ON shop_item
                FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('updated_by');
        """)

    def as_actor(actor):
        """transaction.atomic() that sets orm_triggers.actor for its transaction"""
        class Ctx:
            def __enter__(self):
                self.atomic = transaction.atomic()
                self.atomic.__enter__()
                with connection.cursor() as cur:
                    cur.execute("SELECT set_config('orm_triggers.actor', %s, true)", [actor])

            def __exit__(self, *exc):
                return self.atomic.__exit__(*exc)
        return Ctx()

    def db_now():
        with connection.cursor() as cur:
            cur.execute("SELECT now()")
            return cur.fetchone()[0]

    ok, done = tap()

    with as_actor("alice"):
        a = Item.objects.create(name="kettle", price=25)
        b = Item.objects.create(name="teapot", price=40)
        t_insert = db_now()
    a.refresh_from_db()
    ok(a.created_at == t_insert and a.updated_at == t_insert,
       "Model.objects.create(): created_at and updated_at are the transaction time")
    ok(a.created_by == "alice" and a.updated_by == "alice", "create(): created_by/updated_by from orm_triggers.actor")

    time.sleep(0.01)
    with as_actor("bob"):
        n = Item.objects.filter(name="kettle").update(price=30)
        t_update = db_now()
    a.refresh_from_db()
    b.refresh_from_db()
    ok(n == 1 and a.updated_at == t_update and a.created_at == t_insert,
       "QuerySet.update() bumps updated_at, keeps created_at (Django #12184)")
    ok(a.updated_by == "bob" and a.created_by == "alice", "QuerySet.update(): updated_by follows the actor, created_by stays")
    ok(b.updated_at == t_insert and b.updated_by == "alice", "rows the update did not touch keep their stamps")

    # save() of an unchanged object writes every column with its old value: no bump
    time.sleep(0.01)
    with as_actor("carol"):
        b.save()
    b.refresh_from_db()
    ok(b.updated_at == t_insert and b.updated_by == "alice", "save() of an unchanged object is a no-op update: no bump")

    # save() of a changed object; the stale in-memory created_at is written back but kept by the trigger
    time.sleep(0.01)
    with as_actor("carol"):
        b.price = 45
        b.created_at = t_update  # an application bug trying to rewrite history
        b.save()
        t_save = db_now()
    b.refresh_from_db()
    ok(b.updated_at == t_save and b.updated_by == "carol", "save() of a changed object bumps updated_at/updated_by")
    ok(b.created_at == t_insert, "save() cannot rewrite created_at")

    time.sleep(0.01)
    with as_actor("dave"):
        a.price, b.price = 31, 46
        Item.objects.bulk_update([a, b], ["price"])
        t_bulk = db_now()
    ok(all(i.updated_at == t_bulk and i.updated_by == "dave" for i in Item.objects.all()),
       "bulk_update() bumps every changed row")

    # raw SQL without the ORM, no actor set: the session user is recorded
    time.sleep(0.01)
    with connection.cursor() as cur:
        cur.execute("UPDATE shop_item SET name = upper(name) WHERE name = 'teapot'")
    b.refresh_from_db()
    ok(b.name == "TEAPOT" and b.updated_by == (os.environ.get("PGUSER") or getpass.getuser()),
       "raw SQL outside the ORM: updated_by is the session user when no actor is set")

    connection.close()
    return done()


if __name__ == "__main__":
    sys.exit(main())
