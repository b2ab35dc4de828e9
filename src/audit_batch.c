/*-------------------------------------------------------------------------
 *
 * audit_batch.c
 *		Entries of audit's row form waiting for the end of their statement:
 *		a statement-end batch (stmt_batch.c) whose flush writes them all
 *		together.
 *
 * Rather than one heap insert per fire, the row form keeps its entries
 * here and audit_heap.c writes them together (up to AUDIT_PENDING_ROWS at
 * a time), as the statement form does; stmt_batch.c says when, so that
 * nothing can look at the log without them.  Ids are taken when an entry
 * is kept, so the log's order is the order of the changes whatever the
 * order of the writes.  Entries are written as of the command that made
 * them (the batch's command id), so a query whose snapshot was taken
 * after that command sees them, although it writes them itself in
 * ExecutorStart (after its snapshot was taken).  A fire in another
 * subtransaction (another trigger's EXCEPTION block) writes its entry at
 * once and leaves the others waiting.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/sequence.h"
#include "utils/memutils.h"

#include "audit.h"

/* Entries, or bytes of their values, after which they are written. */
#define AUDIT_PENDING_ROWS 1000
#define AUDIT_PENDING_BYTES (8 * 1024 * 1024)

/* The entries waiting, in batch.cxt. */
typedef struct AuditPending
{
	AuditTarget target;
	int			n;
	int			cap;
	Size		bytes;
	Datum	   *values;			/* n * AUDIT_NPARAMS */
	bool	   *nulls;
	int64	   *ids;
} AuditPending;

static AuditPending pending;

static void pending_flush(OrmtStmtBatch *batch);
static void pending_forget(OrmtStmtBatch *batch);

static OrmtStmtBatch batch = {
	.name = "orm_triggers audit rows waiting",
	.flush = pending_flush,
	.forget = pending_forget,
};

/* Write the waiting entries: taken off first, so an error leaves none. */
static void
pending_flush(OrmtStmtBatch *b)
{
	AuditPending p = pending;

	memset(&pending, 0, sizeof(pending));
	if (p.n > 0)
		ormt_audit_log_write_kept(&p.target, p.n, p.values, p.nulls, p.ids,
								  b->cid);
}

/* Aborted: the memory goes with the batch's context. */
static void
pending_forget(OrmtStmtBatch *b pg_attribute_unused())
{
	memset(&pending, 0, sizeof(pending));
}

/*
 * Keep one entry of the row form, for log t (which audit_heap.c writes).
 * Returns false when it cannot wait (entries of another subtransaction are
 * waiting): the caller writes it at once.
 */
bool
ormt_audit_keep(const AuditTarget *t, const AuditRow *row)
{
	MemoryContext old;
	int			r;
	Datum	   *values;
	bool	   *nulls;

	Assert(t->direct);
	if (batch.active && pending.n > 0 && !ormt_audit_target_equal(&pending.target, t) &&
		batch.subxid == GetCurrentSubTransactionId())
		ormt_stmt_batch_flush(&batch);	/* the log changed: a batch per log */
	if (!ormt_stmt_batch_begin(&batch))
		return false;
	if (pending.n == 0)
		pending.target = *t;
	Assert(ormt_audit_target_equal(&pending.target, t));
	old = MemoryContextSwitchTo(batch.cxt);
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
		ormt_stmt_batch_flush(&batch);
	return true;
}

/* From _PG_init, after ormt_stmt_batch_init. */
void
ormt_audit_init(void)
{
	ormt_stmt_batch_register(&batch);
}
