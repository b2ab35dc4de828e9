/*-------------------------------------------------------------------------
 *
 * versioning.c
 *		versioning: system-versioned rows (SQL:2011 system versioning, a
 *		drop-in for temporal_tables), per row.  Its arguments are read and
 *		resolved in versioning_build.c, the system time it uses is in
 *		versioning_time.c, the write of history rows without the executor
 *		in versioning_write.c.
 *
 * A BEFORE ROW trigger: the current row carries its period [start, end)
 * (a tstzrange or tsrange column, or two timestamp columns named by start=
 * and end=); every version it supersedes goes to the history table with
 * its period closed.  The new row is returned with its period set, without
 * SPI; the history row is a heap insert and its index entries when the
 * history table allows it, or else one INSERT planned once per trigger,
 * run as the history table's owner.
 *
 * One version per row per transaction.  A row whose current version was
 * written by this transaction (xmin is one of ours, subtransactions
 * included) makes no new history row.  A version whose history row this
 * transaction already wrote (row movement between partitions fires BEFORE
 * UPDATE and then BEFORE DELETE on the same old row; soft_delete turns a
 * DELETE into an UPDATE of the same old row) is not written twice: the
 * last few written (table, TID, subtransaction) are remembered.
 *
 * The system time T is the transaction start, or the time set with
 * orm_triggers.set_system_time().
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rangetypes.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "versioning.h"

PG_FUNCTION_INFO_V1(versioning);

/*
 * SQLSTATE 2201H, "invalid row version" in SQL:2011 (temporal_tables
 * raises it too); PostgreSQL's errcodes.h has no name for it.
 */
#define ORMT_ERRCODE_INVALID_ROW_VERSION MAKE_SQLSTATE('2','2','0','1','H')

void
ormt_versioning_init(void)
{
	ormt_system_time_init();
	ormt_history_writer_init();
}

/* ------------------------------------------------------------------------
 * versioning(period_col, history_table [, 'true'|'false'] [, options])
 * versioning(history_table, 'start=col', 'end=col' [, options])
 *
 * BEFORE INSERT OR UPDATE OR DELETE, FOR EACH ROW; or BEFORE TRUNCATE,
 * FOR EACH STATEMENT.
 *
 * INSERT: the period becomes [T, infinity), whatever was written.
 * UPDATE, DELETE of a version older than the transaction: it goes to the
 * history table with the period [start, T); an UPDATE's new row gets
 * [T, infinity).  A version written by this transaction makes no history
 * row and keeps its period.  A no-op UPDATE (no column changed but the
 * period, excluded columns and those other orm_triggers stamping triggers
 * write) makes no version unless always=true.  T not after the old start:
 * 2201H, or with adjust (third argument 'true', or adjust=true) a warning
 * and start + 1 microsecond.
 * TRUNCATE: every current version goes to history, closed at T.
 * ------------------------------------------------------------------------
 */
#define WRITTEN_RING 16

typedef struct WrittenVersion
{
	Oid			relid;			/* the leaf the row was in */
	ItemPointerData tid;		/* the superseded version */
	TransactionId xid;			/* the (sub)transaction that wrote history */
	int64		start;			/* the start of the version that replaced it */
} WrittenVersion;

static WrittenVersion written[WRITTEN_RING];
static int	written_next = 0;

/* T, as the period's element type (timestamptz or timestamp) */
static int64
system_time(VersioningState *st)
{
	TimestampTz now = ormt_system_time();

	if (st->with_tz)
		return now;
	if (!st->have_now || st->now_for != now || st->now_tz != session_timezone)
	{
		st->now = DatumGetTimestamp(DirectFunctionCall1(timestamptz_timestamp,
														TimestampTzGetDatum(now)));
		st->now_for = now;
		st->now_tz = session_timezone;
		st->have_now = true;
	}
	return st->now;
}

