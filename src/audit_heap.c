/*-------------------------------------------------------------------------
 *
 * audit_heap.c
 *		The audit log's write without SPI: heap tuples formed from the
 *		entries' values, inserted up to AUDIT_MULTI_ROWS at a time by
 *		heap_multi_insert, and their index entries made by the executor's
 *		own ExecInsertIndexTuples.
 *
 * This is what COPY FROM does for a plain table (copyfrom.c,
 * CopyMultiInsertBufferFlush: table_multi_insert, then
 * ExecInsertIndexTuples for each slot, between ExecOpenIndices and
 * ExecCloseIndices), for a table that nothing but our columns, their NOT
 * NULLs and indexes on columns make up: no triggers, rules, CHECK
 * constraints, row security, generated, expression or exclusion columns
 * and indexes, other table access methods.  Whatever the access method of
 * an index needs per statement (BRIN's revmap buffer in ii_AmCache,
 * released by index_insert_cleanup since PostgreSQL 17) is set up and
 * released by the executor's routines, so the path keeps no copy of core
 * code that a new major version can break.  Then an entry costs a heap
 * insert and its index inserts, not an executor start-up; when the log
 * is anything else, audit_log.c writes through SPI.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "nodes/execnodes.h"
#include "utils/memutils.h"

#include "audit.h"

/* Rows per heap_multi_insert call (as COPY buffers them). */
#define AUDIT_MULTI_ROWS 1000

/*
 * Can the log be written here: nothing that needs the executor's full
 * insert path (checked when the entry is built and again at each write,
 * under the write's lock; a change to the log also invalidates the entry).
 */
static bool
log_is_plain(Relation rel, const AuditTarget *t)
{
	TupleDesc	desc = RelationGetDescr(rel);

	return rel->rd_rel->relam == HEAP_TABLE_AM_OID &&
		rel->rd_rel->relkind == RELKIND_RELATION &&
		rel->trigdesc == NULL && rel->rd_rules == NULL &&
		!rel->rd_rel->relrowsecurity &&
		!(desc->constr && desc->constr->num_check > 0) &&
		desc->natts == t->log_natts;
}

/* Is an index one the write may maintain: on columns, no exclusion? */
static bool
index_is_plain(Relation idx)
{
	return heap_attisnull(idx->rd_indextuple, Anum_pg_index_indexprs, NULL) &&
		!idx->rd_index->indisexclusion;
}

/*
 * When the entry is built (rel open, t's columns found): may the log be
 * written here?  Also no generated column among ours.
 */
bool
ormt_audit_heap_usable(Relation rel, AuditTarget *t)
{
	List	   *indexes;
	ListCell   *lc;
	bool		plain = log_is_plain(rel, t);

	for (int p = 0; plain && p < AUDIT_NPARAMS; p++)
		if (TupleDescAttr(RelationGetDescr(rel), t->attnum[p] - 1)->attgenerated)
			plain = false;
	if (!plain)
		return false;
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	idx = index_open(lfirst_oid(lc), AccessShareLock);

		plain = index_is_plain(idx);
		index_close(idx, AccessShareLock);
		if (!plain)
			break;
	}
	list_free(indexes);
	return plain;
}

/*
 * Slots for heap_multi_insert, kept from one write to the next: making a
 * thousand slots per write (each pinning the relcache's descriptor in the
 * resource owner) costs as much as filling them.  They hold a copy of the
 * log's descriptor, not a pin on the relcache's, and are made again when
 * the log's row type changes.
 */
static MemoryContext slot_cxt = NULL;
static TupleDesc slot_desc = NULL;
static TupleTableSlot **slot_ring = NULL;
static int	slot_count = 0;

