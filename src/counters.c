/*-------------------------------------------------------------------------
 *
 * counters.c
 *		counter_cache: a parent's count (or sum) of its children, kept exact
 *		by AFTER triggers on the child table, and recount() to rebuild it.
 *
 *	counter_cache(fk_col [, fk_col ...], 'parent=table', 'counter=col'
 *				  [, 'parent_key=c1,...'] [, 'where=bool_col']
 *				  [, 'delta=numeric_col'])
 *		Row form: AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW.  Each row
 *		adds a delta for its parent to the statement's batch
 *		(parent_batch.c); at the statement's end the deltas are summed per
 *		parent and applied in parent-key order, one
 *		UPDATE parent SET counter = COALESCE(counter, 0) + $delta
 *		per parent, as the parent table's owner.
 *		Statement form: AFTER INSERT, AFTER UPDATE or AFTER DELETE FOR EACH
 *		STATEMENT with the transition tables of its event: the same, from
 *		the transition tables, applied with the statement's other parent
 *		writes at its end.  AFTER TRUNCATE FOR EACH STATEMENT
 *		sets every parent's counter to zero.
 *
 *	recount(child regclass, trigger_name name) -> bigint
 *		Locks the parent rows in key order, then sets every counter to the
 *		value its children give; returns how many parents changed.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_operator.h"
#include "executor/executor.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "orm_triggers.h"

PG_FUNCTION_INFO_V1(counter_cache);
PG_FUNCTION_INFO_V1(ormt_recount);

static const OrmtOptionDef counter_options[] = {
	{"parent", ORMT_OPT_IDENT, NULL},
	{"counter", ORMT_OPT_COLUMNS, NULL},
	{"parent_key", ORMT_OPT_COLUMNS, NULL},
	{"where", ORMT_OPT_COLUMNS, NULL},
	{"delta", ORMT_OPT_COLUMNS, NULL},
	{NULL}
};

const OrmtFuncSpec ormt_counter_cache_spec = {
	.name = "counter_cache",
	.timing = TRIGGER_TYPE_AFTER,
	.row_ok = true,
	.statement_ok = true,
	.events = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_DELETE |
	TRIGGER_TYPE_TRUNCATE,
	.required_events = 0,
	.min_columns = 1,
	.max_columns = INDEX_MAX_KEYS,
	.options = counter_options,
};

typedef struct CounterState
{
	OrmtParentLink link;
	char	   *update_sql;		/* the per-parent UPDATE */
	OrmtApplyKind kind;
	AttrNumber	where_attnum;	/* 0: every child counts */
	AttrNumber	delta_attnum;	/* 0: count children */
	Oid			delta_type;		/* base type of the delta column */
	SPIPlanPtr	lock_plan;		/* TRUNCATE: lock the parents in key order */
	SPIPlanPtr	reset_plan;		/* TRUNCATE: set the counters to zero */
	SPIPlanPtr	exists_plan;	/* ON UPDATE CASCADE: does the old parent
								 * exist */
	OrmtParentTarget *target;	/* made on first fire */
} CounterState;

/* recount() borrows the build to get its SQL: see ormt_recount */
typedef struct RecountSql
{
	char	   *lock_sql;
	char	   *update_sql;
	char	   *zero_sql;
} RecountSql;

static RecountSql *recount_capture = NULL;

/* ------------------------------------------------------------------------
 * counter_cache
 * ------------------------------------------------------------------------
 */

/* One column named by a single-column option of the child table. */
static AttrNumber
option_column(OrmtTriggerEntry *entry, Relation rel, const OrmtArgs *args,
			  const char *name)
{
	List	   *cols = ormt_option_columns(args, name);

	if (cols == NIL)
		return InvalidAttrNumber;
	if (list_length(cols) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option %s= of trigger \"%s\" on table \"%s\" names more than one column",
						name, entry->tgname, entry->relname),
				 ormt_errtable(entry),
				 errhint("Name one column: '%s=column'.", name)));
	return ormt_resolve_column(entry, rel, (char *) linitial(cols), true);
}

static bool
is_counter_type(Oid t)
{
	return t == INT2OID || t == INT4OID || t == INT8OID || t == NUMERICOID;
}

/*
 * Does a foreign key of rel on exactly the fk columns reference the parent
 * with ON UPDATE CASCADE?
 */
