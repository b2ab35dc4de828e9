/*-------------------------------------------------------------------------
 *
 * parent_batch.c
 *		Writes to parent rows (counter_cache's deltas, touch_parent's
 *		touches) collected while a statement or a transaction runs and
 *		applied together, parents in key order.
 *
 * A trigger that writes to another table once per child row takes the
 * parents' row locks in the order the rows happen to come: two statements
 * that touch the same parents in different orders deadlock.  Here every
 * such write becomes an item (target, parent key, value).  Items wait in
 * one of two batches and are applied together: sorted by parent table,
 * parent key and trigger, items for one parent merged into one write
 * (deltas summed, touches made once), so every transaction locks parents
 * in one global order.
 *
 *	ORMT_BATCH_STATEMENT: applied when the statement that made them ends:
 *		after its ExecutorFinish (AFTER ROW triggers fire in there), or
 *		after the utility command (COPY fires its triggers without an
 *		executor end), and at pre-commit/pre-prepare for anything left.
 *		Items remember the executor nesting depth they were made at, so a
 *		query that a trigger runs in the middle of the statement's AFTER
 *		triggers (a foreign key check, a PL/pgSQL trigger's query) applies
 *		only its own items: applying the outer statement's there would
 *		change parent rows under that query's snapshot (the foreign key
 *		check would then try to lock a row version its snapshot cannot
 *		see).  A query that ends while an enclosing query still runs (in a
 *		BEFORE trigger, in a function a SELECT calls) applies nothing: the
 *		enclosing query may still change those parent rows (a
 *		self-referencing table), which PostgreSQL forbids; its items wait
 *		for the enclosing query's end.  Unlike audit.c's rows they are not
 *		applied before a new query starts, for the same reasons.
 *	ORMT_BATCH_COMMIT: applied once per transaction, before it commits:
 *		at the COMMIT / END / PREPARE TRANSACTION command, or at the end
 *		of the top-level statement outside a transaction block; at
 *		pre-commit as the last resort (a COMMIT inside a procedure, an
 *		implicit multi-statement transaction).  Not a deferred constraint
 *		trigger: those fire one row at a time in queue order, so they
 *		could not sort; not only a pre-commit callback: that runs after
 *		the deferred triggers, so the parents' own deferred triggers
 *		queued by the touch would never fire.
 *
 * Every item carries the subtransaction that made it: a subtransaction
 * that commits hands its items to its parent, one that aborts drops them
 * with the changes they describe.  A statement-end flush applies the items
 * of the current subtransaction only.
 *
 * This is the one place that knows these rules; it is meant to be replaced
 * by the generic statement-end batch facility (stmt_batch.c) with a flush
 * and a forget callback per batch kind.
 *
 * Targets (the plan and key description of one trigger) live in their own
 * long-lived memory, not in the trigger's cache entry: an entry can be
 * rebuilt (after any relcache invalidation) while items that point to its
 * target wait.  A replaced target is freed once no item waits.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/snapmgr.h"

#include "orm_triggers.h"

typedef struct ParentItem
{
	OrmtParentTarget *target;
	SubTransactionId subxid;
	int			depth;			/* executor/utility nesting when made */
	int64		count;			/* ORMT_APPLY_ADD_INT8 */
	Datum		sum;			/* ORMT_APPLY_ADD_NUMERIC */
	Datum		keys[FLEXIBLE_ARRAY_MEMBER];
} ParentItem;

typedef struct ParentBatch
{
	MemoryContext cxt;			/* child of TopTransactionContext, or NULL */
	ParentItem **items;
	int			n;
	int			cap;
	int			compact_at;		/* merge the items when n reaches this */
} ParentBatch;

static ParentBatch batches[2];

/* every live target, newest first; retired ones are freed when idle */
static List *targets = NIL;

/* the parent table and column a touch is being written to, else NULL */
static OrmtParentTarget *touching = NULL;

/* how deep in executor runs and utility commands we are */
static int	nesting = 0;

/* executor runs in progress: a query that ends inside one applies nothing */
static int	runs = 0;

