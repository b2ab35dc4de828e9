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
 * and indexes, other table access methods.  Then an entry costs a heap
 * insert and its index inserts, not an executor start-up; when the log is
 * anything else, audit_log.c writes through SPI.
 *
 * One step is our own: the IndexInfos of the log's indexes are built once
 * and kept (log_open_indexes mirrors ExecOpenIndices in execIndexing.c,
 * without its BuildIndexInfo calls), which saves a statement that writes
 * one entry about a tenth of audit's cost.  Each write gets fresh copies
 * of them; whatever an index access method keeps for the write in
 * ii_AmCache (BRIN pins its metapage and revmap) is released by the
 * executor's own ExecCloseIndices (index_insert_cleanup, PostgreSQL 17
 * on), so the path keeps no copy of core code that a new major version
 * can break.
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
#include "catalog/index.h"
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
 * The IndexInfos of the log's indexes as last seen, in a context of their
 * own: one log, so one set per backend.
 */
static MemoryContext index_cxt = NULL;
static int	index_count = -1;	/* -1: not known yet */
static Oid *index_oids = NULL;
static IndexInfo **index_infos = NULL;

/*
 * Are the IndexInfos kept those of the log's current indexes?  If not,
 * build them anew, unless an index is no longer plain (an expression or
 * exclusion index created since the entry was built): then return false,
 * and the caller writes through SPI instead.  Whether an index is ready
 * for inserts (CREATE INDEX CONCURRENTLY makes it so later) is read from
 * the open index at each write (log_open_indexes), never from here.
 */
static bool
log_index_infos(List *indexoids)
{
	int			n = list_length(indexoids);
	ListCell   *lc;
	int			k = 0;
	MemoryContext old;

	if (index_count == n)
	{
		foreach(lc, indexoids)
		{
			if (index_oids[k] != lfirst_oid(lc))
				break;
			k++;
		}
		if (k == n)
			return true;
	}

	index_count = -1;
	if (index_cxt == NULL)
		index_cxt = AllocSetContextCreate(TopMemoryContext, "orm_triggers audit_log indexes",
										  ALLOCSET_SMALL_SIZES);
	MemoryContextReset(index_cxt);
	old = MemoryContextSwitchTo(index_cxt);
	index_oids = palloc(sizeof(Oid) * Max(n, 1));
	index_infos = palloc(sizeof(IndexInfo *) * Max(n, 1));
	k = 0;
	foreach(lc, indexoids)
	{
		Relation	idx = index_open(lfirst_oid(lc), RowExclusiveLock);
		bool		plain = index_is_plain(idx);

		if (plain)
		{
			index_oids[k] = lfirst_oid(lc);
			index_infos[k] = BuildIndexInfo(idx);
		}
		index_close(idx, NoLock);
		if (!plain)
		{
			MemoryContextSwitchTo(old);
			return false;
		}
		k++;
	}
	MemoryContextSwitchTo(old);
	index_count = n;
	return true;
}

/*
 * ExecOpenIndices for rri with the IndexInfos kept: the indexes opened
 * with RowExclusiveLock, each with a copy of its IndexInfo in the current
 * memory context (the EState's), whose per-write state (ii_AmCache,
 * ii_PredicateState, ii_ExpressionsState) starts empty and whose
 * ii_ReadyForInserts is the index's now.  ExecCloseIndices closes them.
 */
