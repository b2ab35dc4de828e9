/*-------------------------------------------------------------------------
 *
 * audit_batch.c
 *		Entries of audit's row form waiting for the end of their statement,
 *		and the executor hooks and transaction callbacks that write them.
 *
 * AFTER ROW triggers fire one after another at the end of the statement
 * (AfterTriggerEndQuery, from ExecutorFinish or COPY).  Rather than one
 * heap insert per fire, the row form keeps its entries here and writes
 * them together (audit_heap.c, AUDIT_MULTI_ROWS at a time), as the
 * statement form does: when the statement's ExecutorFinish returns, or
 * before anything else can look at the log.  The rules that keep this
 * exact:
 *
 * - Entries wait only in the subtransaction that made them.  Ids are taken
 *   when an entry is kept, so the log's order is the order of the changes
 *   whatever the order of the writes.  They are written as of the command
 *   that made them (its command id), so a query whose snapshot was taken
 *   after that command sees them, although it writes them itself in
 *   ExecutorStart (after its snapshot was taken).
 * - Every query (ExecutorStart) and utility command (ProcessUtility) that
 *   starts in that subtransaction writes them first: a trigger or function
 *   that reads the log, COPY, TRUNCATE, SAVEPOINT all see every change
 *   before them.  A fire in another subtransaction (another trigger's
 *   EXCEPTION block) writes its entry at once and leaves them waiting.
 * - A subtransaction that commits hands them to its parent; one that
 *   aborts, or the transaction's abort, drops them with the changes they
 *   describe; commit and PREPARE write any still waiting (after deferred
 *   triggers, before the commit record).
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "tcop/utility.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "audit.h"

/* Entries, or bytes of their values, after which they are written. */
#define AUDIT_PENDING_ROWS 1000
#define AUDIT_PENDING_BYTES (8 * 1024 * 1024)

typedef struct AuditPending
{
	MemoryContext cxt;			/* child of TopTransactionContext, or NULL */
	SubTransactionId subxid;	/* where the entries were made */
	CommandId	cid;			/* and in which command */
	AuditTarget target;
	int			n;
	int			cap;
	Size		bytes;
	Datum	   *values;			/* n * AUDIT_NPARAMS */
	bool	   *nulls;
	int64	   *ids;
} AuditPending;

static AuditPending pending;

static void
pending_forget(void)
{
	if (pending.cxt != NULL)
		MemoryContextDelete(pending.cxt);
	memset(&pending, 0, sizeof(pending));
}

/*
 * Write the waiting entries.  The batch is taken off first, so that an
 * error while writing leaves nothing behind.
 */
static void
flush_pending(void)
{
	AuditPending p = pending;
	bool		snapshot_pushed = false;

	if (p.n == 0)
		return;
	memset(&pending, 0, sizeof(pending));

	/*
	 * At commit, and before utility commands that take none (SAVEPOINT,
	 * PREPARE), no snapshot is active; the heap wants one (TOAST).
	 */
	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		snapshot_pushed = true;
	}
	ormt_audit_log_write_kept(&p.target, p.n, p.values, p.nulls, p.ids, p.cid);
	if (snapshot_pushed)
		PopActiveSnapshot();
	MemoryContextDelete(p.cxt);
}

/* Flush when the entries waiting were made in the current subtransaction. */
static inline void
flush_here(void)
{
	if (pending.n > 0 && pending.subxid == GetCurrentSubTransactionId())
		flush_pending();
}

/*
 * Keep one entry of the row form, for log t (which audit_heap.c writes).
 * Returns false when it cannot wait (entries of another subtransaction are
 * waiting): the caller writes it at once.
 */