/*
 * A batch merges its items (one per parent, trigger, subtransaction and
 * depth) when it reaches PARENT_BATCH_COMPACT items or twice what the last
 * merge left, so its memory follows the number of parents, not of rows.  A
 * statement-end batch with this many items after merging is applied early.
 */
#define PARENT_BATCH_COMPACT 8192
#define PARENT_BATCH_MAX_ITEMS (1024 * 1024)

static void
batch_forget(ParentBatch *b)
{
	/* the memory goes with TopTransactionContext or was deleted already */
	memset(b, 0, sizeof(*b));
}

/* Free the targets that were replaced, when no item can point to them. */
static void
free_retired_targets(void)
{
	ListCell   *lc;

	if (batches[0].n > 0 || batches[1].n > 0)
		return;
	foreach(lc, targets)
	{
		OrmtParentTarget *t = (OrmtParentTarget *) lfirst(lc);

		if (!t->retired)
			continue;
		targets = foreach_delete_current(targets, lc);
		if (t->plan)
			SPI_freeplan(t->plan);
		MemoryContextDelete(t->cxt);
	}
}

/*
 * A new target for trigger tgoid, with its plan prepared from sql (params:
 * the keys, then the value).  Older targets of the trigger are retired.
 */
OrmtParentTarget *
ormt_parent_target_create(OrmtTriggerEntry *entry, const OrmtParentLink *link,
						  OrmtApplyKind kind, Oid valuetype, const char *sql)
{
	MemoryContext cxt;
	MemoryContext old;
	OrmtParentTarget *t;
	Oid			argtypes[INDEX_MAX_KEYS + 1];
	ListCell   *lc;
	OrmtUserSave save;

	foreach(lc, targets)
	{
		OrmtParentTarget *o = (OrmtParentTarget *) lfirst(lc);

		if (o->tgoid == entry->tgoid)
			o->retired = true;
	}
	free_retired_targets();

	cxt = AllocSetContextCreate(TopMemoryContext, "orm_triggers parent target",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	t = palloc0(sizeof(OrmtParentTarget));
	t->cxt = cxt;
	t->tgoid = entry->tgoid;
	t->tgname = pstrdup(entry->tgname);
	t->link = *link;
	t->kind = kind;
	t->valuetype = valuetype;
	t->valuetypmod = -1;
	for (int i = 0; i < link->nkeys; i++)
	{
		fmgr_info_cxt(link->cmpproc[i], &t->cmp[i], cxt);
		argtypes[i] = link->keytypes[i];
	}
	argtypes[link->nkeys] = valuetype;
	MemoryContextSwitchTo(old);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* parsed as the owner, who runs it: the writer may not see the schema */
	ormt_become_owner(link->parent_owner, &save);
	t->plan = SPI_prepare(sql, link->nkeys + 1, argtypes);
	ormt_restore_user(&save);
	if (t->plan == NULL)
		elog(ERROR, "orm_triggers: could not prepare \"%s\" for trigger \"%s\": %s",
			 sql, entry->tgname, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(t->plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");

	old = MemoryContextSwitchTo(TopMemoryContext);
	targets = lcons(t, targets);
	MemoryContextSwitchTo(old);
	return t;
}

/*
 * Is touch_parent writing column attnum of rel (or of the partitioned
 * table rel belongs to) right now?  update_last_modified asks: a touch of
 * its own stamp column is the change, not a statement writing the stamp by
 * hand.  Columns are compared by name: a partition's numbers may differ.
 */
bool
ormt_parent_touching(Relation rel, AttrNumber attnum)
{
	return touching != NULL &&
		strcmp(NameStr(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attname),
			   NameStr(touching->valuecol)) == 0 &&
		(RelationGetRelid(rel) == touching->link.parent_relid ||
		 ormt_partition_root(rel) == touching->link.parent_relid);
}

/* Order of two items: parent table, key columns, key, trigger. */
static int
item_compare(const ParentItem *a, const ParentItem *b)
{
	const OrmtParentLink *la = &a->target->link;
	const OrmtParentLink *lb = &b->target->link;

	if (la->parent_relid != lb->parent_relid)
		return la->parent_relid < lb->parent_relid ? -1 : 1;
	if (la->nkeys != lb->nkeys)
		return la->nkeys < lb->nkeys ? -1 : 1;
	for (int i = 0; i < la->nkeys; i++)
		if (la->keyattnums[i] != lb->keyattnums[i])
			return la->keyattnums[i] < lb->keyattnums[i] ? -1 : 1;
	for (int i = 0; i < la->nkeys; i++)
	{
		int32		c = DatumGetInt32(FunctionCall2Coll(&a->target->cmp[i],
														la->keycollations[i],
														a->keys[i], b->keys[i]));

		if (c != 0)
			return c < 0 ? -1 : 1;
	}
	if (a->target->tgoid != b->target->tgoid)
		return a->target->tgoid < b->target->tgoid ? -1 : 1;
	return 0;
}

static int
item_qsort_cmp(const void *a, const void *b)
{
	return item_compare(*(ParentItem *const *) a, *(ParentItem *const *) b);
}

/* Add b's value into a (same parent, same trigger). */
static void
item_merge(ParentItem *a, const ParentItem *b)
{
	switch (a->target->kind)
	{
		case ORMT_APPLY_ADD_INT8:
			if (pg_add_s64_overflow(a->count, b->count, &a->count))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("bigint out of range in the delta of trigger \"%s\"",
								a->target->tgname)));
			break;
		case ORMT_APPLY_ADD_NUMERIC:
			a->sum = DirectFunctionCall2(numeric_add, a->sum, b->sum);
			break;
		case ORMT_APPLY_TOUCH:
			break;
	}
}

static bool
item_is_noop(const ParentItem *it)
{
	switch (it->target->kind)
	{
		case ORMT_APPLY_ADD_INT8:
			return it->count == 0;
		case ORMT_APPLY_ADD_NUMERIC:
			return DatumGetBool(DirectFunctionCall2(numeric_eq, it->sum,
													DirectFunctionCall1(int8_numeric, Int64GetDatum(0))));
		case ORMT_APPLY_TOUCH:
			return false;
	}
	return true;
}

/*
 * Apply n items: sort, merge the items of one parent and trigger, skip
 * those that net to nothing, and run each target's plan as the parent
 * table's owner, in order.  The items' memory is the caller's.
 */
void
ormt_parent_apply(ParentItem **items, int n)
{
	bool		snapshot_pushed = false;
	int			i;

	if (n == 0)
		return;
	if (n > 1)
		qsort(items, n, sizeof(ParentItem *), item_qsort_cmp);

	/* at commit and before snapshot-less utilities no snapshot is set */
	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		snapshot_pushed = true;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	for (i = 0; i < n;)
	{
		ParentItem *it = items[i];
		OrmtParentTarget *t = it->target;
		int			j = i + 1;
		Datum		values[INDEX_MAX_KEYS + 1];
		char		nulls[INDEX_MAX_KEYS + 1];
		OrmtUserSave save;
		int			rc;

		while (j < n && item_compare(it, items[j]) == 0)
			item_merge(it, items[j++]);
		i = j;
		if (item_is_noop(it))
			continue;

		for (int k = 0; k < t->link.nkeys; k++)
		{
			values[k] = it->keys[k];
			nulls[k] = ' ';
		}
		switch (t->kind)
		{
			case ORMT_APPLY_ADD_INT8:
				values[t->link.nkeys] = Int64GetDatum(it->count);
				break;
			case ORMT_APPLY_ADD_NUMERIC:
				values[t->link.nkeys] = it->sum;
				break;
			case ORMT_APPLY_TOUCH:
				values[t->link.nkeys] = ormt_now_as(t->valuetype);

				/*
				 * rounded as the column stores it, so the next touch is a
				 * no-op
				 */
				if (t->valuetypmod >= 0 && t->valuetype == TIMESTAMPTZOID)
					values[t->link.nkeys] = DirectFunctionCall2(timestamptz_scale,
																values[t->link.nkeys],
																Int32GetDatum(t->valuetypmod));
				else if (t->valuetypmod >= 0 && t->valuetype == TIMESTAMPOID)
					values[t->link.nkeys] = DirectFunctionCall2(timestamp_scale,
																values[t->link.nkeys],
																Int32GetDatum(t->valuetypmod));
				break;
		}
		nulls[t->link.nkeys] = ' ';

		ormt_become_owner(t->link.parent_owner, &save);
		if (t->kind == ORMT_APPLY_TOUCH)
			touching = t;
		PG_TRY();
		{
			rc = SPI_execute_plan(t->plan, values, nulls, false, 0);
		}
		PG_FINALLY();
		{
			touching = NULL;
		}
		PG_END_TRY();
		ormt_restore_user(&save);
		if (rc != SPI_OK_UPDATE)
			elog(ERROR, "orm_triggers: update of the parent of trigger \"%s\" failed: %s",
				 t->tgname, SPI_result_code_string(rc));
	}

	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	if (snapshot_pushed)
		PopActiveSnapshot();
}

/*
 * A new item for target with the given parent key (copied), in memory
 * of cxt.  The caller sets its value.
 */
ParentItem *
ormt_parent_item(MemoryContext cxt, OrmtParentTarget *t, const Datum *keys)
{
	const OrmtParentLink *link = &t->link;
	ParentItem *it;
	MemoryContext old = MemoryContextSwitchTo(cxt);

	it = palloc(offsetof(ParentItem, keys) + sizeof(Datum) * link->nkeys);
	it->target = t;
	it->subxid = InvalidSubTransactionId;
	it->depth = 0;
	it->count = 0;
	it->sum = (Datum) 0;
	for (int k = 0; k < link->nkeys; k++)
		it->keys[k] = link->keybyval[k] ? keys[k] :
			datumCopy(keys[k], false, link->keylen[k]);
	MemoryContextSwitchTo(old);
	return it;
}

void
ormt_parent_item_set_count(ParentItem *it, int64 count)
{
	it->count = count;
}

void
ormt_parent_item_set_sum(MemoryContext cxt, ParentItem *it, Datum sum)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);

	it->sum = datumCopy(sum, false, -1);
	MemoryContextSwitchTo(old);
}

