/*-------------------------------------------------------------------------
 *
 * transition.c
 *		The transition tables of statement triggers (audit, notify_change,
 *		counter_cache and touch_parent FOR EACH STATEMENT): the check that a
 *		trigger declares those its events need, a reader of one, and a
 *		reader of the old and new rows in pairs.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/executor.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "orm_triggers.h"

/*
 * A FOR EACH STATEMENT trigger reads the changed rows from its transition
 * tables: check, when its entry is built, that it declares the OLD TABLE
 * for each of its events in old_events and the NEW TABLE for each in
 * new_events (TRIGGER_TYPE_* bits).  The error names the first event that
 * lacks one and says how to create the trigger.
 */
void
ormt_require_transition_tables(OrmtTriggerEntry *entry, TriggerData *trigdata,
							   int16 old_events, int16 new_events)
{
	Trigger    *tg = trigdata->tg_trigger;
	static const int16 events[] = {TRIGGER_TYPE_INSERT, TRIGGER_TYPE_UPDATE,
	TRIGGER_TYPE_DELETE};

	Assert(!TRIGGER_FOR_ROW(tg->tgtype));
	Assert(entry->spec != NULL);
	for (int i = 0; i < (int) lengthof(events); i++)
	{
		int16		ev = events[i];
		bool		need_old = (old_events & ev) != 0;
		bool		need_new = (new_events & ev) != 0;
		const char *event = ormt_events_text(ev, " OR ");
		StringInfoData refs;

		if ((tg->tgtype & ev) == 0 ||
			((!need_old || tg->tgoldtable != NULL) &&
			 (!need_new || tg->tgnewtable != NULL)))
			continue;
		initStringInfo(&refs);
		appendStringInfoString(&refs, "REFERENCING");
		if (need_old)
			appendStringInfoString(&refs, " OLD TABLE AS old_rows");
		if (need_new)
			appendStringInfoString(&refs, " NEW TABLE AS new_rows");
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("statement trigger \"%s\" on table \"%s\" needs transition tables for %s",
						entry->tgname, entry->relname, event),
				 errdetail("orm_triggers.%s reads the changed rows of a FOR EACH STATEMENT trigger from its %s.",
						   entry->spec->name,
						   need_old && need_new ? "OLD TABLE and NEW TABLE" :
						   need_old ? "OLD TABLE" : "NEW TABLE"),
				 errhint("Create it as: CREATE TRIGGER %s AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.%s(), "
						 "one trigger per event, or a single AFTER INSERT OR UPDATE OR DELETE ... FOR EACH ROW trigger.",
						 quote_identifier(entry->tgname), event,
						 quote_qualified_identifier(entry->nspname, entry->relname),
						 refs.data, entry->spec->name),
				 ormt_errtable(entry)));
	}
}

/*
 * A slot reading transition table ts from its start, through a read
 * pointer of its own (*ptr); ormt_transition_done() gives the pointer back.
 */
TupleTableSlot *
ormt_transition_reader(Tuplestorestate *ts, TupleDesc tupdesc, int *ptr)
{
	Assert(ts != NULL);
	*ptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(ts, *ptr);
	tuplestore_rescan(ts);
	return MakeSingleTupleTableSlot(tupdesc, &TTSOpsMinimalTuple);
}

/* The next row of ts into slot, through read pointer ptr; false at the end. */
bool
ormt_transition_next(Tuplestorestate *ts, int ptr, TupleTableSlot *slot)
{
	tuplestore_select_read_pointer(ts, ptr);
	return tuplestore_gettupleslot(ts, true, false, slot);
}

void
ormt_transition_done(Tuplestorestate *ts, TupleTableSlot *slot)
{
	tuplestore_select_read_pointer(ts, 0);
	ExecDropSingleTupleTableSlot(slot);
}

/*
 * The changed rows of a statement trigger's firing as (old, new) pairs: an
 * UPDATE's transition tables hold the old and the new version of each row
 * in the same order; INSERT has only new rows, DELETE only old ones (the
 * other of the pair is NULL).  Tuples returned by ormt_transition_pairs_next
 * belong to the reader's slots and stay valid until the next call.
 */
void
ormt_transition_pairs_begin(OrmtTransitionPairs *p, TriggerData *trigdata)
{
	TupleDesc	tupdesc = RelationGetDescr(trigdata->tg_relation);

	p->ts[0] = TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ? NULL : trigdata->tg_oldtable;
	p->ts[1] = TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ? NULL : trigdata->tg_newtable;
	for (int s = 0; s < 2; s++)
		p->slot[s] = p->ts[s] ? ormt_transition_reader(p->ts[s], tupdesc, &p->ptr[s]) : NULL;
}

bool
ormt_transition_pairs_next(OrmtTransitionPairs *p, HeapTuple *oldtup, HeapTuple *newtup)
{
	HeapTuple	tup[2] = {NULL, NULL};
	bool		more = false;

	for (int s = 0; s < 2; s++)
	{
		if (p->ts[s] != NULL && ormt_transition_next(p->ts[s], p->ptr[s], p->slot[s]))
		{
			tup[s] = ExecFetchSlotHeapTuple(p->slot[s], false, NULL);
			more = true;
		}
	}
	*oldtup = tup[0];
	*newtup = tup[1];
	return more;
}

void
ormt_transition_pairs_end(OrmtTransitionPairs *p)
{
	for (int s = 0; s < 2; s++)
		if (p->ts[s] != NULL)
			ormt_transition_done(p->ts[s], p->slot[s]);
}
