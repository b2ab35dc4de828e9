/*-------------------------------------------------------------------------
 *
 * versioning_write.c
 *		Writing history rows without the executor: a heap insert and an
 *		entry in each index of the history table, for versioning.c.
 *
 * A history table that is written row by row (a BEFORE ROW trigger) is
 * kept open, with its indexes and their IndexInfos (and the per-index
 * state an access method keeps in ii_AmCache, such as GiST's, which costs
 * more to build than an insert), from its first row to the next utility
 * command or the end of the transaction, whichever comes first:
 *
 * - while it is open, its relcache entries cannot go away (they are
 *   referenced) and cannot change: the writes hold RowExclusiveLock, which
 *   conflicts with every DDL of another session, and DDL of this session
 *   is a utility command, before which the ProcessUtility hook closes it
 *   (so that ALTER, DROP or TRUNCATE of history in the same transaction
 *   find it unused);
 * - the references belong to the transaction's resource owner, not to the
 *   statement's, and are closed at pre-commit / pre-prepare; an abort of
 *   the transaction releases them with its resource owner, and an abort of
 *   a subtransaction closes them (history may have been created in it).
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
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_index.h"
#include "nodes/execnodes.h"
#include "tcop/utility.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"

#include "orm_triggers.h"

/* History tables kept open at once. */
#define HISTORY_WRITERS 4
/* Indexes of a history table the direct write maintains at most. */
#define HISTORY_MAX_INDEXES 16

typedef struct HistoryWriter
{
	Oid			relid;			/* InvalidOid: a free slot */
	bool		usable;			/* false: an index needs the executor */
	Relation	rel;
	int			nindexes;
	Relation	indexes[HISTORY_MAX_INDEXES];
	IndexInfo  *infos[HISTORY_MAX_INDEXES];
	MemoryContext cxt;			/* IndexInfos and AM state; under
								 * TopTransactionContext */
} HistoryWriter;

static HistoryWriter writers[HISTORY_WRITERS];
static int	nopen = 0;			/* slots in use */
static int	next_victim = 0;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* Close one writer (release: its relations are still referenced). */
static void
writer_close(HistoryWriter *w, bool release)
{
	if (!OidIsValid(w->relid))
		return;
	if (release && w->usable)
	{
		/* the references are the transaction's (see writer_get) */
		ResourceOwner saveowner = CurrentResourceOwner;

		CurrentResourceOwner = TopTransactionResourceOwner;
		for (int i = 0; i < w->nindexes; i++)
			index_close(w->indexes[i], NoLock);
		table_close(w->rel, NoLock);
		CurrentResourceOwner = saveowner;
	}
	if (release && w->cxt != NULL)
		MemoryContextDelete(w->cxt);
	w->relid = InvalidOid;
	w->rel = NULL;
	w->nindexes = 0;
	w->cxt = NULL;
	nopen--;
}

static void
close_all(bool release)
{
	if (nopen == 0)
		return;
	for (int i = 0; i < HISTORY_WRITERS; i++)
		writer_close(&writers[i], release);
	nopen = 0;
}

static void
writer_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			close_all(true);
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			/* the resource owner releases them; the memory goes too */
			close_all(false);
			break;
		default:
			break;
	}
}

static void
writer_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		close_all(true);
}

static void
writer_ProcessUtility(ORMT_PROCESS_UTILITY_PARAMS)
{
	close_all(true);
	if (prev_ProcessUtility)
		prev_ProcessUtility(ORMT_PROCESS_UTILITY_ARGS);
	else
		standard_ProcessUtility(ORMT_PROCESS_UTILITY_ARGS);
}

void
ormt_history_writer_init(void)
{
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = writer_ProcessUtility;
	RegisterXactCallback(writer_xact_callback, NULL);
	RegisterSubXactCallback(writer_subxact_callback, NULL);
}

/* Can the direct write maintain this index?  Plain columns only. */
static bool
index_is_plain(Relation idx)
{
	return heap_attisnull(idx->rd_indextuple, Anum_pg_index_indexprs, NULL) &&
		heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL) &&
		!idx->rd_index->indisexclusion && idx->rd_index->indimmediate;
}