/* Free an item made by ormt_parent_item that was merged into another. */
static void
item_free(ParentItem *it)
{
	for (int k = 0; k < it->target->link.nkeys; k++)
		if (!it->target->link.keybyval[k])
			pfree(DatumGetPointer(it->keys[k]));
	if (it->target->kind == ORMT_APPLY_ADD_NUMERIC && it->sum != (Datum) 0)
		pfree(DatumGetPointer(it->sum));
	pfree(it);
}

/*
 * Take the items of subtransaction subxid made deeper than depth (all
 * items when subxid is invalid) off batch b.
 */
static ParentItem **
batch_take(ParentBatch *b, SubTransactionId subxid, int depth, int *n)
{
	ParentItem **taken;
	int			kept = 0;

	taken = palloc(sizeof(ParentItem *) * Max(b->n, 1));
	*n = 0;
	for (int i = 0; i < b->n; i++)
	{
		if (subxid == InvalidSubTransactionId ||
			(b->items[i]->subxid == subxid && b->items[i]->depth > depth))
			taken[(*n)++] = b->items[i];
		else
			b->items[kept++] = b->items[i];
	}
	b->n = kept;
	return taken;
}

/*
 * Apply the items of batch kind that were made in the current
 * subtransaction by the statement that just ended, that is deeper than the
 * current nesting (every item when all is true).  They are taken off first:
 * triggers on the parent may add new ones while these are applied, and an
 * error leaves nothing behind.
 */
