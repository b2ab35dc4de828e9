// typeorm.js: TypeORM (EntitySchema in plain JavaScript, pg driver) against
// orm_triggers; run by test/t/075_orm_typeorm.pl.  The recipe:begin/end
// regions are the code blocks of doc/orm/typeorm.md.
'use strict';
require('reflect-metadata');
const { DataSource, EntitySchema, OptimisticLockVersionMismatchError, QueryFailedError } = require('typeorm');
const { ok, is, rejects, pgConfig, adminClient, listen, run } = require('./tap');

const APP = pgConfig().user; // the session user the ORM connects as

// recipe:begin entity
const Item = new EntitySchema({
  name: 'Item',
  tableName: 'item',
  columns: {
    id: { type: Number, primary: true, generated: true },
    sku: { type: String, unique: true },
    name: { type: String },
    price: { type: 'int' },
    // @VersionColumn: save() writes "version" = "version" + 1 (or the
    // version the entity holds, when it differs from the row it re-read)
    version: { type: 'int', version: true },
    // @CreateDateColumn / @UpdateDateColumn / @DeleteDateColumn, snake_case
    createdAt: { name: 'created_at', type: 'timestamptz', createDate: true },
    updatedAt: { name: 'updated_at', type: 'timestamptz', updateDate: true },
    deletedAt: { name: 'deleted_at', type: 'timestamptz', deleteDate: true, nullable: true },
    // written by set_actor only: TypeORM never sends them
    createdBy: { name: 'created_by', type: String, nullable: true, insert: false, update: false },
    updatedBy: { name: 'updated_by', type: String, nullable: true, insert: false, update: false },
  },
});
// recipe:end entity

// recipe:begin migration
class CreateItem1764400000000 {
  name = 'CreateItem1764400000000';

  async up(queryRunner) {
    await queryRunner.query(`CREATE TABLE "item" (
      "id" SERIAL PRIMARY KEY,
      "sku" character varying NOT NULL UNIQUE,
      "name" character varying NOT NULL,
      "price" integer NOT NULL,
      "version" integer NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "deleted_at" TIMESTAMP WITH TIME ZONE,
      "created_by" character varying,
      "updated_by" character varying)`);
    await queryRunner.query('CREATE EXTENSION IF NOT EXISTS orm_triggers');
    // attach() is idempotent and picks each function's timing and events
    for (const [func, args] of [
      ['set_created_at', ['created_at']],
      ['update_last_modified', ['updated_at']],
      ['set_actor', ['created_by', 'on=insert']],
      ['set_actor', ['updated_by']],
      ['protect_columns', ['sku', 'mode=keep']],
      ['increment_version', ['version']],
      ['soft_delete', ['deleted_at']],
      ['audit', []],
      ['notify_change', ['columns=price']],
    ]) {
      await queryRunner.query('SELECT orm_triggers.attach($1, $2, $3)', ['item', func, args]);
    }
  }

  async down(queryRunner) {
    await queryRunner.query('DROP TABLE "item"');
  }
}

const dataSource = new DataSource({
  type: 'postgres',
  ...pgConfig(), // host (the socket directory), port, database
  username: pgConfig().user,
  entities: [Item],
  migrations: [CreateItem1764400000000],
});
// recipe:end migration

// recipe:begin actor
// the actor and the request context for set_actor and audit, per
// transaction (set_config(..., true) is SET LOCAL)
function asActor(actor, context, work) {
  return dataSource.transaction(async (manager) => {
    await manager.query(
      `SELECT set_config('orm_triggers.actor', $1, true), set_config('orm_triggers.context', $2, true)`,
      [actor, JSON.stringify(context)]);
    return work(manager);
  });
}
// recipe:end actor