static Datum
make_period(VersioningState *st, bool lower_inf, int64 lower, bool upper_inf, int64 upper)
{
	RangeBound	lb;
	RangeBound	ub;

	lb.val = Int64GetDatum(lower);
	lb.infinite = lower_inf;
	lb.inclusive = !lower_inf;
	lb.lower = true;
	ub.val = Int64GetDatum(upper);
	ub.infinite = upper_inf;
	ub.inclusive = false;
	ub.lower = false;
	return RangeTypePGetDatum(ormt_make_range(st->typcache, &lb, &ub, false));
}

/*
 * The start of the version in slot: false when it has none (a NULL or
 * empty period, an unbounded start, a NULL start column).
 */
static bool
version_start(VersioningState *st, TupleTableSlot *slot, int64 *start)
{
	bool		isnull;
	Datum		d;

	if (st->range)
	{
		RangeType  *r;
		RangeBound	lb;
		RangeBound	ub;
		bool		empty;

		d = slot_getattr(slot, st->period, &isnull);
		if (isnull)
			return false;
		r = DatumGetRangeTypeP(d);
		range_deserialize(st->typcache, r, &lb, &ub, &empty);
		if (empty || lb.infinite)
			return false;
		*start = DatumGetInt64(lb.val);
		return true;
	}
	d = slot_getattr(slot, st->start, &isnull);
	if (isnull)
		return false;
	*start = DatumGetInt64(d);
	return true;
}

/* Did this (sub)transaction already write the history of this version? */
static WrittenVersion *
find_written(Oid relid, ItemPointer tid)
{
	for (int i = 0; i < WRITTEN_RING; i++)
	{
		WrittenVersion *w = &written[i];

		if (w->relid == relid && ItemPointerEquals(&w->tid, tid) &&
			TransactionIdIsValid(w->xid) && TransactionIdIsCurrentTransactionId(w->xid))
			return w;
	}
	return NULL;
}

static void
remember_written(Oid relid, ItemPointer tid, int64 start)
{
	WrittenVersion *w = &written[written_next];

	written_next = (written_next + 1) % WRITTEN_RING;
	w->relid = relid;
	w->tid = *tid;
	w->xid = GetCurrentTransactionId();
	w->start = start;
}

/*
 * Write one history row without the executor (see check_direct and
 * versioning_write.c).  False when history needs the planned INSERT after
 * all (the entry is out of date, an index needs the executor, a NULL goes
 * into a NOT NULL column).
 */
static bool
write_direct(OrmtTriggerEntry *entry, VersioningState *st, Datum *values,
			 char *nulls)
{
	bool		done;

	if (!entry->valid)
		return false;
	done = ormt_history_write(st->histrelid, st->nparams, st->param_dest,
							  values, nulls, st->write_cxt);
	MemoryContextReset(st->write_cxt);
	return done;
}

/* A time of the period's type, for messages. */
static const char *
time_text(VersioningState *st, int64 t)
{
	if (st->with_tz)
		return pstrdup(timestamptz_to_str(t));	/* a static buffer */
	return DatumGetCString(DirectFunctionCall1(timestamp_out, TimestampGetDatum(t)));
}

/*
 * Close the old version in oldslot: write it to history with the period
 * [start, T) (adjusted if need be).  Returns the start of the version that
 * replaces it.
 */
