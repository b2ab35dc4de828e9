-- The migration of prisma/schema.prisma: what `prisma migrate dev
-- --create-only` writes for the model, then the triggers added by hand.
-- test/orm/node/prisma.js runs this file itself (Prisma Migrate needs the
-- schema engine binary, which is downloaded from outside npm).
-- recipe:begin migration
-- CreateTable
CREATE TABLE "Item" (
    "id" SERIAL NOT NULL,
    "sku" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "price" INTEGER NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMPTZ(6),
    "updatedAt" TIMESTAMPTZ(6),
    "createdBy" TEXT,
    "updatedBy" TEXT,
    "deletedAt" TIMESTAMPTZ(6),

    CONSTRAINT "Item_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Item_sku_key" ON "Item"("sku");

-- orm_triggers (added by hand)
CREATE EXTENSION IF NOT EXISTS orm_triggers;
CREATE TRIGGER "Item_createdAt" BEFORE INSERT OR UPDATE ON "Item"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('createdAt');
CREATE TRIGGER "Item_updatedAt" BEFORE INSERT OR UPDATE ON "Item"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updatedAt');
CREATE TRIGGER "Item_createdBy" BEFORE INSERT OR UPDATE ON "Item"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('createdBy', 'on=insert');
CREATE TRIGGER "Item_updatedBy" BEFORE INSERT OR UPDATE ON "Item"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('updatedBy');
CREATE TRIGGER "Item_sku" BEFORE UPDATE ON "Item"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('sku', 'mode=keep');
CREATE TRIGGER "Item_version" BEFORE INSERT OR UPDATE ON "Item"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('version');
CREATE TRIGGER "Item_deletedAt" BEFORE DELETE ON "Item"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deletedAt');
CREATE TRIGGER "Item_audit" AFTER INSERT OR UPDATE OR DELETE ON "Item"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER "Item_notify" AFTER INSERT OR UPDATE OR DELETE ON "Item"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('columns=price');
-- recipe:end migration