bool
ormt_audit_keep(const AuditTarget *t, const AuditRow *row)
{
	SubTransactionId subxid = GetCurrentSubTransactionId();
	CommandId	cid = GetCurrentCommandId(true);
	MemoryContext old;
	int			r;
	Datum	   *values;
	bool	   *nulls;

	Assert(t->direct);
	if (pending.n > 0 &&
		(pending.subxid != subxid || pending.cid != cid ||
		 !ormt_audit_target_equal(&pending.target, t)))
	{
		if (pending.subxid != subxid)
			return false;
		flush_pending();
	}
	if (pending.cxt == NULL)
	{
		pending.cxt = AllocSetContextCreate(TopTransactionContext,
											"orm_triggers audit rows waiting",
											ALLOCSET_DEFAULT_SIZES);
		pending.subxid = subxid;
		pending.cid = cid;
		pending.target = *t;
	}
	old = MemoryContextSwitchTo(pending.cxt);
	if (pending.n == pending.cap)
	{
		pending.cap = pending.cap ? pending.cap * 2 : 64;
		pending.values = pending.values ?
			repalloc(pending.values, sizeof(Datum) * AUDIT_NPARAMS * pending.cap) :
			palloc(sizeof(Datum) * AUDIT_NPARAMS * pending.cap);
		pending.nulls = pending.nulls ?
			repalloc(pending.nulls, sizeof(bool) * AUDIT_NPARAMS * pending.cap) :
			palloc(sizeof(bool) * AUDIT_NPARAMS * pending.cap);
		pending.ids = pending.ids ?
			repalloc(pending.ids, sizeof(int64) * pending.cap) :
			palloc(sizeof(int64) * pending.cap);
	}
	r = pending.n;
	values = pending.values + r * AUDIT_NPARAMS;
	nulls = pending.nulls + r * AUDIT_NPARAMS;
	for (int p = 0; p < AUDIT_NPARAMS; p++)
	{
		Datum	   *prev = r > 0 ? values - AUDIT_NPARAMS : NULL;

		nulls[p] = row->nulls[p];
		values[p] = (Datum) 0;
		if (row->nulls[p])
			continue;
		/* the shared values: the previous entry's copy when the same */
		if (prev != NULL && p < AUDIT_FIRST_PER_ROW && !nulls[p - AUDIT_NPARAMS] &&
			ormt_audit_param_equal(p, row->values[p], prev[p]))
			values[p] = prev[p];
		else
			ormt_audit_param_copy(p, row->values[p], &values[p], &pending.bytes);
	}
	MemoryContextSwitchTo(old);
	pending.ids[r] = nextval_internal(t->seq_relid, false);
	pending.n++;
	if (pending.n >= AUDIT_PENDING_ROWS || pending.bytes >= AUDIT_PENDING_BYTES)
		flush_pending();
	return true;
}

static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* A query that starts sees the log complete: write what waits. */
static void
audit_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	flush_here();
	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/* AFTER ROW triggers fire in here: their entries wait, then go in together. */
static void
audit_ExecutorFinish(QueryDesc *queryDesc)
{
	if (prev_ExecutorFinish)
		prev_ExecutorFinish(queryDesc);
	else
		standard_ExecutorFinish(queryDesc);
	flush_here();
}

/* So does a utility command (COPY, TRUNCATE, SAVEPOINT, ...). */
static void
audit_ProcessUtility(ORMT_PROCESS_UTILITY_PARAMS)
{
	flush_here();
	if (prev_ProcessUtility)
		prev_ProcessUtility(ORMT_PROCESS_UTILITY_ARGS);
	else
		standard_ProcessUtility(ORMT_PROCESS_UTILITY_ARGS);
}

static void
audit_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			flush_pending();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			/* TopTransactionContext is gone or going: forget, never free */
			memset(&pending, 0, sizeof(pending));
			break;
	}
}

static void
audit_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg pg_attribute_unused())
{
	if (pending.n == 0 || pending.subxid != mySubid)
		return;
	if (event == SUBXACT_EVENT_COMMIT_SUB)
		pending.subxid = parentSubid;
	else if (event == SUBXACT_EVENT_ABORT_SUB)
		pending_forget();
}

/* From _PG_init: the hooks and callbacks that write what waits. */
void
ormt_audit_init(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = audit_ExecutorStart;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = audit_ExecutorFinish;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = audit_ProcessUtility;
	RegisterXactCallback(audit_xact_callback, NULL);
	RegisterSubXactCallback(audit_subxact_callback, NULL);
}
