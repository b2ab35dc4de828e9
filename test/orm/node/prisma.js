// prisma.js: Prisma Client (prisma-client generator, @prisma/adapter-pg)
// against orm_triggers; run by test/t/074_orm_prisma.pl after
// `prisma generate` and a tsc pass over the generated TypeScript.  The
// recipe:begin/end regions are the code blocks of doc/orm/prisma.md.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Client } = require('pg');
const { ok, is, rejects, pgConfig, adminClient, listen, run } = require('./tap');

const APP = pgConfig().user; // the session user the ORM connects as

// recipe:begin client
const { PrismaClient, Prisma } = require('./generated/js/client.js'); // prisma generate (+ tsc)
const { PrismaPg } = require('@prisma/adapter-pg');

// pgConfig(): host, port, user, database (a pg.PoolConfig)
const prisma = new PrismaClient({ adapter: new PrismaPg(pgConfig()) });
// recipe:end client

// recipe:begin actor
// every write of `work` runs in one transaction that names the actor and the
// request context for set_actor and audit (set_config(..., true) is SET LOCAL)
function asActor(actor, context, work) {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT set_config('orm_triggers.actor', ${actor}, true),
                                set_config('orm_triggers.context', ${JSON.stringify(context)}, true)`;
    return work(tx);
  });
}
// recipe:end actor

// recipe:begin optimistic-lock
// Prisma has no version field: guard the write with the version read, and let
// the ORM bump it (version + 1 is what the trigger expects); count 0 = stale
async function saveItem(item, data) {
  const { count } = await prisma.item.updateMany({
    where: { id: item.id, version: item.version },
    data: { ...data, version: { increment: 1 } },
  });
  if (count === 0) throw new Error(`Item ${item.id} was changed by someone else`);
  return prisma.item.findUniqueOrThrow({ where: { id: item.id } });
}
// recipe:end optimistic-lock

// recipe:begin soft-delete
// soft_delete turns the DELETE into an UPDATE and the DELETE reports 0 rows:
// prisma.item.delete() then throws P2025 (after the row was soft-deleted).
// Delete with deleteMany, which returns the count instead of throwing, and
// read live rows only.
async function removeItem(id) {
  await prisma.item.deleteMany({ where: { id } }); // { count: 0 }: soft-deleted
}
const liveItems = (where = {}) => prisma.item.findMany({ where: { ...where, deletedAt: null } });
// recipe:end soft-delete

async function main() {
  // the migration, as Prisma Migrate would apply it (as the application role)
  const migrator = new Client(pgConfig());
  await migrator.connect();
  const admin = await adminClient();
  const migration = path.join(__dirname, 'prisma/migrations/20261129000000_init/migration.sql');
  await migrator.query(fs.readFileSync(migration, 'utf8'));
  await migrator.end();
  const triggers = await admin.query(
    `SELECT function_name FROM orm_triggers.attached WHERE table_name = '"Item"'::regclass ORDER BY 1`);
  is(triggers.rows.map((r) => r.function_name),
    ['audit', 'increment_version', 'notify_change', 'protect_columns', 'set_actor', 'set_actor',
      'set_created_at', 'soft_delete', 'update_last_modified'],
    'migration.sql attached the triggers');
  const listener = await listen('orm_triggers');

  // create: RETURNING brings back what the triggers wrote
  const a = await prisma.item.create({ data: { sku: 'A-1', name: 'apple', price: 10 } });
  ok(a.createdAt instanceof Date && a.updatedAt instanceof Date, 'create returns createdAt and updatedAt set by the triggers');
  is(a.updatedAt.getTime(), a.createdAt.getTime(), 'create: both stamps are the transaction start');
  is([a.createdBy, a.updatedBy, a.version], [APP, APP, 1], 'create: actor is the session user, version 1');

  // update: stamps, actor, version and the protected column as stored
  const a2 = await prisma.item.update({ where: { id: a.id }, data: { price: 11, sku: 'CHANGED' } });
  is(a2.sku, 'A-1', "update: protect_columns('sku', 'mode=keep') kept the stored sku, and RETURNING says so");
  is(a2.version, 2, 'update without version: the trigger bumped it to 2');
  ok(a2.updatedAt > a.updatedAt, 'update: updatedAt moved');
  is(a2.createdAt.getTime(), a.createdAt.getTime(), 'update: createdAt kept');

  // optimistic locking with updateMany
  const fresh = await saveItem(a2, { price: 12 });
  is([fresh.price, fresh.version], [12, 3], 'updateMany guarded by the version read: saved, version read + 1');
  await rejects(saveItem(a2, { price: 99 }), (e) => /changed by someone else/.test(e.message),
    'updateMany with a stale version matches 0 rows');
  const after = await prisma.item.findUnique({ where: { id: a.id } });
  is([after.price, after.version], [12, 3], 'the stale write changed nothing');
  // a stale version written into the SET clause: the trigger raises 40001, Prisma P2034
  const err = await rejects(prisma.item.update({ where: { id: a.id }, data: { price: 98, version: a2.version } }),
    (e) => e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2034',
    'update writing a stale version: P2034 (SQLSTATE 40001 from increment_version)');
  ok(err && /Transaction failed due to a write conflict/.test(err.message), 'P2034 says: write conflict, retry');
  is((await prisma.item.findUnique({ where: { id: a.id } })).price, 12, 'the P2034 write changed nothing');

  // bulk update
  await prisma.item.create({ data: { sku: 'B-1', name: 'banana', price: 20 } });
  const bulk = await prisma.item.updateMany({ where: { price: { lt: 100 } }, data: { price: { increment: 1 } } });
  is(bulk.count, 2, 'updateMany (bulk) updated both rows');
  is((await prisma.item.findMany({ orderBy: { sku: 'asc' }, select: { sku: true, version: true } })),
    [{ sku: 'A-1', version: 4 }, { sku: 'B-1', version: 2 }], 'updateMany (bulk) bumped every version');

  // upsert: INSERT ... ON CONFLICT DO UPDATE
  const up1 = await prisma.item.upsert({ where: { sku: 'C-1' }, create: { sku: 'C-1', name: 'cherry', price: 30 }, update: { price: 31 } });
  is([up1.price, up1.version], [30, 1], 'upsert of a new sku inserts (version 1)');
  const up2 = await prisma.item.upsert({ where: { sku: 'C-1' }, create: { sku: 'C-1', name: 'cherry', price: 30 }, update: { price: 31 } });
  is([up2.id, up2.price, up2.version], [up1.id, 31, 2], 'upsert of an existing sku updates and bumps the version');
  is(up2.createdAt.getTime(), up1.createdAt.getTime(), 'upsert update side: createdAt kept');

  // actor and context through $transaction, read back from the audit log
  const d = await asActor('alice', { request: 'r-1' }, (tx) =>
    tx.item.create({ data: { sku: 'D-1', name: 'date', price: 40 } }));
  is([d.createdBy, d.updatedBy], ['alice', 'alice'], 'create in $transaction: createdBy and updatedBy are the actor');
  const d2 = await asActor('bob', { request: 'r-2' }, (tx) =>
    tx.item.update({ where: { id: d.id }, data: { price: 41 } }));
  is([d2.createdBy, d2.updatedBy], ['alice', 'bob'], 'update in $transaction: updatedBy is the new actor, createdBy kept');
  const { rows: log } = await admin.query(`SELECT op, actor, context, session_user_name
      FROM orm_triggers.audit_log WHERE table_name = 'Item' AND key = jsonb_build_object('id', $1::int) ORDER BY id`, [d.id]);
  is(log, [
    { op: 'INSERT', actor: 'alice', context: { request: 'r-1' }, session_user_name: APP },
    { op: 'UPDATE', actor: 'bob', context: { request: 'r-2' }, session_user_name: APP },
  ], 'audit_log has the actor and context of each $transaction');
  await rejects(asActor('carol', {}, async (tx) => {
    await tx.item.update({ where: { id: d.id }, data: { price: 0 } });
    throw new Error('rollback');
  }), (e) => e.message === 'rollback', 'a failed $transaction rolls back');
  is((await prisma.item.findUnique({ where: { id: d.id } })).updatedBy, 'bob', 'nothing of the rolled back transaction stays');
  const outside = await prisma.item.update({ where: { id: d.id }, data: { price: 42 } });
  is(outside.updatedBy, APP, 'outside the transaction the actor is the session user again');

  // delete: soft_delete makes the DELETE report 0 rows
  const e = await prisma.item.create({ data: { sku: 'E-1', name: 'elder', price: 50 } });
  await removeItem(e.id);
  const gone = await prisma.item.findUnique({ where: { id: e.id } });
  ok(gone && gone.deletedAt instanceof Date, 'deleteMany soft-deleted the row (deletedAt set)');
  is(gone.version, e.version + 1, 'the soft delete is an UPDATE: version bumped');
  ok(!(await liveItems()).some((i) => i.id === e.id), 'live rows leave it out');
  const again = await prisma.item.deleteMany({ where: { id: e.id } });
  is(again.count, 0, 'deleteMany of a soft-deleted row: count 0');
  const still = await prisma.item.findUnique({ where: { id: e.id } });
  is([still.version, still.deletedAt.getTime()], [gone.version, gone.deletedAt.getTime()],
    'a second delete leaves the soft-deleted row as it was (on_repeat=ignore)');
  await rejects(prisma.item.delete({ where: { id: e.id } }),
    (x) => x instanceof Prisma.PrismaClientKnownRequestError && x.code === 'P2025',
    'prisma.item.delete() of a soft-deleted row: P2025');
  const g = await prisma.item.create({ data: { sku: 'G-1', name: 'grape', price: 70 } });
  // recipe:begin soft-delete-update
  // or soft-delete with update(), which returns the row; the trigger then
  // catches the DELETEs other code sends
  const removed = await prisma.item.update({ where: { id: g.id }, data: { deletedAt: new Date() } });
  // recipe:end soft-delete-update
  ok(removed.deletedAt instanceof Date && removed.version === g.version + 1, 'soft delete as update(): the row comes back, deletedAt set, version bumped');
  const f = await prisma.item.create({ data: { sku: 'F-1', name: 'fig', price: 60 } });
  await rejects(prisma.item.delete({ where: { id: f.id } }),
    (x) => x instanceof Prisma.PrismaClientKnownRequestError && x.code === 'P2025',
    'prisma.item.delete() on a soft-deleting table throws P2025');
  ok((await prisma.item.findUnique({ where: { id: f.id } })).deletedAt instanceof Date,
    'the row that delete() threw P2025 for is soft-deleted all the same');
  // a real delete: hard_delete in the same transaction
  const gone2 = await prisma.$transaction([
    prisma.$executeRaw`SELECT set_config('orm_triggers.hard_delete', 'on', true)`,
    prisma.item.delete({ where: { id: f.id } }),
  ]);
  is(gone2[1].id, f.id, 'delete() with hard_delete set in a batch $transaction deletes');
  is(await prisma.item.count({ where: { id: f.id } }), 0, 'the row is gone');

  // notify_change through pg's LISTEN
  const payloads = await listener.sync();
  const forA = payloads.filter((p) => p.key && p.key.id === a.id).map((p) => [p.op, p.values.price]);
  is(forA, [['INSERT', 10], ['UPDATE', 11], ['UPDATE', 12], ['UPDATE', 13]],
    'LISTEN: one notification per committed write of A-1, rollbacks and stale writes none');
  const forE = payloads.filter((p) => p.key && p.key.id === e.id).map((p) => [p.op, p.changed]);
  is(forE, [['INSERT', undefined], ['UPDATE', ['version', 'updatedAt', 'deletedAt']]],
    'LISTEN: the soft delete arrives as an UPDATE of deletedAt');
  is(payloads.filter((p) => p.key && p.key.id === f.id).map((p) => p.op), ['INSERT', 'UPDATE', 'DELETE'],
    'LISTEN: the hard delete arrives as a DELETE');

  await listener.end();
  await admin.end();
  await prisma.$disconnect();
}

run(main);