static bool
has_cascading_fk(Relation rel, const OrmtParentLink *link)
{
	List	   *fks = copyObject(RelationGetFKeyList(rel));
	ListCell   *lc;
	bool		found = false;

	foreach(lc, fks)
	{
		ForeignKeyCacheInfo *fk = (ForeignKeyCacheInfo *) lfirst(lc);
		bool		same = fk->confrelid == link->parent_relid && fk->nkeys == link->nkeys;
		HeapTuple	tup;

		for (int i = 0; same && i < fk->nkeys; i++)
			same = fk->conkey[i] == link->fkattnums[i] && fk->confkey[i] == link->keyattnums[i];
		if (!same)
			continue;
		tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(fk->conoid));
		if (HeapTupleIsValid(tup))
		{
			if (((Form_pg_constraint) GETSTRUCT(tup))->confupdtype == FKCONSTR_ACTION_CASCADE)
				found = true;
			ReleaseSysCache(tup);
		}
	}
	list_free_deep(fks);
	return found;
}

void
ormt_counter_cache_build(OrmtTriggerEntry *entry, TriggerData *trigdata,
						 const OrmtArgs *args)
{
	Relation	rel = trigdata->tg_relation;
	CounterState *st = palloc0(sizeof(CounterState));
	Relation	parent;
	char	   *pname;
	List	   *cols;
	AttrNumber	counter;
	Form_pg_attribute catt;
	char	   *cname;
	StringInfoData buf;
	bool		parent_only;
	OrmtUserSave save;

	ormt_check_parent_events(entry, trigdata, true);
	pname = ormt_parent_link_build(entry, rel, args, &st->link, &parent);
	parent_only = parent->rd_rel->relkind == RELKIND_RELATION;

	cols = ormt_option_columns(args, "counter");
	if (cols == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trigger \"%s\" on table \"%s\" needs the option counter=",
						entry->tgname, entry->relname),
				 ormt_errtable(entry),
				 errhint("Name the parent's counter column: 'counter=comments_count'.")));
	if (list_length(cols) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option counter= of trigger \"%s\" on table \"%s\" names more than one column",
						entry->tgname, entry->relname),
				 ormt_errtable(entry),
				 errhint("Attach one trigger per counter column.")));
	counter = ormt_parent_column(entry, parent, "counter", (char *) linitial(cols));
	catt = TupleDescAttr(RelationGetDescr(parent), counter - 1);
	if (!is_counter_type(getBaseType(catt->atttypid)) || catt->attgenerated)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("counter column \"%s\" of table \"%s\" named by trigger \"%s\" on table \"%s\" has the wrong type",
						NameStr(catt->attname), RelationGetRelationName(parent),
						entry->tgname, entry->relname),
				 errdetail("orm_triggers.counter_cache needs a smallint, integer, bigint or numeric column that is not generated; the column is %s.",
						   format_type_with_typemod(catt->atttypid, catt->atttypmod)),
				 errtablecol(parent, counter),
				 errhint("Change the column's type, or name another column.")));
	for (int i = 0; i < st->link.nkeys; i++)
		if (st->link.keyattnums[i] == counter)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("counter column \"%s\" of trigger \"%s\" on table \"%s\" is a key column of its parent",
							NameStr(catt->attname), entry->tgname, entry->relname),
					 ormt_errtable(entry),
					 errhint("Name a column of its own for the counter.")));
	cname = pstrdup(quote_identifier(NameStr(catt->attname)));

	st->where_attnum = option_column(entry, rel, args, "where");
	if (st->where_attnum != InvalidAttrNumber &&
		getBaseType(TupleDescAttr(RelationGetDescr(rel), st->where_attnum - 1)->atttypid) != BOOLOID)
		ormt_column_type_error(entry, rel, st->where_attnum, "a boolean column for where=");
	st->delta_attnum = option_column(entry, rel, args, "delta");
	st->kind = ORMT_APPLY_ADD_INT8;
	if (st->delta_attnum != InvalidAttrNumber)
	{
		st->delta_type = getBaseType(TupleDescAttr(RelationGetDescr(rel), st->delta_attnum - 1)->atttypid);
		if (!is_counter_type(st->delta_type))
			ormt_column_type_error(entry, rel, st->delta_attnum,
								   "a smallint, integer, bigint or numeric column for delta=");
		if (st->delta_type == NUMERICOID)
			st->kind = ORMT_APPLY_ADD_NUMERIC;
	}

	initStringInfo(&buf);
	appendStringInfo(&buf, "UPDATE %s%s SET %s = COALESCE(%s, 0) OPERATOR(pg_catalog.+) $%d WHERE ",
					 parent_only ? "ONLY " : "", pname, cname, cname, st->link.nkeys + 1);
	ormt_parent_key_where(&buf, &st->link, parent, NULL);
	st->update_sql = buf.data;

	if ((trigdata->tg_trigger->tgtype & TRIGGER_TYPE_UPDATE) && !recount_capture &&
		has_cascading_fk(rel, &st->link))
	{
		Oid			argtypes[INDEX_MAX_KEYS];
		StringInfoData ex;

		for (int i = 0; i < st->link.nkeys; i++)
			argtypes[i] = st->link.keytypes[i];
		initStringInfo(&ex);
		appendStringInfo(&ex, "SELECT 1 FROM %s WHERE ", pname);
		ormt_parent_key_where(&ex, &st->link, parent, NULL);
		ormt_become_owner(st->link.parent_owner, &save);
		st->exists_plan = ormt_cache_prepare(entry, ex.data, st->link.nkeys, argtypes, 0);
		ormt_restore_user(&save);
	}

	if (TRIGGER_FOR_TRUNCATE(trigdata->tg_trigger->tgtype) || recount_capture)
	{
		StringInfoData lock;
		StringInfoData reset;

		initStringInfo(&lock);
		appendStringInfo(&lock, "SELECT 1 FROM %s%s p ", parent_only ? "ONLY " : "", pname);
		if (!recount_capture)
			appendStringInfo(&lock, "WHERE p.%s IS NULL OR p.%s OPERATOR(pg_catalog.<>) 0 ",
							 cname, cname);
		appendStringInfoString(&lock, "ORDER BY ");
		for (int i = 0; i < st->link.nkeys; i++)
			appendStringInfo(&lock, "%sp.%s", i > 0 ? ", " : "",
							 quote_identifier(NameStr(TupleDescAttr(RelationGetDescr(parent),
																	st->link.keyattnums[i] - 1)->attname)));
		appendStringInfoString(&lock, " FOR NO KEY UPDATE OF p");
		initStringInfo(&reset);
		appendStringInfo(&reset, "UPDATE %s%s SET %s = 0 WHERE %s IS NULL OR %s OPERATOR(pg_catalog.<>) 0",
						 parent_only ? "ONLY " : "", pname, cname, cname, cname);
		if (recount_capture)
		{
			/* recount(): counts from the children, as of after the locks */
			MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(recount_capture));
			StringInfoData up;
			StringInfoData fkmatch;
			char	   *child = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
														   RelationGetRelationName(rel));
			const char *conly = rel->rd_rel->relkind == RELKIND_RELATION ? "ONLY " : "";
			const char *where = st->where_attnum ?
				psprintf(" AND c.%s IS TRUE",
						 quote_identifier(NameStr(TupleDescAttr(RelationGetDescr(rel), st->where_attnum - 1)->attname))) : "";

			initStringInfo(&up);
			initStringInfo(&fkmatch);
			appendStringInfo(&up, "UPDATE %s%s p SET %s = v.n FROM (SELECT ",
							 parent_only ? "ONLY " : "", pname, cname);
			for (int i = 0; i < st->link.nkeys; i++)
			{
				const char *fk = quote_identifier(NameStr(TupleDescAttr(RelationGetDescr(rel), st->link.fkattnums[i] - 1)->attname));
				const char *pk = quote_identifier(NameStr(TupleDescAttr(RelationGetDescr(parent), st->link.keyattnums[i] - 1)->attname));
				char	   *eq = ormt_eq_operator_text(st->link.keytypes[i]);

				appendStringInfo(&up, "c.%s AS k%d, ", fk, i + 1);
				appendStringInfo(&fkmatch, "%sc.%s %s p.%s", i > 0 ? " AND " : "", fk, eq, pk);
			}
			if (st->delta_attnum)
				appendStringInfo(&up, "COALESCE(pg_catalog.sum(c.%s), 0) AS n",
								 quote_identifier(NameStr(TupleDescAttr(RelationGetDescr(rel), st->delta_attnum - 1)->attname)));
			else
				appendStringInfoString(&up, "pg_catalog.count(*) AS n");
			appendStringInfo(&up, " FROM %s%s c WHERE TRUE", conly, child);
			for (int i = 0; i < st->link.nkeys; i++)
				appendStringInfo(&up, " AND c.%s IS NOT NULL",
								 quote_identifier(NameStr(TupleDescAttr(RelationGetDescr(rel), st->link.fkattnums[i] - 1)->attname)));
			appendStringInfo(&up, "%s GROUP BY ", where);
			for (int i = 0; i < st->link.nkeys; i++)
				appendStringInfo(&up, "%s%d", i > 0 ? ", " : "", i + 1);
			appendStringInfoString(&up, ") v WHERE ");
			for (int i = 0; i < st->link.nkeys; i++)
				appendStringInfo(&up, "p.%s %s v.k%d AND ",
								 quote_identifier(NameStr(TupleDescAttr(RelationGetDescr(parent), st->link.keyattnums[i] - 1)->attname)),
								 ormt_eq_operator_text(st->link.keytypes[i]), i + 1);
			appendStringInfo(&up, "(p.%s IS NULL OR p.%s OPERATOR(pg_catalog.<>) v.n)", cname, cname);

			recount_capture->lock_sql = pstrdup(lock.data);
			recount_capture->update_sql = up.data;
			recount_capture->zero_sql =
				psprintf("UPDATE %s%s p SET %s = 0 WHERE (p.%s IS NULL OR p.%s OPERATOR(pg_catalog.<>) 0) "
						 "AND NOT EXISTS (SELECT FROM %s%s c WHERE %s%s)",
						 parent_only ? "ONLY " : "", pname, cname, cname, cname,
						 conly, child, fkmatch.data, where);
			MemoryContextSwitchTo(old);
		}
		else
		{
			/* parsed as the owner, who runs them */
			ormt_become_owner(st->link.parent_owner, &save);
			st->lock_plan = ormt_cache_prepare(entry, lock.data, 0, NULL, 0);
			st->reset_plan = ormt_cache_prepare(entry, reset.data, 0, NULL, 0);
			ormt_restore_user(&save);
		}
	}
	table_close(parent, AccessShareLock);
	entry->data = st;
}

