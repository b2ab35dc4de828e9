#!/usr/bin/ruby
# ActiveRecord (Debian's ruby-activerecord 6.1, ruby-pg) against orm_triggers,
# set up as doc/orm/rails.md says: a migration attaches the triggers, the
# models use Rails' own lock_version, and the triggers own the timestamp and
# actor columns.  The regions between the recipe markers are the recipe's
# code blocks (test/t/079_recipes.pl compares them).
# Prints TAP; run by test/t/072_orm_activerecord.pl with Debian's
# /usr/bin/ruby.
#
# Needs PGHOST/PGPORT (and PGUSER) of a running server where CREATE
# EXTENSION works.
require "etc"
require "json"
require "active_record"
require "active_support/testing/time_helpers"
require "pg"

include ActiveSupport::Testing::TimeHelpers

DB = "orm_activerecord"
PGUSER = ENV["PGUSER"] || Etc.getlogin || Etc.getpwuid.name

$n = 0
$failed = 0
def ok(cond, name)
  $n += 1
  $failed += 1 unless cond
  puts "#{cond ? 'ok' : 'not ok'} #{$n} - #{name}"
  $stdout.flush
end

# ok(...) for a block that must raise error_class; returns the error
def raises(error_class, name)
  yield
  ok(false, "#{name} (nothing raised)")
  nil
rescue error_class => e
  ok(true, name)
  e
rescue StandardError => e
  ok(false, "#{name} (raised #{e.class}: #{e.message.lines.first.chomp})")
  nil
end

admin = PG.connect(dbname: "postgres")
admin.exec("DROP DATABASE IF EXISTS #{DB}")
admin.exec("CREATE DATABASE #{DB}")
admin.close

ActiveRecord::Base.establish_connection(adapter: "postgresql", database: DB,
                                        host: ENV["PGHOST"], port: ENV["PGPORT"],
                                        username: PGUSER)
ActiveRecord::Migration.verbose = false

# recipe:begin migration
class AttachOrmTriggers < ActiveRecord::Migration[6.1]
  def up
    enable_extension "orm_triggers"
    create_table :widgets do |t|
      t.text :name, null: false
      t.integer :price, null: false, default: 0
      t.integer :lock_version, null: false, default: 0   # Rails' optimistic lock
      t.column :created_at, :timestamptz                 # owned by the triggers:
      t.column :updated_at, :timestamptz                 # no t.timestamps, no null: false
      t.text :created_by
      t.text :updated_by
      t.column :deleted_at, :timestamptz
    end
    execute <<~SQL
      SELECT orm_triggers.attach('widgets', 'set_created_at', '{created_at}');
      SELECT orm_triggers.attach('widgets', 'update_last_modified', '{updated_at}');
      SELECT orm_triggers.attach('widgets', 'set_actor', '{created_by,on=insert}');
      SELECT orm_triggers.attach('widgets', 'set_actor', '{updated_by}');
      SELECT orm_triggers.attach('widgets', 'increment_version', '{lock_version}');
      CREATE TRIGGER widgets_soft_delete BEFORE DELETE ON widgets
          FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at');
      CREATE TRIGGER widgets_audit AFTER INSERT OR UPDATE OR DELETE ON widgets
          FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit();
      CREATE TRIGGER widgets_notify AFTER INSERT OR UPDATE OR DELETE ON widgets
          FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('channel=widgets', 'columns=name');
    SQL
  end

  def down
    drop_table :widgets
  end
end
# recipe:end migration

# a second table without lock_version, to show destroy on a soft-deleting
# table when nothing checks the row count
class CreateNotes < ActiveRecord::Migration[6.1]
  def up
    create_table :notes do |t|
      t.text :body
      t.column :deleted_at, :timestamptz
    end
    execute "CREATE TRIGGER notes_soft_delete BEFORE DELETE ON notes " \
            "FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at')"
  end
end

AttachOrmTriggers.migrate(:up)
CreateNotes.migrate(:up)

# recipe:begin model
class Widget < ActiveRecord::Base
  self.record_timestamps = false        # the triggers own created_at/updated_at
  attr_readonly :created_at, :created_by

  default_scope { where(deleted_at: nil) }

  # Soft delete of a model with lock_version: an UPDATE through save, so
  # Rails still checks the version and raises StaleObjectError when stale.
  def soft_destroy
    update!(deleted_at: Time.current)
  end