static TupleTableSlot **
log_slots(TupleDesc desc, int n)
{
	MemoryContext old;

	if (slot_desc != NULL && slot_count >= n && equalTupleDescs(slot_desc, desc))
		return slot_ring;
	if (slot_cxt == NULL)
		slot_cxt = AllocSetContextCreate(TopMemoryContext, "orm_triggers audit slots",
										 ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(slot_cxt);
	slot_desc = NULL;
	old = MemoryContextSwitchTo(slot_cxt);
	n = Max(n, Min(AUDIT_MULTI_ROWS, 64));
	slot_ring = palloc(sizeof(TupleTableSlot *) * n);
	slot_desc = CreateTupleDescCopy(desc);
	for (int i = 0; i < n; i++)
		slot_ring[i] = MakeTupleTableSlot(slot_desc, &TTSOpsHeapTuple);
	slot_count = n;
	MemoryContextSwitchTo(old);
	return slot_ring;
}

/*
 * Write n entries: for each, an id (given, or from the identity sequence),
 * one heap tuple and its index entries (unique ones checked), as of
 * command cid (the one that made the changes they describe).  Returns
 * false, having written nothing, when the log changed since the entry was
 * built so that it needs the executor.  Runs as the caller set the user
 * (the log's owner).
 */
bool
ormt_audit_heap_insert(const AuditTarget *t, int n, AuditRowFn getrow,
					   void *arg, CommandId cid)
{
	Relation	rel = table_open(t->log_relid, RowExclusiveLock);
	TupleDesc	desc = RelationGetDescr(rel);
	int			chunk = Min(n, AUDIT_MULTI_ROWS);
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot **slots;
	Datum	   *values;
	bool	   *nulls;
	BulkInsertState bistate;
	MemoryContext chunkcxt;
	MemoryContext old;

	Assert(n > 0);
	Assert(t->direct);

	/*
	 * The entry was checked before the lock was taken: a change committed in
	 * between (a trigger, rule, column or index added) is seen only now.
	 */
	if (!log_is_plain(rel, t))
	{
		table_close(rel, NoLock);
		return false;
	}
	/* the ResultRelInfo and its IndexInfos live as long as the EState */
	estate = CreateExecutorState();
	old = MemoryContextSwitchTo(estate->es_query_cxt);
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	ExecOpenIndices(rri, false);
	MemoryContextSwitchTo(old);
	for (int x = 0; x < rri->ri_NumIndices; x++)
	{
		if (!index_is_plain(rri->ri_IndexRelationDescs[x]))
		{
			ExecCloseIndices(rri);
			FreeExecutorState(estate);
			table_close(rel, NoLock);
			return false;
		}
	}

	chunkcxt = AllocSetContextCreate(CurrentMemoryContext, "orm_triggers audit write",
									 ALLOCSET_DEFAULT_SIZES);
	slots = log_slots(desc, chunk);
	for (int i = 0; i < chunk; i++)
		ExecClearTuple(slots[i]);	/* left full by an error in a write */
	values = palloc(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	bistate = GetBulkInsertState();

	for (int start = 0; start < n; start += chunk)
	{
		int			m = Min(chunk, n - start);

		old = MemoryContextSwitchTo(chunkcxt);
		for (int i = 0; i < m; i++)
		{
			AuditRow	row;
			int64		id = 0;

			/* dropped columns stay NULL */
			for (int a = 0; a < desc->natts; a++)
				nulls[a] = true;
			getrow(arg, start + i, &row, &id);
			for (int p = 0; p < AUDIT_NPARAMS; p++)
			{
				int			a = t->attnum[p] - 1;

				values[a] = row.values[p];
				nulls[a] = row.nulls[p];
			}
			if (id == 0)
				id = nextval_internal(t->seq_relid, false);
			values[t->id_attnum - 1] = Int64GetDatum(id);
			nulls[t->id_attnum - 1] = false;
			/* formed where the slot lives, and freed by it */
			MemoryContextSwitchTo(slot_cxt);
			ExecStoreHeapTuple(heap_form_tuple(desc, values, nulls), slots[i], true);
			MemoryContextSwitchTo(chunkcxt);
		}
		MemoryContextSwitchTo(old);

		heap_multi_insert(rel, slots, m, cid, 0, bistate);

		for (int i = 0; i < m; i++)
		{
			List	   *recheck;

			recheck = ormt_insert_index_tuples(rri, slots[i], estate);
			Assert(recheck == NIL); /* no deferred or exclusion constraint */
			list_free(recheck);
			ResetPerTupleExprContext(estate);
			ExecClearTuple(slots[i]);
		}
		MemoryContextReset(chunkcxt);
	}

	FreeBulkInsertState(bistate);
	ExecCloseIndices(rri);
	FreeExecutorState(estate);
	MemoryContextDelete(chunkcxt);
	table_close(rel, NoLock);
	return true;
}