/* The open writer of relid, opening it (and evicting another) if need be. */
static HistoryWriter *
writer_get(Oid relid)
{
	HistoryWriter *volatile w = NULL;
	ResourceOwner saveowner;
	MemoryContext old;
	List	   *indexes;
	ListCell   *lc;

	for (int i = 0; i < HISTORY_WRITERS; i++)
		if (writers[i].relid == relid)
			return &writers[i];
	for (int i = 0; i < HISTORY_WRITERS && w == NULL; i++)
		if (!OidIsValid(writers[i].relid))
			w = &writers[i];
	if (w == NULL)
	{
		w = &writers[next_victim];
		next_victim = (next_victim + 1) % HISTORY_WRITERS;
		writer_close(w, true);
	}

	w->cxt = AllocSetContextCreate(TopTransactionContext, "orm_triggers history writer",
								   ALLOCSET_SMALL_SIZES);
	w->relid = relid;
	w->usable = false;
	w->nindexes = 0;
	nopen++;

	/* held until pre-commit, not until the end of the statement */
	saveowner = CurrentResourceOwner;
	CurrentResourceOwner = TopTransactionResourceOwner;
	PG_TRY();
	{
		w->rel = table_open(relid, RowExclusiveLock);
		indexes = RelationGetIndexList(w->rel);
		w->usable = list_length(indexes) <= HISTORY_MAX_INDEXES;
		foreach(lc, indexes)
		{
			Relation	idx;

			if (!w->usable)
				break;
			idx = index_open(lfirst_oid(lc), RowExclusiveLock);

			/*
			 * Index entries go in by index_insert() here and the indexes stay
			 * open across statements: an access method that keeps insert
			 * state until the executor's end-of-statement cleanup (BRIN from
			 * 17 on) goes through the planned INSERT instead.
			 */
			if (!index_is_plain(idx) || ormt_index_keeps_insert_state(idx))
			{
				index_close(idx, NoLock);
				w->usable = false;
				break;
			}
			old = MemoryContextSwitchTo(w->cxt);
			w->infos[w->nindexes] = BuildIndexInfo(idx);
			w->infos[w->nindexes]->ii_Context = w->cxt;
			MemoryContextSwitchTo(old);
			w->indexes[w->nindexes++] = idx;
		}
		list_free(indexes);
		if (!w->usable)
		{
			/* keep the verdict, not the relations (still the top owner) */
			for (int i = 0; i < w->nindexes; i++)
				index_close(w->indexes[i], NoLock);
			table_close(w->rel, NoLock);
			w->nindexes = 0;
			w->rel = NULL;
		}
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = saveowner;
	}
	PG_END_TRY();
	return w;
}

/*
 * Insert one row into history table relid: values[i] (nulls[i] == 'n' for
 * NULL) into attribute dest[i], every other attribute NULL.  Returns false,
 * having written nothing, when an index of the table needs the executor
 * (an expression, a predicate, an exclusion or a deferred constraint) or
 * when a NULL goes into a NOT NULL column: the caller then runs its
 * planned INSERT, which does it all or raises the error.  rowcxt is for
 * this row's allocations; the caller resets it.
 */
bool
ormt_history_write(Oid relid, int n, const AttrNumber *dest,
				   const Datum *values, const char *nulls, MemoryContext rowcxt)
{
	HistoryWriter *w = writer_get(relid);
	TupleDesc	desc;
	MemoryContext old;
	Datum	   *hv;
	bool	   *hn;
	HeapTuple	tup;

	if (!w->usable)
		return false;
	desc = RelationGetDescr(w->rel);
	old = MemoryContextSwitchTo(rowcxt);
	hv = palloc(sizeof(Datum) * desc->natts);
	hn = palloc(sizeof(bool) * desc->natts);
	for (int i = 0; i < desc->natts; i++)
		hn[i] = true;
	for (int i = 0; i < n; i++)
	{
		int			a = dest[i] - 1;

		Assert(a >= 0 && a < desc->natts);
		hv[a] = values[i];
		hn[a] = (nulls[i] == 'n');
	}
	for (int i = 0; i < desc->natts; i++)
	{
		if (hn[i] && TupleDescAttr(desc, i)->attnotnull)
		{
			MemoryContextSwitchTo(old);
			return false;
		}
	}
	tup = heap_form_tuple(desc, hv, hn);
	heap_insert(w->rel, tup, GetCurrentCommandId(true), 0, NULL);
	for (int x = 0; x < w->nindexes; x++)
	{
		Relation	idx = w->indexes[x];
		IndexInfo  *ii = w->infos[x];
		Datum		ivalues[INDEX_MAX_KEYS];
		bool		inulls[INDEX_MAX_KEYS];

		if (!idx->rd_index->indisready)
			continue;
		for (int c = 0; c < ii->ii_NumIndexAttrs; c++)
		{
			int			a = ii->ii_IndexAttrNumbers[c] - 1;

			ivalues[c] = hv[a];
			inulls[c] = hn[a];
		}
		index_insert(idx, ivalues, inulls, &tup->t_self, w->rel,
					 idx->rd_index->indisunique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO,
					 false, ii);
	}
	MemoryContextSwitchTo(old);
	return true;
}
