/*-------------------------------------------------------------------------
 *
 * stmt_batch.c
 *		Work that row triggers keep until the end of their statement, and
 *		the executor hooks and transaction callbacks that finish it: one
 *		mechanism, which features register a batch with (audit's waiting
 *		log entries are the first).
 *
 * AFTER ROW triggers fire one after another at the end of the statement
 * (AfterTriggerEndQuery, from ExecutorFinish or COPY).  A feature that
 * would rather do its work once per statement than once per fire (write
 * its rows together, apply a sum once per parent) keeps it in a batch and
 * lets this file say when to finish it.  The rules that keep this exact:
 *
 * - A batch keeps work only of the subtransaction that made it, and of one
 *   command (ormt_stmt_batch_begin flushes it when a later command starts
 *   keeping, and refuses, returning false, in another subtransaction: the
 *   caller then does its work at once, leaving the batch as it is).
 * - Every query (ExecutorStart) and utility command (ProcessUtility) that
 *   starts in that subtransaction flushes it first, so that whatever the
 *   query or command reads (a trigger or function reading the log, COPY,
 *   TRUNCATE, SAVEPOINT) sees every change before it; so does the end of
 *   the statement's executor (ExecutorFinish, after its AFTER triggers).
 * - A subtransaction that commits hands it to its parent; one that aborts,
 *   or the transaction's abort, drops it (forget) with the changes it
 *   describes; commit and PREPARE flush whatever is left (after deferred
 *   triggers, before the commit record).
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/executor.h"
#include "tcop/utility.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "orm_triggers.h"

static OrmtStmtBatch *batches = NULL;	/* every registered batch */

/* Register a batch (a static of the feature's), once per backend. */
void
ormt_stmt_batch_register(OrmtStmtBatch *batch)
{
	Assert(batch->flush != NULL && batch->forget != NULL);
	if (batch->registered)
		return;
	batch->registered = true;
	batch->active = false;
	batch->cxt = NULL;
	batch->next = batches;
	batches = batch;
}

/*
 * About to keep work in batch: returns false when it holds work of another
 * subtransaction (do this work at once instead).  Otherwise the batch is
 * active, for the current subtransaction and command, and batch->cxt (a
 * child of TopTransactionContext) is where to keep it.
 */
bool
ormt_stmt_batch_begin(OrmtStmtBatch *batch)
{
	SubTransactionId subxid = GetCurrentSubTransactionId();
	CommandId	cid = GetCurrentCommandId(true);

	Assert(batch->registered);
	if (batch->active && batch->subxid != subxid)
		return false;
	if (batch->active && batch->cid != cid)
		ormt_stmt_batch_flush(batch);
	if (!batch->active)
	{
		if (batch->cxt == NULL)
		{
			batch->cxt = AllocSetContextCreate(TopTransactionContext,
											   "orm_triggers statement batch",
											   ALLOCSET_DEFAULT_SIZES);
			MemoryContextSetIdentifier(batch->cxt, batch->name);
		}
		batch->subxid = subxid;
		batch->cid = cid;
		batch->active = true;
	}
	return true;
}

/*
 * Finish the batch's work now.  It is marked done first, so that an error
 * while flushing leaves nothing to flush again; the flush callback takes
 * its work off the same way.  With no snapshot active (at commit, or
 * before SAVEPOINT or PREPARE) one is pushed for it: the heap wants one.
 */
void
ormt_stmt_batch_flush(OrmtStmtBatch *batch)
{
	bool		snapshot_pushed = false;

	if (!batch->active)
		return;
	batch->active = false;
	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		snapshot_pushed = true;
	}
	batch->flush(batch);
	if (snapshot_pushed)
		PopActiveSnapshot();
	if (batch->cxt != NULL)
		MemoryContextReset(batch->cxt);
}

/* Flush every batch holding work of the current subtransaction. */
static void
flush_here(void)
{
	SubTransactionId subxid;

	if (batches == NULL)
		return;
	subxid = GetCurrentSubTransactionId();
	for (OrmtStmtBatch *b = batches; b != NULL; b = b->next)
		if (b->active && b->subxid == subxid)
			ormt_stmt_batch_flush(b);
}

static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* A query that starts sees the work of the statements before it done. */
static void
batch_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	flush_here();
	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/* AFTER ROW triggers fire in here: their work waits, then is done at once. */
static void
batch_ExecutorFinish(QueryDesc *queryDesc)
{
	if (prev_ExecutorFinish)
		prev_ExecutorFinish(queryDesc);
	else
		standard_ExecutorFinish(queryDesc);
	flush_here();
}

/* So does a utility command (COPY, TRUNCATE, SAVEPOINT, ...). */
static void
batch_ProcessUtility(ORMT_PROCESS_UTILITY_PARAMS)
{
	flush_here();
	if (prev_ProcessUtility)
		prev_ProcessUtility(ORMT_PROCESS_UTILITY_ARGS);
	else
		standard_ProcessUtility(ORMT_PROCESS_UTILITY_ARGS);
}

static void
batch_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	for (OrmtStmtBatch *b = batches; b != NULL; b = b->next)
	{
		switch (event)
		{
			case XACT_EVENT_PRE_COMMIT:
			case XACT_EVENT_PARALLEL_PRE_COMMIT:
			case XACT_EVENT_PRE_PREPARE:
				ormt_stmt_batch_flush(b);
				break;
			case XACT_EVENT_COMMIT:
			case XACT_EVENT_PARALLEL_COMMIT:
			case XACT_EVENT_ABORT:
			case XACT_EVENT_PARALLEL_ABORT:
			case XACT_EVENT_PREPARE:
				/* TopTransactionContext is gone or going: forget, never free */
				if (b->active)
					b->forget(b);
				b->active = false;
				b->cxt = NULL;
				break;
		}
	}
}

static void
batch_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg pg_attribute_unused())
{
	for (OrmtStmtBatch *b = batches; b != NULL; b = b->next)
	{
		if (!b->active || b->subxid != mySubid)
			continue;
		if (event == SUBXACT_EVENT_COMMIT_SUB)
			b->subxid = parentSubid;
		else if (event == SUBXACT_EVENT_ABORT_SUB)
		{
			b->forget(b);
			b->active = false;
			MemoryContextReset(b->cxt);
		}
	}
}

/* From _PG_init: the hooks and callbacks, once for every batch. */
void
ormt_stmt_batch_init(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = batch_ExecutorStart;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = batch_ExecutorFinish;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = batch_ProcessUtility;
	RegisterXactCallback(batch_xact_callback, NULL);
	RegisterSubXactCallback(batch_subxact_callback, NULL);
}
