"""orm_triggers on item

Revision ID: 0002
Revises: 0001
"""
# recipe:begin migration
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TRIGGERS = [
    ("set_created_at", "{created_at}"),
    ("update_last_modified", "{updated_at}"),
    ("set_actor", "{created_by,on=insert}"),
    ("set_actor", "{updated_by}"),
    ("increment_version", "{version}"),
    ("protect_columns", "{owner}"),
    ("soft_delete", "{deleted_at}"),
    ("audit", "{}"),
    ("notify_change", "{channel=item}"),
]


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS orm_triggers")
    for func, args in TRIGGERS:
        op.execute(f"SELECT orm_triggers.attach('item', '{func}', '{args}')")


def downgrade():
    op.execute("SELECT orm_triggers.detach('item', trigger_name)"
               " FROM orm_triggers.attached WHERE table_name = 'item'::regclass")
# recipe:end migration