/*
 * What a child row adds to its parent's counter: 1 (or its delta column)
 * when it counts.  False when it adds nothing.
 */
static bool
contribution(const CounterState *st, HeapTuple tuple, TupleDesc tupdesc,
			 int64 *count, Datum *sum)
{
	bool		isnull;
	Datum		d;

	if (st->where_attnum)
	{
		d = heap_getattr(tuple, st->where_attnum, tupdesc, &isnull);
		if (isnull || !DatumGetBool(d))
			return false;
	}
	if (!st->delta_attnum)
	{
		*count = 1;
		return true;
	}
	d = heap_getattr(tuple, st->delta_attnum, tupdesc, &isnull);
	if (isnull)
		return false;
	switch (st->delta_type)
	{
		case INT2OID:
			*count = DatumGetInt16(d);
			break;
		case INT4OID:
			*count = DatumGetInt32(d);
			break;
		case INT8OID:
			*count = DatumGetInt64(d);
			break;
		case NUMERICOID:
			*sum = d;
			return true;		/* a zero sum is skipped when applied */
	}
	return *count != 0;
}

static OrmtParentTarget *
counter_target(OrmtTriggerEntry *entry, CounterState *st)
{
	if (st->target == NULL)
		st->target = ormt_parent_target_create(entry, &st->link, st->kind,
											   st->kind == ORMT_APPLY_ADD_NUMERIC ? NUMERICOID : INT8OID,
											   st->update_sql);
	return st->target;
}

