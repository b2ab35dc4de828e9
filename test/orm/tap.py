"""TAP output for the Python ORM client tests (test/orm/*/run.py):
ok() prints one test line, raises() catches what a call raises, done()
prints the plan and returns the exit status."""

n = 0
failed = 0


def ok(cond, name, detail=None):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, name), flush=True)
    if not cond and detail is not None:
        print("# " + str(detail).replace("\n", "\n# "), flush=True)


def raises(fn):
    """the exception fn() raises, or None"""
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return e
    return None


def done():
    print("1..%d" % n)
    return 1 if failed else 0
