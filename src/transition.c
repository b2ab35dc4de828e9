/*-------------------------------------------------------------------------
 *
 * transition.c
 *		The transition tables of statement triggers (audit and
 *		notify_change FOR EACH STATEMENT): the check that a trigger declares
 *		those its events need, and a reader of one; and the table that
 *		errors about a trigger's table name (the partitioned root).
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/executor.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

#include "orm_triggers.h"

/*
 * errtable() / errtablecol() by names: the error fields drivers read
 * (diag.schema_name, table_name, column_name).  column may be NULL.  For
 * use inside ereport().
 */
int
ormt_errtablecol_names(const char *schema, const char *table,
					   const char *column)
{
	err_generic_string(PG_DIAG_SCHEMA_NAME, schema);
	err_generic_string(PG_DIAG_TABLE_NAME, table);
	if (column != NULL)
		err_generic_string(PG_DIAG_COLUMN_NAME, column);
	return 0;
}

/*
 * errtable() for the table the trigger was created on: the partitioned
 * root when rel is a partition, so that drivers name the table the user
 * wrote.  For use inside ereport().
 */
int
ormt_errtable_root(Relation rel)
{
	Oid			root = ormt_partition_root(rel);

	if (root == RelationGetRelid(rel))
		return errtable(rel);
	return ormt_errtablecol_names(get_namespace_name(get_rel_namespace(root)),
								  get_rel_name(root), NULL);
}

/* The qualified, quoted name of the table the trigger was created on. */
char *
ormt_root_qualified_name(Relation rel)
{
	Oid			root = ormt_partition_root(rel);

	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(root)),
									  get_rel_name(root));
}

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
	Relation	rel = trigdata->tg_relation;
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
						entry->tgname, get_rel_name(ormt_partition_root(rel)), event),
				 errdetail("orm_triggers.%s reads the changed rows of a FOR EACH STATEMENT trigger from its %s.",
						   entry->spec->name,
						   need_old && need_new ? "OLD TABLE and NEW TABLE" :
						   need_old ? "OLD TABLE" : "NEW TABLE"),
				 errhint("Create it as: CREATE TRIGGER %s AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.%s(), "
						 "one trigger per event, or a single AFTER INSERT OR UPDATE OR DELETE ... FOR EACH ROW trigger.",
						 quote_identifier(entry->tgname), event,
						 ormt_root_qualified_name(rel), refs.data,
						 entry->spec->name),
				 ormt_errtable_root(rel)));
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
