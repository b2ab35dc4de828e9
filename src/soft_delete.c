/*-------------------------------------------------------------------------
 *
 * soft_delete.c
 *		soft_delete: DELETE marks the row deleted instead of removing it
 *		(paranoia, discard, django-safedelete, Hibernate @SoftDelete) for
 *		every writer.
 *
 * The BEFORE DELETE ROW trigger runs "UPDATE ONLY leaf SET col = $1 WHERE
 * ctid = $2" through a saved SPI plan, so the table's UPDATE triggers
 * (update_last_modified, increment_version, audit ...) see an ordinary
 * update, and returns NULL, which cancels the delete.
 *
 * Row movement.  An UPDATE that moves a row to another partition deletes it
 * from the source partition and fires BEFORE DELETE there; nothing in
 * TriggerData says so.  Soft-deleting it would keep the row where it was and
 * drop the insert.  The executor runs the BEFORE ROW trigger synchronously
 * inside ExecutorRun of the query whose ModifyTable processes the row, so
 * an ExecutorRun hook keeps a stack of running queries and the trigger
 * looks at the innermost one's plan: if the ModifyTable nodes that write
 * the firing partition are UPDATEs (or MERGE with UPDATE actions only), a
 * DELETE of that partition can only be row movement and goes through.  If
 * they include a DELETE too (a DELETE in a WITH clause of an UPDATE of the
 * same table, MERGE with both UPDATE and DELETE actions), the two cannot be
 * told apart and the trigger raises an error rather than guess.
 *
 * The hook is installed when the first soft_delete trigger of the backend
 * is built, which is during a query: queries already running then are not
 * on the stack.  For them the trigger falls back to the statements of the
 * active portal (the client's top-level statement); see README for the one
 * case that fallback gets wrong.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "nodes/plannodes.h"
#include "parser/parsetree.h"
#include "tcop/pquery.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/portal.h"
#include "utils/timestamp.h"

#include "orm_triggers.h"

PG_FUNCTION_INFO_V1(soft_delete);

/* ------------------------------------------------------------------------
 * Which statement is deleting this row?
 * ------------------------------------------------------------------------
 */
typedef enum DeleteKind
{
	DELETE_REAL,				/* a DELETE (or MERGE ... DELETE): soft-delete */
	DELETE_MOVE,				/* row movement of an UPDATE: let it through */
	DELETE_AMBIGUOUS			/* the query does both to this partition */
} DeleteKind;

typedef struct RunningQuery
{
	QueryDesc  *query;
	Oid			relid;			/* cached verdict: for this relation */
	DeleteKind	kind;
} RunningQuery;

#define MAX_TRACKED_DEPTH 64

static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static bool hook_installed = false;
static int	running_depth = 0;	/* may exceed MAX_TRACKED_DEPTH */
static RunningQuery running[MAX_TRACKED_DEPTH];

static void
sd_ExecutorRun(ORMT_EXECUTOR_RUN_PARAMS)
{
	int			depth = running_depth;

	if (depth < MAX_TRACKED_DEPTH)
	{
		running[depth].query = queryDesc;
		running[depth].relid = InvalidOid;
	}
	running_depth = depth + 1;
	PG_TRY();
	{
		if (prev_ExecutorRun)
			prev_ExecutorRun(ORMT_EXECUTOR_RUN_ARGS);
		else
			standard_ExecutorRun(ORMT_EXECUTOR_RUN_ARGS);
	}
	PG_FINALLY();
	{
		running_depth = depth;
	}
	PG_END_TRY();
}

/*
 * Install the ExecutorRun hook, from _PG_init, so every query from the
 * library's load on is tracked.
 */

void
ormt_soft_delete_init(void)
{
	if (hook_installed)
		return;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = sd_ExecutorRun;
	hook_installed = true;
}

/* Does plan (a ModifyTable or anything else) UPDATE and/or DELETE relid? */
static void
scan_modify_table(PlannedStmt *stmt, Plan *plan, Oid relid,
				  bool *updates, bool *deletes)
{
	ModifyTable *mt;
	ListCell   *lc;
	int			i = 0;

	if (plan == NULL || !IsA(plan, ModifyTable))
		return;
	mt = (ModifyTable *) plan;
	foreach(lc, mt->resultRelations)
	{
		RangeTblEntry *rte = rt_fetch(lfirst_int(lc), stmt->rtable);

		if (rte->relid == relid)
		{
			ListCell   *alc;

			if (mt->operation == CMD_UPDATE)
				*updates = true;
			else if (mt->operation == CMD_DELETE)
				*deletes = true;
			foreach(alc, ormt_merge_actions(mt, i))
			{
				if (ormt_merge_action_type(alc) == CMD_UPDATE)
					*updates = true;
				else if (ormt_merge_action_type(alc) == CMD_DELETE)
					*deletes = true;
			}
		}
		i++;
	}
}

