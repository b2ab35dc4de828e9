// sequelize.js: Sequelize 6 (pg driver) against orm_triggers; run by
// test/t/076_orm_sequelize.pl.  The recipe:begin/end regions are the code
// blocks of doc/orm/sequelize.md.
'use strict';
const { Sequelize, DataTypes, OptimisticLockError } = require('sequelize');
const { ok, is, rejects, pgConfig, adminClient, listen, run } = require('./tap');

const APP = pgConfig().user; // the session user the ORM connects as

const cfg = pgConfig();
const sequelize = new Sequelize({
  dialect: 'postgres', host: cfg.host, port: cfg.port, username: cfg.user, database: cfg.database, logging: false,
});

// recipe:begin migration
// migrations/20261129000000-create-item.js (sequelize-cli's format; here
// called by migrate() below, no Umzug needed)
const createItem = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('items', {
      id: { type: Sequelize.INTEGER, primaryKey: true, autoIncrement: true },
      sku: { type: Sequelize.STRING, allowNull: false, unique: true },
      price: { type: Sequelize.INTEGER, allowNull: false },
      version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      created_at: { type: Sequelize.DATE, allowNull: false },
      updated_at: { type: Sequelize.DATE, allowNull: false },
      deleted_at: { type: Sequelize.DATE },
      created_by: { type: Sequelize.STRING },
      updated_by: { type: Sequelize.STRING },
    });
    await queryInterface.sequelize.query(`
      CREATE EXTENSION IF NOT EXISTS orm_triggers;
      SELECT orm_triggers.attach('items', 'set_created_at', '{created_at}');
      SELECT orm_triggers.attach('items', 'update_last_modified', '{updated_at}');
      SELECT orm_triggers.attach('items', 'set_actor', '{created_by,on=insert}');
      SELECT orm_triggers.attach('items', 'set_actor', '{updated_by}');
      SELECT orm_triggers.attach('items', 'protect_columns', '{sku,mode=keep}');
      SELECT orm_triggers.attach('items', 'increment_version', '{version}');
      SELECT orm_triggers.attach('items', 'soft_delete', '{deleted_at}');
      SELECT orm_triggers.attach('items', 'audit', '{}');
      SELECT orm_triggers.attach('items', 'notify_change', '{columns=price}');`);
  },
  async down(queryInterface) {
    await queryInterface.dropTable('items');
  },
};
// recipe:end migration

// recipe:begin models
// Sequelize's own features stay on: version (optimistic locking), timestamps,
// paranoid (destroy() is an UPDATE of deleted_at)
const Item = sequelize.define('Item', {
  sku: { type: DataTypes.STRING, allowNull: false, unique: true }, // the upsert key
  price: { type: DataTypes.INTEGER, allowNull: false },
  createdBy: { type: DataTypes.STRING, field: 'created_by' }, // set_actor writes them:
  updatedBy: { type: DataTypes.STRING, field: 'updated_by' }, // never assign
}, { tableName: 'items', underscored: true, version: true, timestamps: true, paranoid: true });

// a table whose timestamps the triggers own: Sequelize never writes them;
// no paranoid: destroy() sends a DELETE, which soft_delete turns into an UPDATE
const Note = sequelize.define('Note', {
  body: { type: DataTypes.TEXT, allowNull: false },
  createdAt: { type: DataTypes.DATE, field: 'created_at' },
  updatedAt: { type: DataTypes.DATE, field: 'updated_at' },
  deletedAt: { type: DataTypes.DATE, field: 'deleted_at' },
}, { tableName: 'notes', timestamps: false, version: true });
// recipe:end models