end
# recipe:end model

class Note < ActiveRecord::Base
end

# a model writing the columns itself, as Rails does by default
class TimestampedWidget < ActiveRecord::Base
  self.table_name = "widgets"
end

# recipe:begin actor
# Every write of a request runs in one transaction that first tells the
# triggers who acts (Rails: around_action :with_actor in ApplicationController).
module OrmTriggersActor
  def self.with_actor(actor, context = {})
    ActiveRecord::Base.transaction do
      ActiveRecord::Base.connection.select_value(ActiveRecord::Base.sanitize_sql_array(
        ["SELECT set_config('orm_triggers.actor', ?, true), set_config('orm_triggers.context', ?, true)",
         actor.to_s, context.to_json]))
      yield
    end
  end
end
# recipe:end actor

class AuditEntry < ActiveRecord::Base
  self.table_name = "orm_triggers.audit_log"
  self.primary_key = "id"
end

def db_now
  ActiveRecord::Base.connection.select_value("SELECT now()")
end

def raw(sql)
  ActiveRecord::Base.connection.select_rows(sql)
end

conn = ActiveRecord::Base.connection

# ---- stamps through create / save / update_all
t_insert = nil
w = nil
OrmTriggersActor.with_actor("alice", { "request" => "r1" }) do
  w = Widget.create!(name: "kettle", price: 25)
  t_insert = db_now
end
ok(w.created_at.nil? && w.lock_version == 0, "create!: Rails does not read the trigger's columns back (created_at nil in memory)")
w.reload
ok(w.created_at == t_insert && w.updated_at == t_insert, "create! + reload: created_at and updated_at are the transaction time")
ok(w.created_by == "alice" && w.updated_by == "alice", "create!: created_by/updated_by from orm_triggers.actor")
ok(w.lock_version == 0, "create!: lock_version 0 as Rails wrote it")

sleep 0.01
t_save = nil
OrmTriggersActor.with_actor("bob") do
  w.update!(price: 30)
  t_save = db_now
end
ok(w.lock_version == 1, "update!: Rails' in-memory lock_version is 1")
w.reload
ok(w.lock_version == 1, "update!: stored lock_version bumped by exactly one (the trigger keeps Rails' read + 1)")
ok(w.updated_at == t_save && w.created_at == t_insert, "update!: updated_at bumped, created_at kept")
ok(w.updated_by == "bob" && w.created_by == "alice", "update!: updated_by follows the actor, created_by stays")

# ---- optimistic locking, unchanged
a = Widget.find(w.id)
b = Widget.find(w.id)
a.update!(name: "kettle2")
raises(ActiveRecord::StaleObjectError, "a stale update! raises ActiveRecord::StaleObjectError") do
  b.update!(name: "stale write")
end
w.reload
ok(w.name == "kettle2" && w.lock_version == 2, "the stale update! changed nothing (name kettle2, lock_version 2)")

n = Widget.where(id: w.id).update_all(price: 40)
w.reload
ok(n == 1 && w.price == 40 && w.lock_version == 3,
   "update_all(hash): Rails' own lock_version + 1 is kept, one bump (3)")
n = Widget.where(id: w.id).update_all("price = price + 1")
w.reload
ok(n == 1 && w.price == 41 && w.lock_version == 4, "update_all(sql string): the trigger bumps lock_version (4)")
raises(ActiveRecord::StaleObjectError, "an object loaded before update_all is stale: save raises StaleObjectError") do
  a.update!(name: "after bulk")
end
raw("UPDATE widgets SET price = 42 WHERE id = #{w.id}")
raises(ActiveRecord::StaleObjectError, "an object loaded before a raw SQL UPDATE is stale too") do
  w.update!(name: "after raw")
end
w.reload
ok(w.lock_version == 5 && w.name == "kettle2", "raw UPDATE bumped to 5; the stale saves changed nothing")

c = Widget.find(w.id)
c.increment!(:price)
ok(c.lock_version == 6 && Widget.find(w.id).lock_version == 6,
   "increment!: the trigger's bump matches Rails' in-memory lock_version + 1")