/* An item of sign times the row's contribution, or NULL when it adds nothing. */
static OrmtParentItem *
row_item(MemoryContext cxt, CounterState *st, OrmtParentTarget *t,
		 HeapTuple tuple, TupleDesc tupdesc, int sign)
{
	Datum		keys[INDEX_MAX_KEYS];
	int64		count = 0;
	Datum		sum = (Datum) 0;
	OrmtParentItem *it;

	if (tuple == NULL || !ormt_parent_key_of(&st->link, tuple, tupdesc, keys) ||
		!contribution(st, tuple, tupdesc, &count, &sum))
		return NULL;
	it = ormt_parent_item(cxt, t, keys);
	if (st->kind == ORMT_APPLY_ADD_NUMERIC)
		ormt_parent_item_set_sum(cxt, it, sign < 0 ?
								 DirectFunctionCall1(numeric_uminus, sum) : sum);
	else
		ormt_parent_item_set_count(it, sign < 0 ? -count : count);
	return it;
}

/*
 * An fk change made by a foreign key's ON UPDATE CASCADE: the parent row's
 * key changed and the child followed it.  The child stays with the same
 * parent row, whose counter already counts it: nothing moves.  (A naive
 * trigger adds it again to the renamed parent and subtracts it from a key
 * that no longer exists.)  Told by the old parent key being gone; only
 * asked where such a foreign key exists.
 */