async function main() {
  await dataSource.initialize();
  const ran = await dataSource.runMigrations();
  is(ran.map((m) => m.name), ['CreateItem1764400000000'], 'runMigrations() ran the migration');
  const attached = await dataSource.query(
    `SELECT function_name, arguments FROM orm_triggers.attached WHERE table_name = 'item'::regclass ORDER BY trigger_name`);
  is(attached.length, 9, 'the migration attached nine triggers');
  const listener = await listen('orm_triggers');
  const repo = dataSource.getRepository(Item);

  // create: TypeORM reads the generated columns back with RETURNING
  const a = await repo.save({ sku: 'A-1', name: 'apple', price: 10 });
  is(a.version, 1, 'save (insert): @VersionColumn 1');
  ok(a.createdAt instanceof Date && a.updatedAt.getTime() === a.createdAt.getTime(), 'save (insert): created_at = updated_at');
  const a1 = await repo.findOneByOrFail({ id: a.id });
  is([a1.createdBy, a1.updatedBy], [APP, APP], 'created_by and updated_by set by set_actor (read back with findOneBy)');

  // recipe:begin save
  // a fresh save: TypeORM writes version + 1, the trigger keeps it
  a1.price = 11;
  a1.sku = 'CHANGED'; // protect_columns('sku', 'mode=keep') keeps the stored one
  await repo.save(a1); // a1.version and a1.updatedAt come back by RETURNING
  const stored = await repo.findOneByOrFail({ id: a1.id }); // sku, updated_by
  // recipe:end save
  is(a1.version, 2, 'a fresh save bumps @VersionColumn by exactly one');
  is([stored.sku, stored.price, stored.version], ['A-1', 11, 2], 'the stored row: sku kept by protect_columns');
  ok(a1.updatedAt > a.updatedAt && a1.updatedAt.getTime() === stored.updatedAt.getTime(), 'updated_at moved and RETURNING gave the stored value');

  // who wins on the timestamps: the triggers
  stored.createdAt = new Date('2001-01-01T00:00:00Z');
  stored.updatedAt = new Date('2001-01-01T00:00:00Z');
  stored.price = 12;
  await repo.save(stored);
  const s2 = await repo.findOneByOrFail({ id: a.id });
  is(s2.createdAt.getTime(), a.createdAt.getTime(), 'a save writing created_at: set_created_at keeps the stored value');
  ok(s2.updatedAt > a1.updatedAt, 'a save writing updated_at: update_last_modified overrides it');
  is(stored.updatedAt.getTime(), s2.updatedAt.getTime(), "the entity's updatedAt after save is the trigger's (RETURNING)");

  // optimistic locking
  const stale = await repo.findOneByOrFail({ id: a.id });
  const other = await repo.findOneByOrFail({ id: a.id });
  other.price = 13;
  await repo.save(other);
  is(other.version, stale.version + 1, 'the other writer saved first');
  await rejects(repo.findOne({ where: { id: a.id }, lock: { mode: 'optimistic', version: stale.version } }),
    (e) => e instanceof OptimisticLockVersionMismatchError,
    "findOne({lock: {mode: 'optimistic', version}}) with the stale version: OptimisticLockVersionMismatchError");
  // recipe:begin stale-save
  stale.price = 99;
  let conflict = null;
  try {
    await repo.save(stale); // UPDATE "item" SET "price" = $1, "version" = <the stale version>, ...
  } catch (e) {
    // increment_version: 40001 row of table "item" was changed by another transaction
    if (!(e instanceof QueryFailedError && e.driverError.code === '40001')) throw e;
    conflict = e; // reload, reapply, retry
  }
  // recipe:end stale-save
  ok(conflict, 'a stale save() writes the stale version into SET: the trigger raises 40001 (QueryFailedError)');
  ok(conflict && /Column "version" stores version 4; the UPDATE offered version 3/.test(conflict.driverError.detail),
    'the 40001 detail names both versions');
  is((await repo.findOneByOrFail({ id: a.id })).price, 13, 'the stale save changed nothing');
  // repository.update with the version read in the SET: same compare-and-set
  const u1 = await repo.update({ id: a.id }, { price: 14, version: 4 });
  is(u1.affected, 1, 'update() with the fresh version in SET: saved');
  is((await repo.findOneByOrFail({ id: a.id })).version, 5, 'the fresh version became stored + 1');
  await rejects(repo.update({ id: a.id }, { price: 98, version: 4 }),
    (e) => e instanceof QueryFailedError && e.driverError.code === '40001', 'update() with a stale version in SET: 40001');
  const u2 = await repo.update({ id: a.id, version: 4 }, { price: 97 });
  is(u2.affected, 0, 'update() guarded by WHERE version = stale: 0 rows');

  // QueryBuilder bulk update
  await repo.save({ sku: 'B-1', name: 'banana', price: 20 });
  const bulk = await dataSource.createQueryBuilder().update(Item)
    .set({ price: () => 'price + 1' }).where('price < :max', { max: 100 }).returning(['sku', 'version']).execute();
  is(bulk.affected, 2, 'QueryBuilder update: two rows');
  is(bulk.raw.map((r) => [r.sku, r.version]).sort(), [['A-1', 6], ['B-1', 2]], 'QueryBuilder update bumped every version (version + 1 kept)');

  // upsert: INSERT ... ON CONFLICT ("sku") DO UPDATE
  const up = await repo.upsert([{ sku: 'B-1', name: 'banana', price: 25 }, { sku: 'C-1', name: 'cherry', price: 30 }], ['sku']);
  is(up.generatedMaps.map((g) => g.version), [3, 1], 'upsert: the existing row bumped, the new one version 1 (RETURNING)');
  const b = await repo.findOneByOrFail({ sku: 'B-1' });
  ok(b.createdAt < b.updatedAt, 'upsert update side: created_at kept, updated_at moved');

  // actor and context through dataSource.transaction
  const d = await asActor('alice', { request: 'r-1' }, (m) => m.save(Item, { sku: 'D-1', name: 'date', price: 40 }));
  await asActor('bob', { request: 'r-2' }, (m) => m.update(Item, { id: d.id }, { price: 41 }));
  const d2 = await repo.findOneByOrFail({ id: d.id });
  is([d2.createdBy, d2.updatedBy], ['alice', 'bob'], 'transaction: created_by the first actor, updated_by the second');
  const admin = await adminClient();
  const { rows: log } = await admin.query(`SELECT op, actor, context, session_user_name FROM orm_triggers.audit_log
      WHERE table_name = 'item' AND key = jsonb_build_object('id', $1::int) ORDER BY id`, [d.id]);
  is(log, [
    { op: 'INSERT', actor: 'alice', context: { request: 'r-1' }, session_user_name: APP },
    { op: 'UPDATE', actor: 'bob', context: { request: 'r-2' }, session_user_name: APP },
  ], 'audit_log: actor and context of each transaction');
  await admin.end();
  await repo.update({ id: d.id }, { price: 42 });
  is((await repo.findOneByOrFail({ id: d.id })).updatedBy, APP, 'outside a transaction: the session user');

  // recipe:begin delete
  // TypeORM's own soft delete is an UPDATE of the @DeleteDateColumn ...
  const e = await repo.findOneByOrFail({ sku: 'B-1' });
  await repo.softRemove(e); // UPDATE "item" SET "deleted_at" = CURRENT_TIMESTAMP, "version" = "version" + 1 ...
  // ... and every DELETE is turned into the same UPDATE by soft_delete: it
  // reports 0 rows, which remove() and delete() do not check
  const f = await repo.findOneByOrFail({ sku: 'C-1' });
  await repo.remove(f); // DELETE FROM "item" WHERE "id" = $1: soft-deleted
  const gone = await repo.delete({ sku: 'D-1' }); // gone.affected === 0: soft-deleted
  // find*() leave soft-deleted rows out; withDeleted: true shows them
  const all = await repo.find({ withDeleted: true, order: { id: 'ASC' } });
  // recipe:end delete
  is(e.deletedAt instanceof Date && e.version, 4, 'softRemove: deleted_at and version came back');
  is(f.id, undefined, 'remove(): TypeORM clears the id, as after a real delete');
  is(gone.affected, 0, 'delete() on a soft-deleting table: affected 0');
  is(all.filter((r) => r.deletedAt).map((r) => r.sku), ['B-1', 'C-1', 'D-1'], 'softRemove, remove and delete all soft-deleted');
  is((await repo.find()).map((r) => r.sku), ['A-1'], 'find() leaves the soft-deleted rows out');
  await repo.restore({ sku: 'C-1' });
  is((await repo.findOneByOrFail({ sku: 'C-1' })).version, 3, 'restore() (UPDATE deleted_at = NULL) works and bumps');
  await dataSource.transaction(async (m) => {
    await m.query(`SELECT set_config('orm_triggers.hard_delete', 'on', true)`);
    await m.delete(Item, { sku: 'C-1' });
  });
  is(await repo.count({ withDeleted: true, where: { sku: 'C-1' } }), 0, 'delete() with hard_delete set in the transaction deletes');

  // notify_change through pg's LISTEN
  await listener.sync();
  const forA = listener.payloads.filter((p) => p.key && p.key.id === a.id).map((p) => [p.op, p.values.price]);
  is(forA, [['INSERT', 10], ['UPDATE', 11], ['UPDATE', 12], ['UPDATE', 13], ['UPDATE', 14], ['UPDATE', 15]],
    'LISTEN: one notification per committed write of A-1, none for the failed ones');
  const cId = all.find((r) => r.sku === 'C-1').id;
  const ops = listener.payloads.filter((p) => p.key && p.key.id === cId).map((p) => p.op);
  is(ops, ['INSERT', 'UPDATE', 'UPDATE', 'DELETE'], 'LISTEN: C-1 inserted, soft-deleted (UPDATE), restored, deleted');

  await listener.end();
  await dataSource.destroy();
}

run(main);