static void
log_open_indexes(ResultRelInfo *rri)
{
	rri->ri_NumIndices = index_count;
	rri->ri_IndexRelationDescs = palloc(sizeof(Relation) * Max(index_count, 1));
	rri->ri_IndexRelationInfo = palloc(sizeof(IndexInfo *) * Max(index_count, 1));
	for (int x = 0; x < index_count; x++)
	{
		IndexInfo  *ii = palloc(sizeof(IndexInfo));

		*ii = *index_infos[x];
		ii->ii_AmCache = NULL;
		ii->ii_Context = CurrentMemoryContext;
		ii->ii_PredicateState = NULL;
		ii->ii_ExpressionsState = NIL;
		rri->ri_IndexRelationDescs[x] = index_open(index_oids[x], RowExclusiveLock);
		rri->ri_IndexRelationInfo[x] = ii;
		/* as BuildIndexInfo would read it now */
		ii->ii_ReadyForInserts = rri->ri_IndexRelationDescs[x]->rd_index->indisready;
	}
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
static TupleTableSlot *index_slot = NULL;	/* a row's values, for its index
											 * entries: nothing to deform */

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
	index_slot = MakeTupleTableSlot(slot_desc, &TTSOpsVirtual);
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
	List	   *indexoids;
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
	indexoids = RelationGetIndexList(rel);
	if (!log_is_plain(rel, t) || !log_index_infos(indexoids))
	{
		list_free(indexoids);
		table_close(rel, NoLock);
		return false;
	}
	list_free(indexoids);

	/* the ResultRelInfo and its IndexInfos live as long as the EState */
	estate = CreateExecutorState();
	old = MemoryContextSwitchTo(estate->es_query_cxt);
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	log_open_indexes(rri);
	MemoryContextSwitchTo(old);

	chunkcxt = AllocSetContextCreate(CurrentMemoryContext, "orm_triggers audit write",
									 ALLOCSET_DEFAULT_SIZES);
	slots = log_slots(desc, chunk);
	for (int i = 0; i < chunk; i++)
		ExecClearTuple(slots[i]);	/* left full by an error in a write */
	ExecClearTuple(index_slot);
	values = MemoryContextAlloc(estate->es_query_cxt, sizeof(Datum) * desc->natts * chunk);
	nulls = MemoryContextAlloc(estate->es_query_cxt, sizeof(bool) * desc->natts * chunk);
	bistate = GetBulkInsertState();

	for (int start = 0; start < n; start += chunk)
	{
		int			m = Min(chunk, n - start);

		old = MemoryContextSwitchTo(chunkcxt);
		for (int i = 0; i < m; i++)
		{
			Datum	   *v = values + i * desc->natts;
			bool	   *nl = nulls + i * desc->natts;
			AuditRow	row;
			int64		id = 0;

			/* dropped columns stay NULL */
			for (int a = 0; a < desc->natts; a++)
				nl[a] = true;
			getrow(arg, start + i, &row, &id);
			for (int p = 0; p < AUDIT_NPARAMS; p++)
			{
				int			a = t->attnum[p] - 1;

				v[a] = row.values[p];
				nl[a] = row.nulls[p];
			}
			if (id == 0)
				id = nextval_internal(t->seq_relid, false);
			v[t->id_attnum - 1] = Int64GetDatum(id);
			nl[t->id_attnum - 1] = false;
			/* formed where the slot lives, and freed by it */
			MemoryContextSwitchTo(slot_cxt);
			ExecStoreHeapTuple(heap_form_tuple(desc, v, nl), slots[i], true);
			MemoryContextSwitchTo(chunkcxt);
		}
		MemoryContextSwitchTo(old);

		heap_multi_insert(rel, slots, m, cid, 0, bistate);

		for (int i = 0; i < m; i++)
		{
			List	   *recheck;

			/* the row's values as they are, at the heap tuple's place */
			ExecClearTuple(index_slot);
			memcpy(index_slot->tts_values, values + i * desc->natts,
				   sizeof(Datum) * desc->natts);
			memcpy(index_slot->tts_isnull, nulls + i * desc->natts,
				   sizeof(bool) * desc->natts);
			ExecStoreVirtualTuple(index_slot);
			index_slot->tts_tid = slots[i]->tts_tid;
			index_slot->tts_tableOid = RelationGetRelid(rel);
			Assert(ItemPointerIsValid(&index_slot->tts_tid));
			recheck = ormt_insert_index_tuples(rri, index_slot, estate);
			Assert(recheck == NIL); /* no deferred or exclusion constraint */
			list_free(recheck);
			ResetPerTupleExprContext(estate);
			ExecClearTuple(slots[i]);
		}
		ExecClearTuple(index_slot);
		MemoryContextReset(chunkcxt);
	}

	FreeBulkInsertState(bistate);
	ExecCloseIndices(rri);
	FreeExecutorState(estate);
	MemoryContextDelete(chunkcxt);
	table_close(rel, NoLock);
	return true;
}
