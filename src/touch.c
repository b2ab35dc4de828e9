/*-------------------------------------------------------------------------
 *
 * touch.c
 *		touch_parent: a parent's timestamp column set to the transaction
 *		time when one of its children is inserted, deleted or really
 *		changed (Rails' belongs_to ... touch: true).
 *
 *	touch_parent(fk_col [, fk_col ...], 'parent=table', 'column=ts_col'
 *				 [, 'parent_key=c1,...'] [, 'deferred=true'])
 *		AFTER INSERT, UPDATE and/or DELETE, FOR EACH ROW, or FOR EACH
 *		STATEMENT on one event with its transition tables.  An UPDATE
 *		touches the old and the new parent when the fk changed, the parent
 *		when any other column changed (columns that orm_triggers' stamping
 *		triggers write do not count, as in update_last_modified), and no
 *		parent when nothing changed.
 *
 *		Touches are parent_batch.c items: merged per parent, applied in
 *		parent-key order as the parent's owner with
 *		UPDATE parent SET col = $now WHERE key = $k AND (col IS NULL OR col < $now)
 *		so a timestamp never moves backwards, and a parent already touched
 *		in this transaction is not written again (which ends touch cycles
 *		A -> B -> A).  Without deferred=, at the end of the statement;
 *		with deferred=true, once before the transaction commits.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "orm_triggers.h"

PG_FUNCTION_INFO_V1(touch_parent);

static const OrmtOptionDef touch_options[] = {
	{"parent", ORMT_OPT_IDENT, NULL},
	{"column", ORMT_OPT_COLUMNS, NULL},
	{"parent_key", ORMT_OPT_COLUMNS, NULL},
	{"deferred", ORMT_OPT_BOOL, NULL},
	{NULL}
};

const OrmtFuncSpec ormt_touch_parent_spec = {
	.name = "touch_parent",
	.timing = TRIGGER_TYPE_AFTER,
	.row_ok = true,
	.statement_ok = true,
	.events = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_DELETE,
	.required_events = 0,
	.min_columns = 1,
	.max_columns = INDEX_MAX_KEYS,
	.options = touch_options,
};

typedef struct TouchState
{
	OrmtParentLink link;
	char	   *update_sql;
	Oid			basetype;		/* of the parent's column */
	int32		typmod;
	char	   *colname;		/* the parent's column */
	OrmtBatchKind batch;
	int			ncompare;
	AttrNumber *compare;		/* columns whose change is a real change */
	OrmtParentTarget *target;	/* made on first fire */
} TouchState;

void
ormt_touch_parent_build(OrmtTriggerEntry *entry, TriggerData *trigdata,
						const OrmtArgs *args)
{
	Relation	rel = trigdata->tg_relation;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	TouchState *st = palloc0(sizeof(TouchState));
	Relation	parent;
	char	   *pname;
	List	   *cols;
	AttrNumber	col;
	Form_pg_attribute att;
	char	   *cname;
	StringInfoData buf;
	bool	   *skip;

	ormt_check_parent_events(entry, trigdata, false);
	pname = ormt_parent_link_build(entry, rel, args, &st->link, &parent);

	cols = ormt_option_columns(args, "column");
	if (cols == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trigger \"%s\" on table \"%s\" needs the option column=",
						entry->tgname, entry->relname),
				 ormt_errtable(entry),
				 errhint("Name the parent's timestamp column: 'column=updated_at'.")));
	if (list_length(cols) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option column= of trigger \"%s\" on table \"%s\" names more than one column",
						entry->tgname, entry->relname),
				 ormt_errtable(entry),
				 errhint("Attach one trigger per parent column.")));
	col = ormt_parent_column(entry, parent, "column", (char *) linitial(cols));
	att = TupleDescAttr(RelationGetDescr(parent), col - 1);
	st->basetype = getBaseType(att->atttypid);
	st->typmod = att->atttypmod;
	if ((st->basetype != TIMESTAMPTZOID && st->basetype != TIMESTAMPOID &&
		 st->basetype != DATEOID) || att->attgenerated)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of table \"%s\" named by trigger \"%s\" on table \"%s\" has the wrong type",
						NameStr(att->attname), RelationGetRelationName(parent),
						entry->tgname, entry->relname),
				 errdetail("orm_triggers.touch_parent needs a timestamptz, timestamp or date column that is not generated; the column is %s.",
						   format_type_with_typemod(att->atttypid, att->atttypmod)),
				 errtablecol(parent, col),
				 errhint("Change the column's type, or name another column.")));
	for (int i = 0; i < st->link.nkeys; i++)
		if (st->link.keyattnums[i] == col)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column \"%s\" of trigger \"%s\" on table \"%s\" is a key column of its parent",
							NameStr(att->attname), entry->tgname, entry->relname),
					 ormt_errtable(entry),
					 errhint("Name the parent's timestamp column.")));
	cname = pstrdup(quote_identifier(NameStr(att->attname)));
	st->colname = pstrdup(NameStr(att->attname));
	st->batch = ormt_option_bool(entry, args, "deferred", false) ?
		ORMT_BATCH_COMMIT : ORMT_BATCH_STATEMENT;

	initStringInfo(&buf);
	appendStringInfo(&buf, "UPDATE %s%s SET %s = $%d WHERE ",
					 parent->rd_rel->relkind == RELKIND_RELATION ? "ONLY " : "",
					 pname, cname, st->link.nkeys + 1);
	ormt_parent_key_where(&buf, &st->link, parent, NULL);
	appendStringInfo(&buf, " AND (%s IS NULL OR %s OPERATOR(pg_catalog.<) $%d)",
					 cname, cname, st->link.nkeys + 1);
	st->update_sql = buf.data;
	table_close(parent, AccessShareLock);

	/* what a real change is: as update_last_modified sees it */
	skip = palloc0(sizeof(bool) * (tupdesc->natts + 1));
	ormt_mark_stamped_columns(rel, trigdata->tg_trigger->tgoid, skip);
	st->compare = palloc(sizeof(AttrNumber) * Max(tupdesc->natts, 1));
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(tupdesc, i);

		if (a->attisdropped || a->attgenerated || skip[a->attnum])
			continue;
		st->compare[st->ncompare++] = a->attnum;
	}
	entry->data = st;
}