c.update!(name: "after increment")
ok(Widget.find(w.id).lock_version == 7, "save after increment! succeeds (7)")
c.update_columns(price: 60)
ok(c.lock_version == 7 && Widget.find(w.id).lock_version == 8,
   "update_columns: Rails skips the lock, the trigger bumps the stored version (8)")
raises(ActiveRecord::StaleObjectError, "so the object that ran update_columns is stale: save raises") do
  c.update!(name: "after update_columns")
end

# a failed write in SQL is ActiveRecord::SerializationFailure (40001) only for a
# truly stale version written by hand
e = raises(ActiveRecord::SerializationFailure, "a hand-written stale version is rejected with 40001") do
  Widget.where(id: w.id).update_all(lock_version: 2)
end
ok(e && e.message.include?('stores version 8'), "the 40001 message names the stored version")

# ---- who writes the stamp columns
sleep 0.01
t_ins = t_upd = nil
tw = nil
ActiveRecord::Base.transaction do
  travel_to(Time.utc(2001, 1, 1)) do
    tw = TimestampedWidget.create!(name: "clocked", created_by: "mallory")
    t_ins = db_now
  end
end
tw.reload
ok(tw.created_at == Time.utc(2001, 1, 1) && tw.updated_at == Time.utc(2001, 1, 1) && tw.created_by == "mallory",
   "INSERT: values the model writes (Rails' clock, created_by) win over the triggers")
ActiveRecord::Base.transaction do
  travel_to(Time.utc(2001, 1, 2)) do
    tw.update!(name: "clocked2", created_at: Time.utc(2001, 1, 2), created_by: "eve", updated_by: "eve")
    t_upd = db_now
  end
end
tw.reload
ok(tw.updated_at == t_upd && tw.created_at == Time.utc(2001, 1, 1),
   "UPDATE: the triggers win (updated_at is the transaction time, created_at kept)")
ok(tw.created_by == "mallory" && tw.updated_by == PGUSER, "UPDATE: created_by kept, updated_by is the actor (session user)")

# ---- upsert / insert_all
OrmTriggersActor.with_actor("carol") do
  Widget.upsert_all([{ id: w.id, name: "kettle3", price: 50 }, { id: 1000, name: "new", price: 1 }])
end
w.reload
fresh = Widget.find(1000)
ok(w.name == "kettle3" && w.lock_version == 9 && w.updated_by == "carol",
   "upsert_all on an existing row: the trigger bumps lock_version (9) and stamps updated_by")
ok(fresh.lock_version == 0 && fresh.created_by == "carol" && !fresh.created_at.nil?,
   "upsert_all inserting a row: stamps filled, lock_version from the column default")
Widget.upsert({ id: 1000, name: "new2" })
ok(Widget.find(1000).lock_version == 1, "upsert on an existing row bumps lock_version by one")
r = Widget.insert_all([{ id: 1000, name: "dup" }, { id: 1001, name: "other" }])
ok(r.length == 1 && Widget.find(1000).name == "new2" && Widget.find(1001).lock_version == 0,
   "insert_all: ON CONFLICT DO NOTHING skips the existing row, inserts the other")

# ---- soft delete
d = Widget.find(1001)
raises(ActiveRecord::StaleObjectError, "destroy of a lock_version model: DELETE reports 0 rows, Rails raises StaleObjectError") do
  d.destroy
end
d_row = Widget.unscoped.find(1001)
ok(d_row.deleted_at.nil? && d_row.lock_version == 0, "that destroy changed nothing (rolled back)")

# recipe:begin soft-delete
widget = Widget.find(1001)
widget.soft_destroy                                  # UPDATE ... WHERE lock_version = read
Widget.where(name: "dup").delete_all                 # any DELETE: the trigger soft-deletes
Widget.unscoped.where.not(deleted_at: nil).count     # soft-deleted rows are still there
# recipe:end soft-delete
d_row = Widget.unscoped.find(1001)
ok(!d_row.deleted_at.nil? && d_row.lock_version == 1, "soft_destroy: deleted_at set, lock_version bumped by one")
ok(Widget.where(id: 1001).empty?, "the default scope hides the soft-deleted row")
stale = Widget.find(1000)
Widget.where(id: 1000).update_all(price: 7)
raises(ActiveRecord::StaleObjectError, "a stale soft_destroy raises StaleObjectError") { stale.soft_destroy }
ok(Widget.where(id: 1000).exists?, "the stale soft_destroy changed nothing")
t_del = nil
n = nil
ActiveRecord::Base.transaction do
  n = Widget.where(id: 1000).delete_all
  t_del = db_now
