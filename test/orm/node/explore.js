require('reflect-metadata');
const { DataSource, EntitySchema } = require('typeorm');
const Item = new EntitySchema({
  name: 'Item', tableName: 'item',
  columns: {
    id: { type: Number, primary: true, generated: true },
    sku: { type: String, unique: true },
    price: { type: 'int' },
    version: { type: 'int', version: true },
    createdAt: { type: 'timestamptz', createDate: true, name: 'created_at' },
    updatedAt: { type: 'timestamptz', updateDate: true, name: 'updated_at' },
    deletedAt: { type: 'timestamptz', deleteDate: true, nullable: true, name: 'deleted_at' },
  },
});
(async () => {
  const ds = new DataSource({ type: 'postgres', host: '/tmp/ormnode-dev/sock', username: 'postgres', database: 'postgres', entities: [Item], logging: true });
  await ds.initialize();
  await ds.query('DROP TABLE IF EXISTS item');
  await ds.synchronize();
  await ds.query(`CREATE TRIGGER v BEFORE INSERT OR UPDATE ON item FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('version');
  CREATE TRIGGER u BEFORE INSERT OR UPDATE ON item FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
  CREATE TRIGGER c BEFORE INSERT OR UPDATE ON item FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('created_at');
  CREATE TRIGGER s BEFORE DELETE ON item FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at');`);
  const repo = ds.getRepository(Item);
  const a = await repo.save({ sku: 'A', price: 1 });
  console.log('A', a);
  const stale = { ...a };
  a.price = 2; await repo.save(a); console.log('A2', a);
  stale.price = 3; try { await repo.save(stale); console.log('stale', stale); } catch (e) { console.log('ERR', e.constructor.name, e.code, e.message); }
  try { await repo.findOne({ where: { id: a.id }, lock: { mode: 'optimistic', version: 2 } }); } catch (e) { console.log('ERR', e.constructor.name, e.message); }
  try { console.log(await repo.update({ id: a.id }, { price: 4, version: 2 })); } catch (e) { console.log('ERR', e.constructor.name, e.code, e.message); }
  try { console.log(await repo.update({ id: a.id, version: 2 }, { price: 4 })); } catch (e) { console.log('ERR', e.constructor.name, e.code, e.message); }
  console.log(await ds.createQueryBuilder().update(Item).set({ price: () => 'price + 1' }).where('price < :p', { p: 100 }).returning('*').execute());
  console.log(await repo.upsert([{ sku: 'A', price: 50 }, { sku: 'B', price: 60 }], ['sku']));
  const b = await repo.findOneBy({ sku: 'B' });
  console.log(await repo.softRemove(b));
  try { console.log(await repo.remove(await repo.findOneBy({ sku: 'A' }))); } catch (e) { console.log('ERR', e.constructor.name, e.code, e.message); }
  try { console.log(await repo.delete({ sku: 'A' })); } catch (e) { console.log('ERR', e.constructor.name, e.code, e.message); }
  console.log(await ds.query('select * from item'));
  await ds.destroy();
})();