static int64
close_version(OrmtTriggerEntry *entry, VersioningState *st,
			  TupleTableSlot *oldslot)
{
	int64		now = system_time(st);
	int64		start = 0;
	bool		has_start = version_start(st, oldslot, &start);
	Datum	   *values = palloc(sizeof(Datum) * (st->nparams + 1));
	char	   *nulls = palloc(sizeof(char) * (st->nparams + 1));
	OrmtUserSave save;
	int			rc;

	if (has_start && start >= now)
	{
		if (!st->adjust)
			ereport(ERROR,
					(errcode(ORMT_ERRCODE_INVALID_ROW_VERSION),
					 errmsg("cannot version a row of table \"%s\": its current version does not start before the system time",
							st->tablename),
					 errdetail("The version starts at %s; the system time is %s. Trigger \"%s\" closes the old version at the system time (the transaction start, or the time set with orm_triggers.set_system_time()); a transaction that started later has changed the row.",
							   time_text(st, start), time_text(st, now), entry->tgname),
					 ormt_errtable(entry),
					 errhint("Retry the transaction, or create the trigger with adjust ('true' as its third argument, or 'adjust=true') to close the old version one microsecond after it began.")));
		ereport(WARNING,
				(errcode(ORMT_ERRCODE_INVALID_ROW_VERSION),
				 errmsg("system time of a row of table \"%s\" adjusted", st->tablename),
				 errdetail("Its current version does not start before the system time; trigger \"%s\" closes it one microsecond after it began.",
						   entry->tgname)));
		now = start + 1;
	}

	for (int i = 0; i < st->nparams; i++)
	{
		bool		isnull;

		values[i] = slot_getattr(oldslot, st->param_src[i], &isnull);
		nulls[i] = isnull ? 'n' : ' ';
	}
	if (st->range)
	{
		values[st->period_param] = make_period(st, !has_start, start, false, now);
		nulls[st->period_param] = ' ';
	}
	else
	{
		if (st->end_param >= 0)
		{
			values[st->end_param] = Int64GetDatum(now);
			nulls[st->end_param] = ' ';
		}
	}

	if (st->direct && write_direct(entry, st, values, nulls))
		return now;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ormt_become_owner(st->histowner, &save);
	rc = SPI_execute_plan(st->plan, values, nulls, false, 0);
	ormt_restore_user(&save);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "history insert of trigger \"%s\" failed: %s", entry->tgname,
			 SPI_result_code_string(rc));
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	return now;
}

/* The row with its period set to [start, infinity), or to old's period. */
static HeapTuple
with_period(VersioningState *st, TriggerData *trigdata, HeapTuple tuple,
			TupleTableSlot *keep_from, int64 start)
{
	TupleDesc	desc = RelationGetDescr(trigdata->tg_relation);
	int			attnums[2];
	Datum		values[2];
	bool		nulls[2] = {false, false};
	int			n;

	if (st->range)
	{
		attnums[0] = st->period;
		if (keep_from)
			values[0] = slot_getattr(keep_from, st->period, &nulls[0]);
		else
			values[0] = make_period(st, false, start, true, 0);
		n = 1;
	}
	else
	{
		attnums[0] = st->start;
		attnums[1] = st->end;
		if (keep_from)
		{
			values[0] = slot_getattr(keep_from, st->start, &nulls[0]);
			values[1] = slot_getattr(keep_from, st->end, &nulls[1]);
		}
		else
		{
			values[0] = Int64GetDatum(start);
			values[1] = Int64GetDatum(DT_NOEND);
		}
		n = 2;
	}
	return ormt_modify_tuple(tuple, desc, n, attnums, values, nulls);
}

/* Did a column that counts change between the old and new row? */
static bool
row_changed(VersioningState *st, TriggerData *trigdata)
{
	TupleDesc	desc = RelationGetDescr(trigdata->tg_relation);

	for (int i = 0; i < st->ncompare; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, st->compare[i] - 1);
		bool		oldnull;
		bool		newnull;
		Datum		oldval = slot_getattr(trigdata->tg_trigslot, att->attnum, &oldnull);
		Datum		newval = slot_getattr(trigdata->tg_newslot, att->attnum, &newnull);

		if (!ormt_datum_equal(oldval, oldnull, newval, newnull, att->attlen, att->attbyval))
			return true;
	}
	return false;
}

/* Was the version in slot written by this transaction (or a subtransaction)? */
static bool
written_by_us(TupleTableSlot *slot)
{
	bool		isnull;
	Datum		xmin = slot_getsysattr(slot, MinTransactionIdAttributeNumber, &isnull);

	return !isnull && TransactionIdIsCurrentTransactionId(DatumGetTransactionId(xmin));
}