static void
batch_flush_deeper(OrmtBatchKind kind, bool all, int depth)
{
	ParentBatch *b = &batches[kind];
	MemoryContext cxt = b->cxt;
	ParentItem **taken;
	int			n;

	if (b->n == 0)
		return;
	taken = batch_take(b, all ? InvalidSubTransactionId : GetCurrentSubTransactionId(),
					   depth, &n);
	if (n == 0)
		return;
	if (b->n == 0)
		memset(b, 0, sizeof(*b));	/* new items go to a new context */
	else
		cxt = NULL;				/* still in use by the items left */
	ormt_parent_apply(taken, n);
	if (cxt != NULL)
		MemoryContextDelete(cxt);
	else
	{
		/* the items applied, in the context the others still use */
		for (int i = 0; i < n; i++)
			item_free(taken[i]);
	}
	pfree(taken);
}

/*
 * At the end of a query or utility command: its own items.  Not while an
 * enclosing query is still running (the query ended inside a BEFORE
 * trigger or a function that query calls): the enclosing query may yet
 * modify the parent rows (a self-referencing table), and PostgreSQL
 * forbids changing rows the running command will change.  Those items wait
 * for the end of the enclosing query.
 */
static void
batch_flush(OrmtBatchKind kind, bool all)
{
	if (!all && runs > 0)
		return;
	batch_flush_deeper(kind, all, nesting);
}