end
row = Widget.unscoped.find(1000)
ok(n == 0 && row.deleted_at == t_del && row.lock_version == 3,
   "delete_all: 0 rows reported, row soft-deleted by the trigger at the transaction time, lock_version bumped")
before = Widget.unscoped.count
ok(Widget.unscoped.find(1000).delete.frozen?, "record.delete (no lock check) returns without error")
ok(Widget.unscoped.count == before, "record.delete soft-deleted an already soft-deleted row: still there")

note = Note.create!(body: "hello")
ok(note.destroy && note.destroyed?, "destroy without lock_version: Rails ignores the 0 rows, reports destroyed")
ok(!Note.find(note.id).deleted_at.nil?, "the note is soft-deleted, not gone")
ActiveRecord::Base.transaction do
  conn.execute("SET LOCAL orm_triggers.hard_delete = on")
  Widget.unscoped.find(1000).destroy
end
ok(!Widget.unscoped.exists?(1000), "destroy in a transaction with SET LOCAL orm_triggers.hard_delete = on really deletes")

# ---- audit: actor and context per transaction
entries = AuditEntry.where(table_name: "widgets").order(:id).pluck(:op, :actor, :context, :session_user_name)
first = entries.first
ok(first == ["INSERT", "alice", { "request" => "r1" }, PGUSER],
   "audit_log: the create's entry has the block's actor and context and the session user")
ok(entries[1][0] == "UPDATE" && entries[1][1] == "bob" && entries[1][2] == {},
   "audit_log: the next transaction's entry has its own actor and context")
after = entries.drop(2).map { |e| e[1] }
ok(!after.include?("bob") && after.include?(PGUSER),
   "outside with_actor the actor is the session user (SET LOCAL ended with the transaction)")
lv = AuditEntry.where(table_name: "widgets", op: "UPDATE").order(:id).first
ok(lv.new_values["lock_version"] == 1 && lv.old_values["lock_version"] == 0,
   "audit_log records the version step 0 -> 1 of the first update!")

# ---- notify_change through the driver's LISTEN
listener = PG.connect(dbname: DB)
# recipe:begin listen
listener.exec("LISTEN widgets")
Widget.create!(name: "notified")
payloads = []
while listener.wait_for_notify(5) { |_channel, _pid, payload| payloads << JSON.parse(payload) }
  break if payloads.length >= 1
end
# recipe:end listen
p0 = payloads.first
ok(p0 && p0["op"] == "INSERT" && p0["table"] == "widgets" && p0["values"] == { "name" => "notified" },
   "notify_change: PG::Connection#wait_for_notify receives the INSERT with the name")
Widget.find_by(name: "notified").update!(price: 3)
got = nil
listener.wait_for_notify(5) { |_c, _p, payload| got = JSON.parse(payload) }
ok(got && got["op"] == "UPDATE" && got["changed"].sort == %w[lock_version price updated_at].sort,
   "notify_change: update! reports price, lock_version and updated_at changed")
ActiveRecord::Base.transaction do
  Widget.find_by(name: "notified").update!(price: 4)
  raise ActiveRecord::Rollback
end
got = :none
listener.wait_for_notify(0.5) { |_c, _p, payload| got = payload }
ok(got == :none, "notify_change: nothing arrives for a rolled-back transaction")
listener.close

# ---- touch: Rails writes updated_at (its clock) and lock_version only
tw = Widget.create!(name: "touched").reload
before = tw.updated_at
sleep 0.01
tw.touch
tw_row = Widget.find(tw.id)
ok(tw.lock_version == 1 && tw_row.lock_version == 1 && tw_row.updated_at == before && tw.updated_at != before,
   "touch: lock_version read + 1 kept; Rails' updated_at is not stored (no other column changed, update_last_modified keeps the old)")

ActiveRecord::Base.connection.disconnect!
puts "1..#{$n}"
exit($failed.zero? ? 0 : 1)