static OrmtParentTarget *
touch_target(OrmtTriggerEntry *entry, TouchState *st)
{
	if (st->target == NULL)
	{
		st->target = ormt_parent_target_create(entry, &st->link, ORMT_APPLY_TOUCH,
											   st->basetype, st->update_sql);
		st->target->valuetypmod = st->typmod;
		namestrcpy(&st->target->valuecol, st->colname);
	}
	return st->target;
}

/* Did an UPDATE really change the row? */
static bool
really_changed(const TouchState *st, HeapTuple oldtup, HeapTuple newtup,
			   TupleDesc tupdesc)
{
	for (int i = 0; i < st->ncompare; i++)
	{
		AttrNumber	a = st->compare[i];
		Form_pg_attribute att = TupleDescAttr(tupdesc, a - 1);
		bool		on;
		bool		nn;
		Datum		o = heap_getattr(oldtup, a, tupdesc, &on);
		Datum		n = heap_getattr(newtup, a, tupdesc, &nn);

		if (!ormt_datum_equal(o, on, n, nn, att->attlen, att->attbyval))
			return true;
	}
	return false;
}

/* Touch the parent of a child row (none when its key has a NULL). */
static void
touch_row(TouchState *st, OrmtParentTarget *t, HeapTuple tuple, TupleDesc tupdesc)
{
	Datum		keys[INDEX_MAX_KEYS];

	if (tuple == NULL || !ormt_parent_key_of(&st->link, tuple, tupdesc, keys))
		return;
	ormt_parent_keep(st->batch,
					 ormt_parent_item(ormt_parent_batch_context(st->batch), t, keys));
}

/* Touch the parents of one change (old, new or both rows). */
static void
touch_change(TouchState *st, OrmtParentTarget *t, HeapTuple oldtup,
			 HeapTuple newtup, TupleDesc tupdesc)
{
	Datum		ok[INDEX_MAX_KEYS];
	Datum		nk[INDEX_MAX_KEYS];

	if (oldtup && newtup)
	{
		bool		ohas;
		bool		nhas;

		if (!really_changed(st, oldtup, newtup, tupdesc))
			return;
		ohas = ormt_parent_key_of(&st->link, oldtup, tupdesc, ok);
		nhas = ormt_parent_key_of(&st->link, newtup, tupdesc, nk);
		touch_row(st, t, newtup, tupdesc);
		if (ohas && !(nhas && ormt_parent_keys_equal(&st->link, ok, nk)))
			touch_row(st, t, oldtup, tupdesc);
		return;
	}
	touch_row(st, t, oldtup ? oldtup : newtup, tupdesc);
}

static void
touch_statement(TouchState *st, OrmtParentTarget *t, TriggerData *trigdata)
{
	TupleDesc	tupdesc = RelationGetDescr(trigdata->tg_relation);
	OrmtTransitionPairs rows;
	HeapTuple	oldtup;
	HeapTuple	newtup;

	ormt_transition_pairs_begin(&rows, trigdata);
	while (ormt_transition_pairs_next(&rows, &oldtup, &newtup))
	{
		CHECK_FOR_INTERRUPTS();
		touch_change(st, t, oldtup, newtup, tupdesc);
	}
	ormt_transition_pairs_end(&rows);
}

Datum
touch_parent(PG_FUNCTION_ARGS)
{
	OrmtTriggerEntry *entry = ORMT_ENTRY(ormt_touch_parent_spec, ormt_touch_parent_build);
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TouchState *st = (TouchState *) entry->data;
	TupleDesc	tupdesc = RelationGetDescr(trigdata->tg_relation);
	OrmtParentTarget *t = touch_target(entry, st);

	if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		touch_statement(st, t, trigdata);
	else if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		touch_change(st, t, NULL, trigdata->tg_trigtuple, tupdesc);
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		touch_change(st, t, trigdata->tg_trigtuple, NULL, tupdesc);
	else
		touch_change(st, t, trigdata->tg_trigtuple, trigdata->tg_newtuple, tupdesc);
	return PointerGetDatum(NULL);
}
