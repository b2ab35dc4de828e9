-- The SQL of the Tortoise ORM recipe (doc/orm/tortoise.md): what the aerich
-- migration's upgrade() returns.  test/orm/tortoise/run.py executes this
-- region (extracted by its recipe markers, as test/t/079_recipes.pl reads
-- them) and then the statements Tortoise sends.
-- recipe:begin upgrade
CREATE EXTENSION IF NOT EXISTS orm_triggers;
SELECT orm_triggers.attach('item', 'set_created_at', '{created_at}');
SELECT orm_triggers.attach('item', 'update_last_modified', '{updated_at}');
SELECT orm_triggers.attach('item', 'set_actor', '{created_by,on=insert}');
SELECT orm_triggers.attach('item', 'set_actor', '{updated_by}');
SELECT orm_triggers.attach('item', 'increment_version', '{version}');
SELECT orm_triggers.attach('item', 'soft_delete', '{deleted_at}');
SELECT orm_triggers.attach('item', 'audit');
SELECT orm_triggers.attach('item', 'notify_change', '{channel=item}');
-- recipe:end upgrade

-- recipe:begin downgrade
SELECT orm_triggers.detach('item', trigger_name)
  FROM orm_triggers.attached WHERE table_name = 'item'::regclass;
-- recipe:end downgrade
