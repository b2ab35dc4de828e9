"""Actor and audit context per transaction (doc/orm/django.md)."""
# recipe:begin actor
import json

from django.db import connection, transaction
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

SET_ACTOR = ("SELECT set_config('orm_triggers.actor', %s, true),"
             " set_config('orm_triggers.context', %s, true)")


class SetActor:
    """connection.execute_wrapper(): the first statement of every transaction
    is preceded by set_config(..., true), which lasts until its COMMIT or
    ROLLBACK.  Outside transaction.atomic() (autocommit) each statement gets
    a transaction of its own, so the setting reaches it too.  Install it
    before the transaction starts: a transaction already open is left as is."""

    def __init__(self, actor, context=None):
        self.params = [actor, json.dumps(context) if context is not None else ""]

    def __call__(self, execute, sql, params, many, context):
        db = context["connection"]
        if db.get_autocommit():
            with transaction.atomic(using=db.alias):
                self.set(db)
                return execute(sql, params, many, context)
        if db.connection.get_transaction_status() == TRANSACTION_STATUS_IDLE:
            self.set(db)  # this statement is about to open a transaction
        return execute(sql, params, many, context)

    def set(self, db):
        with db.connection.cursor() as cur:  # the driver's cursor: not wrapped again
            cur.execute(SET_ACTOR, self.params)


class ActorMiddleware:
    """settings.MIDDLEWARE: every query of a request runs with its user as actor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        actor = user.get_username() if user is not None and user.is_authenticated else ""
        ctx = {"path": request.path, "method": request.method}
        with connection.execute_wrapper(SetActor(actor, ctx)):
            return self.get_response(request)
# recipe:end actor