static bool
cascaded_key_change(const CounterState *st, HeapTuple oldtup, HeapTuple newtup,
					TupleDesc tupdesc)
{
	Datum		ok[INDEX_MAX_KEYS];
	Datum		nk[INDEX_MAX_KEYS];
	char		nulls[INDEX_MAX_KEYS];
	bool		gone;
	OrmtUserSave save;

	if (st->exists_plan == NULL ||
		!ormt_parent_key_of(&st->link, oldtup, tupdesc, ok) ||
		!ormt_parent_key_of(&st->link, newtup, tupdesc, nk) ||
		ormt_parent_keys_equal(&st->link, ok, nk))
		return false;
	memset(nulls, ' ', sizeof(nulls));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* not read-only: the parent's key change is to be seen */
	ormt_become_owner(st->link.parent_owner, &save);
	if (SPI_execute_plan(st->exists_plan, ok, nulls, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "orm_triggers: looking up the parent failed");
	ormt_restore_user(&save);
	gone = (SPI_processed == 0);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	return gone;
}

/* Is the row's contribution and parent the same before and after? */
static bool
row_unchanged(const CounterState *st, HeapTuple oldtup, HeapTuple newtup,
			  TupleDesc tupdesc)
{
	AttrNumber	cols[INDEX_MAX_KEYS + 2];
	int			n = 0;

	for (int i = 0; i < st->link.nkeys; i++)
		cols[n++] = st->link.fkattnums[i];
	if (st->where_attnum)
		cols[n++] = st->where_attnum;
	if (st->delta_attnum)
		cols[n++] = st->delta_attnum;
	for (int i = 0; i < n; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, cols[i] - 1);
		bool		on;
		bool		nn;
		Datum		o = heap_getattr(oldtup, cols[i], tupdesc, &on);
		Datum		v = heap_getattr(newtup, cols[i], tupdesc, &nn);

		if (!ormt_datum_equal(o, on, v, nn, att->attlen, att->attbyval))
			return false;
	}
	return true;
}

static void
counter_truncate(CounterState *st)
{
	OrmtUserSave save;
	bool		pushed = false;

	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ormt_become_owner(st->link.parent_owner, &save);
	if (SPI_execute_plan(st->lock_plan, NULL, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "orm_triggers: locking the parents failed");
	if (SPI_execute_plan(st->reset_plan, NULL, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "orm_triggers: resetting the counters failed");
	ormt_restore_user(&save);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	if (pushed)
		PopActiveSnapshot();
}

/*
 * The statement form: the deltas of the transition tables go to the
 * statement's batch, with those of every other counter_cache and
 * touch_parent trigger the statement fires, so that the statement locks
 * all its parents in one key order.
 */
static void
counter_statement(OrmtTriggerEntry *entry, CounterState *st, TriggerData *trigdata)
{
	OrmtParentTarget *t = counter_target(entry, st);
	TupleDesc	tupdesc = RelationGetDescr(trigdata->tg_relation);
	OrmtTransitionPairs rows;
	HeapTuple	tup[2];
	MemoryContext cxt = ormt_parent_batch_context(ORMT_BATCH_STATEMENT);
	MemoryContext rowcxt;
	MemoryContext old;

	ormt_transition_pairs_begin(&rows, trigdata);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "orm_triggers counter row",
								   ALLOCSET_DEFAULT_SIZES);
	while (ormt_transition_pairs_next(&rows, &tup[0], &tup[1]))
	{
		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(rowcxt);
		old = MemoryContextSwitchTo(rowcxt);
		if (!(tup[0] && tup[1] && (row_unchanged(st, tup[0], tup[1], tupdesc) ||
								   cascaded_key_change(st, tup[0], tup[1], tupdesc))))
		{
			for (int s = 0; s < 2; s++)
			{
				OrmtParentItem *it = row_item(cxt, st, t, tup[s], tupdesc, s == 0 ? -1 : 1);

				if (it != NULL)
					ormt_parent_keep(ORMT_BATCH_STATEMENT, it);
			}
		}
		MemoryContextSwitchTo(old);
	}
	ormt_transition_pairs_end(&rows);
	MemoryContextDelete(rowcxt);
}

Datum
counter_cache(PG_FUNCTION_ARGS)
{
	OrmtTriggerEntry *entry = ORMT_ENTRY(ormt_counter_cache_spec, ormt_counter_cache_build);
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	CounterState *st = (CounterState *) entry->data;
	TupleDesc	tupdesc = RelationGetDescr(trigdata->tg_relation);
	OrmtParentTarget *t;
	MemoryContext cxt;
	HeapTuple	oldtup = NULL;
	HeapTuple	newtup = NULL;
	OrmtParentItem *it;

	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		counter_truncate(st);
		return PointerGetDatum(NULL);
	}
	if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
	{
		counter_statement(entry, st, trigdata);
		return PointerGetDatum(NULL);
	}

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		newtup = trigdata->tg_trigtuple;
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		oldtup = trigdata->tg_trigtuple;
	else
	{
		oldtup = trigdata->tg_trigtuple;
		newtup = trigdata->tg_newtuple;
		if (row_unchanged(st, oldtup, newtup, tupdesc) ||
			cascaded_key_change(st, oldtup, newtup, tupdesc))
			return PointerGetDatum(NULL);
	}

	t = counter_target(entry, st);
	cxt = ormt_parent_batch_context(ORMT_BATCH_STATEMENT);
	if ((it = row_item(cxt, st, t, oldtup, tupdesc, -1)) != NULL)
		ormt_parent_keep(ORMT_BATCH_STATEMENT, it);
	if ((it = row_item(cxt, st, t, newtup, tupdesc, 1)) != NULL)
		ormt_parent_keep(ORMT_BATCH_STATEMENT, it);
	return PointerGetDatum(NULL);
}