/*
 * Row movement: an UPDATE that moves a row to another partition fires
 * BEFORE UPDATE on the source (which sets the new row's period), then
 * BEFORE INSERT on the target with that row.  The INSERT must keep the
 * period the UPDATE set (a kept period, or start + 1 microsecond after an
 * adjust), not start it again at T.  The last UPDATE of a partition
 * remembers the start it gave, for the INSERT of the same command; an
 * INSERT whose row starts there is taken for that movement.
 */
static struct
{
	bool		valid;
	Oid			root;			/* the partitioned table */
	LocalTransactionId lxid;
	CommandId	cid;
	bool		has_start;
	int64		start;
}			last_update;

static void
remember_update(VersioningState *st, bool has_start, int64 start)
{
	last_update.has_start = has_start;
	last_update.start = start;
	last_update.root = st->rootid;
	last_update.lxid = ormt_my_lxid();
	last_update.cid = GetCurrentCommandId(false);
	last_update.valid = true;
}

static bool
moved_here(VersioningState *st, TriggerData *trigdata)
{
	int64		start = 0;
	bool		has_start;

	if (!last_update.valid || !trigdata->tg_relation->rd_rel->relispartition ||
		last_update.root != st->rootid || last_update.lxid != ormt_my_lxid() ||
		last_update.cid != GetCurrentCommandId(false))
		return false;
	last_update.valid = false;	/* one INSERT per UPDATE */
	has_start = version_start(st, trigdata->tg_trigslot, &start);
	return has_start == last_update.has_start && start == last_update.start;
}

static void
versioning_truncate(OrmtTriggerEntry *entry, VersioningState *st)
{
	Datum		now = Int64GetDatum(system_time(st));
	OrmtUserSave save;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ormt_become_owner(st->histowner, &save);
	rc = SPI_execute_plan(st->plan, &now, NULL, false, 0);
	ormt_restore_user(&save);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "history insert of trigger \"%s\" failed: %s", entry->tgname,
			 SPI_result_code_string(rc));
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
}

Datum
versioning(PG_FUNCTION_ARGS)
{
	OrmtTriggerEntry *entry = ORMT_ENTRY(ormt_versioning_spec, ormt_versioning_build);
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	VersioningState *st = (VersioningState *) entry->data;
	TriggerEvent event = trigdata->tg_event;
	Oid			relid = RelationGetRelid(trigdata->tg_relation);
	TupleTableSlot *oldslot = trigdata->tg_trigslot;
	WrittenVersion *w;
	int64		start = 0;
	HeapTuple	result;
	bool		partition;

	if (st->truncate_form)
	{
		versioning_truncate(entry, st);
		return PointerGetDatum(NULL);
	}

	if (TRIGGER_FIRED_BY_INSERT(event))
	{
		/* the insert half of a row movement keeps what the UPDATE set */
		if (moved_here(st, trigdata))
			return PointerGetDatum(trigdata->tg_trigtuple);
		return PointerGetDatum(with_period(st, trigdata, trigdata->tg_trigtuple,
										   NULL, system_time(st)));
	}

	if (TRIGGER_FIRED_BY_DELETE(event))
	{
		if (!written_by_us(oldslot) && find_written(relid, &oldslot->tts_tid) == NULL)
			remember_written(relid, &oldslot->tts_tid, close_version(entry, st, oldslot));
		return PointerGetDatum(trigdata->tg_trigtuple);
	}

	/* UPDATE */
	partition = trigdata->tg_relation->rd_rel->relispartition;
	if ((!st->always && !row_changed(st, trigdata)) || written_by_us(oldslot))
	{
		result = with_period(st, trigdata, trigdata->tg_newtuple, oldslot, 0);
		if (partition)
		{
			bool		has_start = version_start(st, oldslot, &start);

			remember_update(st, has_start, start);
		}
	}
	else
	{
		w = find_written(relid, &oldslot->tts_tid);
		if (w != NULL)
			start = w->start;
		else
		{
			start = close_version(entry, st, oldslot);
			remember_written(relid, &oldslot->tts_tid, start);
		}
		result = with_period(st, trigdata, trigdata->tg_newtuple, NULL, start);
		if (partition)
			remember_update(st, true, start);
	}
	return PointerGetDatum(result);
}
