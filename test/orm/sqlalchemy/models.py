"""The SQLAlchemy models and session hooks of the orm_triggers recipe
(doc/orm/sqlalchemy.md)."""
import json

# recipe:begin models
from sqlalchemy import Column, DateTime, FetchedValue, Integer, Text, event, func, text
from sqlalchemy.orm import Session, declarative_base, with_loader_criteria

Base = declarative_base()


class Item(Base):
    __tablename__ = "item"
    id = Column(Integer, primary_key=True)
    name = Column(Text, nullable=False)
    price = Column(Integer, nullable=False, default=0)
    owner = Column(Text, nullable=False, default="")  # protect_columns
    # set by the triggers: FetchedValue() tells SQLAlchemy the server writes
    # them, eager_defaults fetches them with RETURNING on INSERT and UPDATE
    created_at = Column(DateTime(timezone=True), server_default=FetchedValue())
    updated_at = Column(DateTime(timezone=True), server_default=FetchedValue(),
                        server_onupdate=FetchedValue())
    created_by = Column(Text, server_default=FetchedValue())
    updated_by = Column(Text, server_default=FetchedValue(), server_onupdate=FetchedValue())
    version = Column(Integer, nullable=False)
    deleted_at = Column(DateTime(timezone=True))

    __mapper_args__ = {
        "version_id_col": version,      # SQLAlchemy's own optimistic lock, unchanged
        "eager_defaults": True,
        "confirm_deleted_rows": False,  # a soft-deleted DELETE matches 0 rows
    }

    def soft_delete(self):
        """Soft delete as a versioned UPDATE: a stale object raises StaleDataError."""
        self.deleted_at = func.now()
# recipe:end models


# recipe:begin session
@event.listens_for(Session, "after_begin")
def set_actor(session, transaction, connection):
    """Every transaction of a Session(info={"actor": ..., "context": {...}})
    runs with orm_triggers.actor and orm_triggers.context set until it ends."""
    if "actor" in session.info:
        connection.execute(
            text("SELECT set_config('orm_triggers.actor', :actor, true),"
                 " set_config('orm_triggers.context', :context, true)"),
            {"actor": session.info["actor"],
             "context": json.dumps(session.info.get("context")) if "context" in session.info else ""})


@event.listens_for(Session, "do_orm_execute")
def hide_soft_deleted(state):
    """ORM queries see live rows only, unless
    .execution_options(include_deleted=True)."""
    if state.is_select and not state.execution_options.get("include_deleted", False):
        state.statement = state.statement.options(
            with_loader_criteria(Item, Item.deleted_at.is_(None), include_aliases=True))
# recipe:end session