/* Look at the main plan and the plans of WITH queries. */
static void
scan_statement(PlannedStmt *stmt, Oid relid, bool *updates, bool *deletes)
{
	ListCell   *lc;

	/* a SELECT can still hold data-modifying WITH queries */
	if (stmt->commandType == CMD_UTILITY)
		return;
	scan_modify_table(stmt, stmt->planTree, relid, updates, deletes);
	foreach(lc, stmt->subplans)
		scan_modify_table(stmt, (Plan *) lfirst(lc), relid, updates, deletes);
}

static DeleteKind
verdict(bool updates, bool deletes)
{
	if (updates && deletes)
		return DELETE_AMBIGUOUS;
	if (updates)
		return DELETE_MOVE;
	return DELETE_REAL;
}

/*
 * Classify the BEFORE DELETE of a row of rel.  Only a partition can see row
 * movement; for anything else this is a plain comparison.
 */
static DeleteKind
classify_delete(OrmtTriggerEntry *entry, Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	bool		updates = false;
	bool		deletes = false;

	if (!rel->rd_rel->relispartition)
		return DELETE_REAL;

	if (running_depth > 0 && running_depth <= MAX_TRACKED_DEPTH)
	{
		RunningQuery *rq = &running[running_depth - 1];

		Assert(rq->query != NULL && rq->query->plannedstmt != NULL);
		if (rq->relid != relid)
		{
			scan_statement(rq->query->plannedstmt, relid, &updates, &deletes);
			rq->kind = verdict(updates, deletes);
			rq->relid = relid;
		}
		return rq->kind;
	}
	if (running_depth > MAX_TRACKED_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 ormt_errtable(entry),
				 errmsg("soft delete of a row of \"%s\" is nested too deeply",
						entry->relname),
				 errdetail("orm_triggers tracks %d levels of nested statements.",
						   MAX_TRACKED_DEPTH),
				 errhint("SET orm_triggers.hard_delete = on to delete for real.")));

	/*
	 * The query started before the hook was installed: judge by the client's
	 * statement.
	 */
	if (ActivePortal != NULL)
	{
		ListCell   *lc;

		foreach(lc, ActivePortal->stmts)
		{
			if (IsA(lfirst(lc), PlannedStmt))
				scan_statement((PlannedStmt *) lfirst(lc), relid, &updates, &deletes);
		}
	}
	return verdict(updates, deletes);
}

/* ------------------------------------------------------------------------
 * soft_delete(col [, 'on_repeat=ignore'|'on_repeat=delete'])
 *
 * BEFORE DELETE, FOR EACH ROW.
 *
 * A live row (col NULL; for a boolean col, NULL or false) is updated to
 * col = now() (timestamptz, timestamp, date: the transaction start, as
 * now() gives it) or true (boolean), and the delete is cancelled.  A row
 * already soft-deleted is left as it is (on_repeat=ignore, the default) or
 * really deleted (on_repeat=delete).  With orm_triggers.hard_delete = on
 * every DELETE is real; so is the delete half of row movement.
 * ------------------------------------------------------------------------
 */
typedef struct SoftDeleteState
{
	AttrNumber	attnum;
	Oid			basetype;		/* BOOLOID, or a type ormt_now_as() makes */
	bool		delete_on_repeat;
	SPIPlanPtr	plan;			/* UPDATE ONLY leaf SET col = $1 WHERE ctid = $2 */
} SoftDeleteState;

static const char *const on_repeat_choices[] = {"ignore", "delete", NULL};

static const OrmtOptionDef soft_delete_options[] = {
	{"on_repeat", ORMT_OPT_ENUM, on_repeat_choices},
	{NULL}
};

const OrmtFuncSpec ormt_soft_delete_spec = {
	.name = "soft_delete",
	.timing = TRIGGER_TYPE_BEFORE,
	.row_ok = true,
	.statement_ok = false,
	.events = TRIGGER_TYPE_DELETE,
	.required_events = TRIGGER_TYPE_DELETE,
	.min_columns = 1,
	.max_columns = 1,
	.options = soft_delete_options,
};