/* ------------------------------------------------------------------------
 * recount(child regclass, trigger_name name) -> bigint
 * ------------------------------------------------------------------------
 */
Datum
ormt_recount(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Name		tgname = PG_GETARG_NAME(1);
	Relation	rel;
	TriggerDesc *trigdesc;
	Trigger    *trigger = NULL;
	TriggerData trigdata;
	RecountSql *sql;
	int64		changed = 0;
	Oid			nsp = get_namespace_oid("orm_triggers", false);

	rel = relation_open(relid, AccessShareLock);
	trigdesc = rel->trigdesc ? CopyTriggerDesc(rel->trigdesc) : NULL;
	for (int i = 0; trigdesc && i < trigdesc->numtriggers; i++)
		if (strcmp(trigdesc->triggers[i].tgname, NameStr(*tgname)) == 0)
			trigger = &trigdesc->triggers[i];
	if (trigger == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("trigger \"%s\" for table \"%s\" does not exist",
						NameStr(*tgname), RelationGetRelationName(rel)),
				 errhint("Name the counter_cache trigger as orm_triggers.attached lists it.")));
	if (get_func_namespace(trigger->tgfoid) != nsp ||
		strcmp(get_func_name(trigger->tgfoid), "counter_cache") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("trigger \"%s\" on table \"%s\" is not an orm_triggers.counter_cache trigger",
						NameStr(*tgname), RelationGetRelationName(rel)),
				 errhint("Name the counter_cache trigger as orm_triggers.attached lists it.")));

	if (rel->rd_rel->relispartition)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a partition: recount the partitioned table",
						RelationGetRelationName(rel)),
				 errdetail("A partition holds only some of the children; its parents' other children are in other partitions."),
				 errhint("Call orm_triggers.recount() with the partitioned table and the trigger created on it.")));

	memset(&trigdata, 0, sizeof(trigdata));
	trigdata.type = T_TriggerData;
	trigdata.tg_relation = rel;
	trigdata.tg_trigger = trigger;
	sql = palloc0(sizeof(RecountSql));
	recount_capture = sql;
	PG_TRY();
	{
		ormt_validate(&ormt_counter_cache_spec, ormt_counter_cache_build, &trigdata);
	}
	PG_FINALLY();
	{
		recount_capture = NULL;
	}
	PG_END_TRY();
	FreeTriggerDesc(trigdesc);
	relation_close(rel, AccessShareLock);

	/* as the caller: recount needs the rights to update the parent */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(sql->lock_sql, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "orm_triggers: locking the parents failed");
	if (SPI_execute(sql->update_sql, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "orm_triggers: recounting failed");
	changed += SPI_processed;
	if (SPI_execute(sql->zero_sql, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "orm_triggers: recounting failed");
	changed += SPI_processed;
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	PG_RETURN_INT64(changed);
}