static int
item_qsort_cmp_batch(const void *a, const void *b)
{
	const ParentItem *x = *(ParentItem *const *) a;
	const ParentItem *y = *(ParentItem *const *) b;

	if (x->subxid != y->subxid)
		return x->subxid < y->subxid ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return item_compare(x, y);
}

/* Merge the items of batch b that go to one write (in its context). */
static void
batch_compact(ParentBatch *b)
{
	MemoryContext old = MemoryContextSwitchTo(b->cxt);
	int			kept = 0;

	qsort(b->items, b->n, sizeof(ParentItem *), item_qsort_cmp_batch);
	for (int i = 0; i < b->n; i++)
	{
		ParentItem *last = kept > 0 ? b->items[kept - 1] : NULL;
		ParentItem *it = b->items[i];

		if (last != NULL && last->subxid == it->subxid && last->depth == it->depth &&
			item_compare(last, it) == 0)
		{
			Datum		oldsum = last->sum;

			item_merge(last, it);
			if (last->target->kind == ORMT_APPLY_ADD_NUMERIC)
				pfree(DatumGetPointer(oldsum));
			item_free(it);
		}
		else
			b->items[kept++] = it;
	}
	b->n = kept;
	b->compact_at = Max(PARENT_BATCH_COMPACT, 2 * kept);
	MemoryContextSwitchTo(old);
}

/*
 * Keep an item for batch kind.  The item must have been made with
 * ormt_parent_batch_context(kind).
 */
void
ormt_parent_keep(OrmtBatchKind kind, ParentItem *it)
{
	ParentBatch *b = &batches[kind];
	ParentItem *last = b->n > 0 ? b->items[b->n - 1] : NULL;

	it->subxid = GetCurrentSubTransactionId();
	it->depth = nesting;
	/* a run of rows of one parent (a bulk insert in key order): merge */
	if (last != NULL && last->subxid == it->subxid && last->depth == it->depth &&
		last->target == it->target && item_compare(last, it) == 0)
	{
		MemoryContext old = MemoryContextSwitchTo(b->cxt);
		Datum		oldsum = last->sum;

		item_merge(last, it);
		if (last->target->kind == ORMT_APPLY_ADD_NUMERIC)
			pfree(DatumGetPointer(oldsum));
		item_free(it);
		MemoryContextSwitchTo(old);
		return;
	}
	if (b->n == b->cap)
	{
		MemoryContext old = MemoryContextSwitchTo(b->cxt);

		b->cap = b->cap ? b->cap * 2 : 64;
		b->items = b->items ? repalloc_huge(b->items, sizeof(ParentItem *) * b->cap) :
			palloc(sizeof(ParentItem *) * b->cap);
		MemoryContextSwitchTo(old);
	}
	b->items[b->n++] = it;
	if (b->n >= Max(b->compact_at, PARENT_BATCH_COMPACT))
		batch_compact(b);
	/* the statement's own items, made at this depth */
	if (kind == ORMT_BATCH_STATEMENT && b->n >= PARENT_BATCH_MAX_ITEMS)
		batch_flush_deeper(kind, false, nesting - 1);
}

