"""The Django models of the orm_triggers recipe (doc/orm/django.md)."""
# recipe:begin models
from django.db import models


class LiveManager(models.Manager):
    """The default manager hides soft-deleted rows."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class TriggerSet(models.DateTimeField):
    """A timestamp the database sets; INSERT ... RETURNING brings it back."""

    db_returning = True


class Item(models.Model):
    name = models.TextField()
    price = models.IntegerField(default=0)
    owner = models.TextField(default="")  # protect_columns: fixed after INSERT
    # Owned by the triggers: no auto_now / auto_now_add / default, and
    # editable=False keeps them out of forms.
    created_at = TriggerSet(null=True, editable=False)
    updated_at = TriggerSet(null=True, editable=False)
    created_by = models.TextField(null=True, editable=False)
    updated_by = models.TextField(null=True, editable=False)
    version = models.IntegerField(null=True, editable=False)
    deleted_at = models.DateTimeField(null=True, editable=False)

    objects = LiveManager()
    all_objects = models.Manager()

    class Meta:
        db_table = "shop_item"
        base_manager_name = "all_objects"

    def save(self, *args, **kwargs):
        # save() writes back the version it read: the trigger stores read + 1,
        # or fails with 40001 when the row changed since (the object is stale).
        super().save(*args, **kwargs)
        self.refresh_from_db(fields=["version", "updated_at", "updated_by"])
# recipe:end models