// recipe:begin migration-notes
const createNote = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL, version integer NOT NULL DEFAULT 0,
                          created_at timestamptz, updated_at timestamptz, deleted_at timestamptz);
      SELECT orm_triggers.attach('notes', 'set_created_at', '{created_at}');
      SELECT orm_triggers.attach('notes', 'update_last_modified', '{updated_at}');
      SELECT orm_triggers.attach('notes', 'increment_version', '{version}');
      SELECT orm_triggers.attach('notes', 'soft_delete', '{deleted_at}');`);
  },
};
// recipe:end migration-notes

// recipe:begin actor
// the actor and the request context for set_actor and audit, per
// transaction (set_config(..., true) is SET LOCAL)
function asActor(actor, context, work) {
  return sequelize.transaction(async (transaction) => {
    await sequelize.query(
      `SELECT set_config('orm_triggers.actor', $1, true), set_config('orm_triggers.context', $2, true)`,
      { bind: [actor, JSON.stringify(context)], transaction });
    return work(transaction);
  });
}
// recipe:end actor

async function migrate(migrations) {
  for (const m of migrations) await m.up(sequelize.getQueryInterface(), Sequelize);
}

async function main() {
  await migrate([createItem, createNote]);
  const [attached] = await sequelize.query(
    `SELECT count(*)::int AS n FROM orm_triggers.attached WHERE table_name = 'items'::regclass`);
  is(attached[0].n, 9, 'the migration attached nine triggers');
  const listener = await listen('orm_triggers');

  // create: Sequelize sends version 0 and its own clock for the timestamps,
  // all kept on INSERT (a given value is kept); RETURNING brings the rest
  const a = await Item.create({ sku: 'A-1', price: 10 });
  is([a.version, a.createdBy, a.updatedBy], [0, APP, APP], 'create: version 0 as Sequelize sent it, actor from set_actor (RETURNING)');
  // timestamps: who wins.  In one transaction begun 50 ms before the
  // create: the INSERT keeps Sequelize's clock, the UPDATE gets the
  // trigger's (the transaction start, earlier than Sequelize's created_at)
  const t = await sequelize.transaction(async (transaction) => {
    const [[start]] = await sequelize.query('SELECT now() AS t', { transaction });
    await new Promise((r) => setTimeout(r, 50));
    const x = await Item.create({ sku: 'T-1', price: 1 }, { transaction });
    x.price = 2;
    await x.save({ transaction, returning: true });
    return { start: start.t, x };
  });
  ok(t.x.createdAt - t.start >= 50, 'timestamps: true: INSERT keeps the created_at Sequelize sent (its clock)');
  is(t.x.updatedAt.getTime(), t.start.getTime(), 'timestamps: true: UPDATE gets update_last_modified\'s transaction time, not Sequelize\'s');
  await t.x.destroy(); // paranoid: out of the way of the counts below

  // recipe:begin save
  // save() sends SET version = read + 1 WHERE version = read: the trigger keeps
  // it; returning: true reads back updated_at and updated_by as stored
  a.price = 11;
  a.sku = 'CHANGED'; // protect_columns('sku', 'mode=keep') keeps the stored one
  await a.save({ returning: true });
  // recipe:end save
  is(a.version, 1, 'a fresh save bumps the version by exactly one');
  is(a.sku, 'A-1', 'save returning: sku as protect_columns kept it');
  const [[row]] = await sequelize.query('SELECT updated_at, now() AS tx FROM items WHERE id = $1', { bind: [a.id] });
  is(a.updatedAt.getTime(), row.updated_at.getTime(), 'save returning: updatedAt is the stored value');
  ok(a.updatedAt > a.createdAt, 'save: updated_at moved');

  // recipe:begin stale
  const stale = await Item.findByPk(a.id);
  const other = await Item.findByPk(a.id);
  other.price = 12;
  await other.save(); // version 1 -> 2
  stale.price = 99;
  try {
    await stale.save(); // ... WHERE id = $4 AND version = 1: 0 rows
  } catch (e) {
    if (!(e instanceof OptimisticLockError)) throw e; // reload, reapply, retry
  }
  // recipe:end stale
  await rejects(stale.save(), (e) => e instanceof OptimisticLockError, 'a stale save raises OptimisticLockError');
  const fresh = await Item.findByPk(a.id);
  is([fresh.price, fresh.version], [12, 2], 'the stale save changed nothing');

  // bulk update: Sequelize leaves version out, the trigger bumps it
  await Item.create({ sku: 'B-1', price: 20 });
  const [n, rows] = await Item.update({ price: sequelize.literal('price + 1') }, { where: {}, returning: true });
  is(n, 2, 'Model.update: two rows');
  is(rows.map((r) => [r.sku, r.version]).sort(), [['A-1', 3], ['B-1', 1]], 'Model.update bumped every version');

  // upsert and bulkCreate with updateOnDuplicate: INSERT ... ON CONFLICT DO UPDATE
  const [up] = await Item.upsert({ sku: 'B-1', price: 25 }, { returning: true });
  is([up.price, up.version], [25, 2], 'upsert of an existing sku: updated, version bumped by the trigger');
  const bulk = await Item.bulkCreate([{ sku: 'B-1', price: 26 }, { sku: 'C-1', price: 30 }],
    { updateOnDuplicate: ['price'], returning: true });
  is(bulk.map((r) => [r.sku, r.price, r.version]), [['B-1', 26, 3], ['C-1', 30, 0]],
    'bulkCreate updateOnDuplicate: existing row bumped, new row as sent');
  const b = await Item.findOne({ where: { sku: 'B-1' } });
  ok(b.createdAt < b.updatedAt, 'upsert update side: created_at kept, updated_at moved');

  // actor and context through sequelize.transaction
  const d = await asActor('alice', { request: 'r-1' }, (transaction) =>
    Item.create({ sku: 'D-1', price: 40 }, { transaction }));
  await asActor('bob', { request: 'r-2' }, async (transaction) => {
    d.price = 41;
    await d.save({ transaction, returning: true });
  });
  is([d.createdBy, d.updatedBy], ['alice', 'bob'], 'transaction: created_by the first actor, updated_by the second');
  const admin = await adminClient();
  const { rows: log } = await admin.query(`SELECT op, actor, context, session_user_name FROM orm_triggers.audit_log
      WHERE table_name = 'items' AND key = jsonb_build_object('id', $1::int) ORDER BY id`, [d.id]);
  await admin.end();
  is(log, [
    { op: 'INSERT', actor: 'alice', context: { request: 'r-1' }, session_user_name: APP },
    { op: 'UPDATE', actor: 'bob', context: { request: 'r-2' }, session_user_name: APP },
  ], 'audit_log: actor and context of each transaction');

  // recipe:begin delete
  // paranoid: destroy() is Sequelize's own UPDATE of deleted_at (with
  // version + 1: the trigger keeps it) ...
  const c = await Item.findOne({ where: { sku: 'C-1' } });
  await c.destroy();
  // ... and a DELETE from anywhere else (force: true, raw SQL) is turned
  // into the same soft delete by the trigger; it reports 0 rows
  const forced = await Item.destroy({ where: { sku: 'D-1' }, force: true }); // 0
  // a real delete: set orm_triggers.hard_delete in the transaction
  await sequelize.transaction(async (transaction) => {
    await sequelize.query(`SELECT set_config('orm_triggers.hard_delete', 'on', true)`, { transaction });
    await Item.destroy({ where: { sku: 'D-1' }, force: true, transaction });
  });
  // recipe:end delete
  is(c.version, 1, 'paranoid destroy() bumped the version (Sequelize wrote read + 1)');
  const [[cRow]] = await sequelize.query(`SELECT deleted_at IS NOT NULL AS gone, version FROM items WHERE sku = 'C-1'`);
  is(cRow, { gone: true, version: 1 }, 'paranoid destroy() stored deleted_at');
  is(forced, 0, 'destroy({force: true}) on a soft-deleting table reports 0 rows');
  is(await Item.count({ where: { sku: 'D-1' }, paranoid: false }), 0, 'destroy with hard_delete set deleted D-1');
  is((await Item.findAll({ order: ['sku'] })).map((r) => r.sku), ['A-1', 'B-1'], 'findAll leaves the soft-deleted rows out');

  // a model without paranoid: destroy() DELETEs, the trigger soft-deletes, 0 rows is not checked
  const note = await Note.create({ body: 'hello' });
  ok(note.createdAt instanceof Date && note.createdAt.getTime() === note.updatedAt.getTime(),
    'timestamps owned by the triggers: create returns them (RETURNING)');
  const [[nTx]] = await sequelize.query('SELECT created_at FROM notes WHERE id = $1', { bind: [note.id] });
  is(note.createdAt.getTime(), nTx.created_at.getTime(), 'the returned created_at is the stored one');
  note.body = 'hello again';
  await note.save({ returning: true });
  ok(note.updatedAt > note.createdAt, 'save returning: updated_at from update_last_modified');
  is(note.version, 1, 'save: version: true bumped by one');
  // recipe:begin destroy-not-paranoid
  await note.destroy(); // DELETE FROM "notes" WHERE "id" = ... AND "version" = 1: 0 rows, no error
  // recipe:end destroy-not-paranoid
  const [[nRow]] = await sequelize.query('SELECT deleted_at IS NOT NULL AS gone, version FROM notes WHERE id = $1', { bind: [note.id] });
  is(nRow, { gone: true, version: 2 }, 'destroy() without paranoid, with version: no error, the row is soft-deleted (and bumped)');
  is(await Note.count(), 1, 'Note has no paranoid scope: count() still sees the soft-deleted row (filter deleted_at yourself)');

  // notify_change through pg's LISTEN
  await listener.sync();
  const forA = listener.payloads.filter((p) => p.table === 'items' && p.key.id === a.id).map((p) => [p.op, p.values.price]);
  is(forA, [['INSERT', 10], ['UPDATE', 11], ['UPDATE', 12], ['UPDATE', 13]],
    'LISTEN: one notification per committed write of A-1, none for the stale save');
  const forC = listener.payloads.filter((p) => p.table === 'items' && p.key.id === c.id).map((p) => p.op);
  is(forC, ['INSERT', 'UPDATE'], 'LISTEN: paranoid destroy() arrives as an UPDATE');
  const forD = listener.payloads.filter((p) => p.table === 'items' && p.key.id === d.id).map((p) => p.op);
  is(forD, ['INSERT', 'UPDATE', 'UPDATE', 'DELETE'], 'LISTEN: D-1 inserted, saved, soft-deleted by the trigger, hard-deleted');

  await listener.end();
  await sequelize.close();
}

run(main);