/* The memory context items of batch kind are made in. */
MemoryContext
ormt_parent_batch_context(OrmtBatchKind kind)
{
	ParentBatch *b = &batches[kind];

	if (b->cxt == NULL)
		b->cxt = AllocSetContextCreate(TopTransactionContext,
									   "orm_triggers parent writes waiting",
									   ALLOCSET_DEFAULT_SIZES);
	return b->cxt;
}

static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* Outside a transaction block the top-level statement is the transaction. */
static inline void
flush_commit_batch_if_autocommit(void)
{
	if (nesting == 0 && batches[ORMT_BATCH_COMMIT].n > 0 && !IsTransactionBlock())
		batch_flush(ORMT_BATCH_COMMIT, true);
}

static void
pb_ExecutorRun(ORMT_EXECUTOR_RUN_PARAMS)
{
	nesting++;
	runs++;
	PG_TRY();
	{
		if (prev_ExecutorRun)
			prev_ExecutorRun(ORMT_EXECUTOR_RUN_ARGS);
		else
			standard_ExecutorRun(ORMT_EXECUTOR_RUN_ARGS);
	}
	PG_FINALLY();
	{
		nesting--;
		runs--;
	}
	PG_END_TRY();
}

static void
pb_ExecutorFinish(QueryDesc *queryDesc)
{
	nesting++;
	PG_TRY();
	{
		if (prev_ExecutorFinish)
			prev_ExecutorFinish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_FINALLY();
	{
		nesting--;
	}
	PG_END_TRY();
	batch_flush(ORMT_BATCH_STATEMENT, false);
	flush_commit_batch_if_autocommit();
}

static void
pb_ProcessUtility(ORMT_PROCESS_UTILITY_PARAMS)
{
	Node	   *stmt = pstmt->utilityStmt;
	bool		is_xact = IsA(stmt, TransactionStmt);

	if (is_xact && !IsAbortedTransactionBlockState())
	{
		TransactionStmtKind k = ((TransactionStmt *) stmt)->kind;

		if (k == TRANS_STMT_COMMIT || k == TRANS_STMT_PREPARE)
			batch_flush(ORMT_BATCH_COMMIT, true);
	}
	nesting++;
	PG_TRY();
	{
		if (prev_ProcessUtility)
			prev_ProcessUtility(ORMT_PROCESS_UTILITY_ARGS);
		else
			standard_ProcessUtility(ORMT_PROCESS_UTILITY_ARGS);
	}
	PG_FINALLY();
	{
		nesting--;
	}
	PG_END_TRY();
	if (!is_xact && IsTransactionState())
	{
		/* COPY fires its AFTER ROW triggers without an executor end */
		batch_flush(ORMT_BATCH_STATEMENT, false);
		flush_commit_batch_if_autocommit();
	}
}

static void
pb_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			batch_flush(ORMT_BATCH_STATEMENT, true);
			batch_flush(ORMT_BATCH_COMMIT, true);
			batch_flush(ORMT_BATCH_STATEMENT, true);
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			/* not nesting: a procedure's COMMIT happens inside CALL */
			batch_forget(&batches[0]);
			batch_forget(&batches[1]);
			break;
	}
}

static void
pb_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					SubTransactionId parentSubid, void *arg pg_attribute_unused())
{
	for (int k = 0; k < 2; k++)
	{
		ParentBatch *b = &batches[k];

		if (b->n == 0)
			continue;
		if (event == SUBXACT_EVENT_COMMIT_SUB)
		{
			for (int i = 0; i < b->n; i++)
				if (b->items[i]->subxid == mySubid)
					b->items[i]->subxid = parentSubid;
		}
		else if (event == SUBXACT_EVENT_ABORT_SUB)
		{
			int			kept = 0;

			/* no allocation while aborting: compact in place */
			for (int i = 0; i < b->n; i++)
				if (b->items[i]->subxid != mySubid)
					b->items[kept++] = b->items[i];
			b->n = kept;
		}
	}
}

void
ormt_parent_batch_init(void)
{
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = pb_ExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = pb_ExecutorFinish;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = pb_ProcessUtility;
	RegisterXactCallback(pb_xact_callback, NULL);
	RegisterSubXactCallback(pb_subxact_callback, NULL);
}
