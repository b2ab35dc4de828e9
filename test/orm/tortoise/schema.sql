-- The table Tortoise ORM's generate_schemas() (or aerich's first migration)
-- creates for the recipe's model in doc/orm/tortoise.md.
CREATE TABLE IF NOT EXISTS "item" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "price" INT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ,
    "updated_at" TIMESTAMPTZ,
    "created_by" TEXT,
    "updated_by" TEXT,
    "version" INT,
    "deleted_at" TIMESTAMPTZ
);