void
ormt_soft_delete_build(OrmtTriggerEntry *entry, TriggerData *trigdata,
					   const OrmtArgs *args)
{
	Relation	rel = trigdata->tg_relation;
	SoftDeleteState *st = palloc0(sizeof(SoftDeleteState));
	const char *on_repeat = ormt_option(args, "on_repeat");
	Form_pg_attribute att;
	Oid			base;
	Oid			argtypes[2];
	char	   *sql;

	if (rel->rd_rel->relkind == RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 ormt_errtable(entry),
				 errmsg("trigger \"%s\" on \"%s\" cannot soft-delete rows of a foreign table",
						entry->tgname, entry->relname),
				 errdetail("orm_triggers.soft_delete finds the row to update by its ctid."),
				 errhint("Attach the trigger to the table on the remote server.")));

	st->attnum = ormt_resolve_column(entry, rel, args->columns[0], false);
	st->delete_on_repeat = (on_repeat != NULL && strcmp(on_repeat, "delete") == 0);
	att = TupleDescAttr(RelationGetDescr(rel), st->attnum - 1);
	base = getBaseType(att->atttypid);
	if (base != TIMESTAMPTZOID && base != TIMESTAMPOID && base != DATEOID &&
		base != BOOLOID)
		ormt_column_type_error(entry, rel, st->attnum,
							   "a timestamptz, timestamp, date or boolean column (or a domain over one)");
	st->basetype = base;

	/*
	 * The value is passed as the base type; the assignment applies the
	 * column's typmod and domain checks.
	 */
	sql = psprintf("UPDATE ONLY %s SET %s = $1 WHERE ctid OPERATOR(pg_catalog.=) $2",
				   quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
											  RelationGetRelationName(rel)),
				   quote_identifier(NameStr(att->attname)));
	argtypes[0] = base;
	argtypes[1] = TIDOID;

	st->plan = ormt_cache_prepare(entry, sql, 2, argtypes, 0);

	entry->data = st;
}

/*
 * now() (the transaction start) or true, as the base type of the column.
 */
static Datum
mark_value(SoftDeleteState *st)
{
	Assert(st->basetype == BOOLOID || st->basetype == TIMESTAMPTZOID ||
		   st->basetype == TIMESTAMPOID || st->basetype == DATEOID);
	if (st->basetype == BOOLOID)
		return BoolGetDatum(true);
	return ormt_now_as(st->basetype);
}

/* Is the row already soft-deleted? */
static bool
already_deleted(SoftDeleteState *st, TriggerData *trigdata)
{
	bool		isnull;
	Datum		value = heap_getattr(trigdata->tg_trigtuple, st->attnum,
									 RelationGetDescr(trigdata->tg_relation),
									 &isnull);

	if (isnull)
		return false;
	return st->basetype != BOOLOID || DatumGetBool(value);
}

Datum
soft_delete(PG_FUNCTION_ARGS)
{
	OrmtTriggerEntry *entry = ORMT_ENTRY(ormt_soft_delete_spec, ormt_soft_delete_build);
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	SoftDeleteState *st = (SoftDeleteState *) entry->data;
	HeapTuple	tuple = trigdata->tg_trigtuple;
	Datum		values[2];
	int			rc;

	if (ormt_hard_delete)
		return PointerGetDatum(tuple);

	switch (classify_delete(entry, trigdata->tg_relation))
	{
		case DELETE_MOVE:
			return PointerGetDatum(tuple);
		case DELETE_AMBIGUOUS:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 ormt_errtable(entry),
					 errmsg("cannot tell whether a row of table \"%s\" is being deleted or moved to another partition",
							entry->relname),
					 errdetail("The statement both updates and deletes partition \"%s\"; trigger \"%s\" turns deletes into updates but must let row movement through.",
							   RelationGetRelationName(trigdata->tg_relation), entry->tgname),
					 errhint("Run the DELETE and the UPDATE as separate statements, or SET LOCAL orm_triggers.hard_delete = on.")));
			break;
		case DELETE_REAL:
			break;
	}

	if (already_deleted(st, trigdata))
		return st->delete_on_repeat ? PointerGetDatum(tuple) : PointerGetDatum(NULL);

	Assert(st->plan != NULL);
	values[0] = mark_value(st);
	values[1] = PointerGetDatum(&tuple->t_self);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * A saved plan that an invalidation made stale is replanned by
	 * SPI_execute_plan itself; the relcache callback has already rebuilt the
	 * entry when the table changed.
	 */
	if (!SPI_plan_is_valid(st->plan))
		elog(DEBUG1, "orm_triggers: replanning soft delete of trigger \"%s\"",
			 entry->tgname);
	rc = SPI_execute_plan(st->plan, values, NULL, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "soft delete of trigger \"%s\" failed: %s", entry->tgname,
			 SPI_result_code_string(rc));

	/*
	 * SPI_processed is 0 when another BEFORE UPDATE trigger cancelled the
	 * update: the row then stays as it is, like any cancelled update.
	 */
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");

	return PointerGetDatum(NULL);
}
