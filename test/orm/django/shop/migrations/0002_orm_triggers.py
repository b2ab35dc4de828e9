# recipe:begin migration
from django.db import migrations

ATTACH = """
CREATE EXTENSION IF NOT EXISTS orm_triggers;
SELECT orm_triggers.attach('shop_item', 'set_created_at', '{created_at}');
SELECT orm_triggers.attach('shop_item', 'update_last_modified', '{updated_at}');
SELECT orm_triggers.attach('shop_item', 'set_actor', '{created_by,on=insert}');
SELECT orm_triggers.attach('shop_item', 'set_actor', '{updated_by}');
SELECT orm_triggers.attach('shop_item', 'increment_version', '{version}');
SELECT orm_triggers.attach('shop_item', 'protect_columns', '{owner}');
SELECT orm_triggers.attach('shop_item', 'soft_delete', '{deleted_at}');
SELECT orm_triggers.attach('shop_item', 'audit');
SELECT orm_triggers.attach('shop_item', 'notify_change', '{channel=shop_item}');
"""

DETACH = """
SELECT orm_triggers.detach('shop_item', t.trigger_name)
  FROM orm_triggers.attached t WHERE t.table_name = 'shop_item'::regclass;
"""


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunSQL(ATTACH, reverse_sql=DETACH)]
# recipe:end migration
