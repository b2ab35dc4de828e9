from django.db import migrations, models

import shop.models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Item",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.TextField()),
                ("price", models.IntegerField(default=0)),
                ("owner", models.TextField(default="")),
                ("created_at", shop.models.TriggerSet(editable=False, null=True)),
                ("updated_at", shop.models.TriggerSet(editable=False, null=True)),
                ("created_by", models.TextField(editable=False, null=True)),
                ("updated_by", models.TextField(editable=False, null=True)),
                ("version", models.IntegerField(editable=False, null=True)),
                ("deleted_at", models.DateTimeField(editable=False, null=True)),
            ],
            options={
                "db_table": "shop_item",
                "base_manager_name": "all_objects",
            },
            managers=[
                ("objects", models.Manager()),
                ("all_objects", models.Manager()),
            ],
        ),
    ]
