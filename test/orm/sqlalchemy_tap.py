#!/usr/bin/python3
"""SQLAlchemy (Debian's python3-sqlalchemy, 1.4) against orm_triggers with the
README recipe: server_default/server_onupdate=FetchedValue() and
eager_defaults, so the values the triggers write come back with RETURNING.
Prints TAP; run by test/check.  Needs PGHOST/PGPORT/PGUSER of a running server.
"""
import getpass
import os
import sys
import time

import psycopg2
from sqlalchemy import (Column, DateTime, FetchedValue, Integer, Text,
                        create_engine, text, update)
from sqlalchemy.orm import Session, declarative_base

DB = "orm_sqlalchemy"
Base = declarative_base()


class Item(Base):
    __tablename__ = "item"
    __mapper_args__ = {"eager_defaults": True}
    id = Column(Integer, primary_key=True)
    name = Column(Text, nullable=False)
    price = Column(Integer, nullable=False)
    version = Column(Integer, nullable=False, server_default=text("1"))
    updated_at = Column(DateTime(timezone=True), server_default=FetchedValue(),
                        server_onupdate=FetchedValue())


def main():
    admin = psycopg2.connect(dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS %s" % DB)
        cur.execute("CREATE DATABASE %s" % DB)
    admin.close()

    engine = create_engine("postgresql+psycopg2://%s@/%s?host=%s&port=%s" % (
        (os.environ.get("PGUSER") or getpass.getuser()), DB, os.environ["PGHOST"],
        os.environ.get("PGPORT", "5432")), future=True)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS orm_triggers"))
        conn.execute(text("""CREATE TRIGGER item_updated_at BEFORE INSERT OR UPDATE ON item
            FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at')"""))

    n = failed = 0

    def ok(cond, name):
        nonlocal n, failed
        n += 1
        failed += 0 if cond else 1
        print(("ok" if cond else "not ok") + " %d - %s" % (n, name), flush=True)

    with Session(engine, future=True) as s:
        item = Item(name="kettle", price=25)
        s.add(item)
        s.flush()
        now1 = s.execute(text("SELECT now()")).scalar()
        ok(item.updated_at == now1, "INSERT: updated_at comes back through RETURNING (eager_defaults)")
        s.commit()

    time.sleep(0.01)
    with Session(engine, future=True) as s:
        item = s.get(Item, 1)
        item.price = 30
        s.flush()
        now2 = s.execute(text("SELECT now()")).scalar()
        ok(item.updated_at == now2 and now2 > now1, "UPDATE through the unit of work: new updated_at fetched")
        s.commit()

    time.sleep(0.01)
    with Session(engine, future=True) as s:
        s.execute(update(Item).where(Item.id == 1).values(name="KETTLE"))
        now3 = s.execute(text("SELECT now()")).scalar()
        s.commit()
        item = s.get(Item, 1)
        ok(item.updated_at == now3, "bulk update() statement (bypasses the unit of work) bumps updated_at")

    time.sleep(0.01)
    with Session(engine, future=True) as s:
        s.execute(update(Item).where(Item.id == 1).values(name="KETTLE"))
        s.commit()
        item = s.get(Item, 1)
        ok(item.updated_at == now3, "an update that changes nothing keeps updated_at")

    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
