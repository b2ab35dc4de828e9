/*-------------------------------------------------------------------------
 *
 * stamps.c
 *		Row-stamping BEFORE ROW triggers: update_last_modified,
 *		set_created_at, protect_columns and set_actor.
 *
 * None of them uses SPI: each reads the old and new row from the trigger's
 * slots, computes the few values it owns and returns the new row with
 * ormt_modify_tuple (or unchanged, when nothing needs to change).
 * Timestamps are the transaction start time, as now() gives it, converted
 * once per transaction (and time zone) per column.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/date.h"
#include "utils/fmgrprotos.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "orm_triggers.h"

PG_FUNCTION_INFO_V1(update_last_modified);
PG_FUNCTION_INFO_V1(set_created_at);
PG_FUNCTION_INFO_V1(protect_columns);
PG_FUNCTION_INFO_V1(set_actor);

/*
 * A timestamp-like column the trigger writes: timestamptz, timestamp or
 * date, or a domain over one of them.
 */
typedef struct StampColumn
{
	AttrNumber	attnum;
	Oid			basetype;		/* TIMESTAMPTZOID, TIMESTAMPOID or DATEOID */
	int32		typmod;			/* precision of the base type, or -1 */
	Oid			domain;			/* the column's domain, or InvalidOid */
	void	   *domain_extra;	/* domain_check's cache */
	/* the value for one transaction start time and time zone */
	bool		have_value;
	TimestampTz value_for;
	pg_tz	   *value_tz;
	Datum		value;
} StampColumn;

static const char *const stamp_types =
"a timestamptz, timestamp or date column (or a domain over one)";

static void
resolve_stamp_column(OrmtTriggerEntry *entry, Relation rel,
					 const char *colname, StampColumn *sc)
{
	Form_pg_attribute att;
	Oid			base;
	int32		typmod;

	memset(sc, 0, sizeof(*sc));
	sc->attnum = ormt_resolve_column(entry, rel, colname, false);
	att = TupleDescAttr(RelationGetDescr(rel), sc->attnum - 1);
	typmod = att->atttypmod;
	base = getBaseTypeAndTypmod(att->atttypid, &typmod);
	if (base != TIMESTAMPTZOID && base != TIMESTAMPOID && base != DATEOID)
		ormt_column_type_error(entry, rel, sc->attnum, stamp_types);
	Assert(sc->attnum > 0);
	sc->basetype = base;
	sc->typmod = typmod;
	sc->domain = (base != att->atttypid) ? att->atttypid : InvalidOid;
}

/*
 * The transaction start time, as now() gives it, as a timestamptz,
 * timestamp (session time zone) or date.
 */
Datum
ormt_now_as(Oid basetype)
{
	Datum		now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());

	switch (basetype)
	{
		case TIMESTAMPTZOID:
			return now;
		case TIMESTAMPOID:
			return DirectFunctionCall1(timestamptz_timestamp, now);
		case DATEOID:
			return DirectFunctionCall1(timestamptz_date, now);
	}
	elog(ERROR, "orm_triggers: no transaction time as type %u", basetype);
	return (Datum) 0;			/* keep compiler quiet */
}

/*
 * now() as the column's type: rounded to its precision, checked against
 * its domain.  Computed once per transaction and time zone.
 */
static Datum
stamp_value(OrmtTriggerEntry *entry, StampColumn *sc)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	Datum		value;

	if (sc->have_value && sc->value_for == now && sc->value_tz == session_timezone)
		return sc->value;

	value = ormt_now_as(sc->basetype);
	if (sc->typmod >= 0 && sc->basetype == TIMESTAMPTZOID)
		value = DirectFunctionCall2(timestamptz_scale, value, Int32GetDatum(sc->typmod));
	else if (sc->typmod >= 0 && sc->basetype == TIMESTAMPOID)
		value = DirectFunctionCall2(timestamp_scale, value, Int32GetDatum(sc->typmod));
	if (OidIsValid(sc->domain))
		domain_check(value, false, sc->domain, &sc->domain_extra, entry->cxt);

	/* all three types are pass-by-value: no copy needed */
	sc->value = value;
	sc->value_for = now;
	sc->value_tz = session_timezone;
	sc->have_value = true;
	return value;
}

/*
 * Replacement columns for one row, collected before the new tuple is formed.
 */
#define INLINE_REPLACEMENTS 8

typedef struct Replacements
{
	int			n;
	int			max;			/* room for this many */
	int		   *attnums;
	Datum	   *values;
	bool	   *nulls;
	/* the common case needs no allocation per row */
	int			inline_attnums[INLINE_REPLACEMENTS];
	Datum		inline_values[INLINE_REPLACEMENTS];
	bool		inline_nulls[INLINE_REPLACEMENTS];
} Replacements;

static void
replacements_init(Replacements *r, int max)
{
	r->n = 0;
	r->max = max;
	if (max <= INLINE_REPLACEMENTS)
	{
		r->attnums = r->inline_attnums;
		r->values = r->inline_values;
		r->nulls = r->inline_nulls;
		return;
	}
	r->attnums = palloc(sizeof(int) * max);
	r->values = palloc(sizeof(Datum) * max);
	r->nulls = palloc(sizeof(bool) * max);
}

static void
replace(Replacements *r, AttrNumber attnum, Datum value, bool isnull)
{
	Assert(r->n < r->max);
	Assert(attnum > 0);
	r->attnums[r->n] = attnum;
	r->values[r->n] = value;
	r->nulls[r->n] = isnull;
	r->n++;
}

static Datum
return_row(TriggerData *trigdata, HeapTuple tuple, Replacements *r)
{
	if (r->n > 0)
		tuple = ormt_modify_tuple(tuple, RelationGetDescr(trigdata->tg_relation),
								  r->n, r->attnums, r->values, r->nulls);
	return PointerGetDatum(tuple);
}

/*
 * Does column attnum of the two slots hold the same value?
 */
static inline bool
column_unchanged(TupleTableSlot *oldslot, TupleTableSlot *newslot,
				 Form_pg_attribute att)
{
	bool		oldnull;
	bool		newnull;
	Datum		oldval = slot_getattr(oldslot, att->attnum, &oldnull);
	Datum		newval = slot_getattr(newslot, att->attnum, &newnull);

	return ormt_datum_equal(oldval, oldnull, newval, newnull,
							att->attlen, att->attbyval);
}

/*
 * If the new row's column differs from the old row's, put the old value back.
 */
static void
keep_old_value(TriggerData *trigdata, Form_pg_attribute att, Replacements *r)
{
	bool		oldnull;
	Datum		oldval;

	if (column_unchanged(trigdata->tg_trigslot, trigdata->tg_newslot, att))
		return;
	oldval = slot_getattr(trigdata->tg_trigslot, att->attnum, &oldnull);
	replace(r, att->attnum, oldval, oldnull);
}

/*
 * Which columns count when deciding whether an UPDATE changed a row: all
 * but dropped and generated ones (a BEFORE trigger sees undefined values
 * there; they follow the columns that are compared), those in skip[], and
 * those other orm_triggers stamping triggers on the table write.
 */
typedef struct ChangeCheck
{
	int			ncolumns;
	AttrNumber *columns;		/* ascending, so deforming is incremental */
} ChangeCheck;

static void
change_check_build(ChangeCheck *cc, TriggerData *trigdata, bool *skip)
{
	Relation	rel = trigdata->tg_relation;
	TupleDesc	tupdesc = RelationGetDescr(rel);

	ormt_mark_stamped_columns(rel, trigdata->tg_trigger->tgoid, skip);
	cc->ncolumns = 0;
	cc->columns = palloc(sizeof(AttrNumber) * tupdesc->natts);
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (att->attisdropped || att->attgenerated || skip[att->attnum])
			continue;
		cc->columns[cc->ncolumns++] = att->attnum;
	}
}

/* Did any column that counts change between the old and the new row? */
static bool
row_changed(TriggerData *trigdata, const ChangeCheck *cc)
{
	TupleDesc	tupdesc = RelationGetDescr(trigdata->tg_relation);

	for (int i = 0; i < cc->ncolumns; i++)
	{
		if (!column_unchanged(trigdata->tg_trigslot, trigdata->tg_newslot,
							  TupleDescAttr(tupdesc, cc->columns[i] - 1)))
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------------
 * update_last_modified(col [, col ...] [, 'always=true'] [, 'ignore=c1,c2'])
 *
 * BEFORE UPDATE [OR INSERT], FOR EACH ROW.
 *
 * INSERT: a NULL column becomes now(); a given value is kept (COPY and
 * restores keep their data).
 * UPDATE: the trigger owns the columns.  If any other column (except the
 * ignored ones and generated columns) changed value, they become now();
 * otherwise they keep their old value, whatever the statement wrote.
 * always=true bumps on every UPDATE.
 * ------------------------------------------------------------------------
 */
typedef struct LastModifiedState
{
	int			nstamps;
	StampColumn *stamps;
	bool		always;
	ChangeCheck changes;
} LastModifiedState;

static const OrmtOptionDef last_modified_options[] = {
	{"always", ORMT_OPT_BOOL, NULL},
	{"ignore", ORMT_OPT_COLUMNS, NULL},
	{NULL}
};

const OrmtFuncSpec ormt_update_last_modified_spec = {
	.name = "update_last_modified",
	.timing = TRIGGER_TYPE_BEFORE,
	.row_ok = true,
	.statement_ok = false,
	.events = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE,
	.required_events = TRIGGER_TYPE_UPDATE,
	.min_columns = 1,
	.max_columns = -1,
	.options = last_modified_options,
	.writes_columns = true,
};

void
ormt_update_last_modified_build(OrmtTriggerEntry *entry, TriggerData *trigdata,
								const OrmtArgs *args)
{
	Relation	rel = trigdata->tg_relation;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	LastModifiedState *st = palloc0(sizeof(LastModifiedState));
	bool	   *skip = palloc0(sizeof(bool) * (tupdesc->natts + 1));

	st->nstamps = args->ncolumns;
	st->stamps = palloc(sizeof(StampColumn) * st->nstamps);
	for (int i = 0; i < args->ncolumns; i++)
	{
		resolve_stamp_column(entry, rel, args->columns[i], &st->stamps[i]);
		skip[st->stamps[i].attnum] = true;
	}
	st->always = ormt_option_bool(entry, args, "always", false);
	ormt_mark_option_columns(entry, rel, args, "ignore", skip);

	change_check_build(&st->changes, trigdata, skip);
	entry->data = st;
}

Datum
update_last_modified(PG_FUNCTION_ARGS)
{
	OrmtTriggerEntry *entry = ORMT_ENTRY(ormt_update_last_modified_spec, ormt_update_last_modified_build);
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	LastModifiedState *st = (LastModifiedState *) entry->data;
	TupleDesc	tupdesc = RelationGetDescr(trigdata->tg_relation);
	Replacements r;

	replacements_init(&r, st->nstamps);

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		HeapTuple	tuple = trigdata->tg_trigtuple;

		for (int i = 0; i < st->nstamps; i++)
		{
			StampColumn *sc = &st->stamps[i];

			if (heap_attisnull(tuple, sc->attnum, tupdesc))
				replace(&r, sc->attnum, stamp_value(entry, sc), false);
		}
		return return_row(trigdata, tuple, &r);
	}
	else
	{
		bool		bump = st->always || row_changed(trigdata, &st->changes);

		for (int i = 0; i < st->nstamps; i++)
		{
			StampColumn *sc = &st->stamps[i];
			Form_pg_attribute att = TupleDescAttr(tupdesc, sc->attnum - 1);

			if (bump)
				replace(&r, sc->attnum, stamp_value(entry, sc), false);
			else
				keep_old_value(trigdata, att, &r);
		}
		return return_row(trigdata, trigdata->tg_newtuple, &r);
	}
}

/* ------------------------------------------------------------------------
 * set_created_at(col)
 *
 * BEFORE INSERT OR UPDATE, FOR EACH ROW.
 *
 * INSERT: NULL becomes now(); a given value is kept.
 * UPDATE: the old value is kept, whatever the statement wrote.
 * ------------------------------------------------------------------------
 */
const OrmtFuncSpec ormt_set_created_at_spec = {
	.name = "set_created_at",
	.timing = TRIGGER_TYPE_BEFORE,
	.row_ok = true,
	.statement_ok = false,
	.events = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE,
	.required_events = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE,
	.min_columns = 1,
	.max_columns = 1,
	.options = NULL,
	.writes_columns = true,
};

void
ormt_set_created_at_build(OrmtTriggerEntry *entry, TriggerData *trigdata,
						  const OrmtArgs *args)
{
	StampColumn *sc = palloc(sizeof(StampColumn));

	resolve_stamp_column(entry, trigdata->tg_relation, args->columns[0], sc);
	entry->data = sc;
}

Datum
set_created_at(PG_FUNCTION_ARGS)
{
	OrmtTriggerEntry *entry = ORMT_ENTRY(ormt_set_created_at_spec, ormt_set_created_at_build);
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	StampColumn *sc = (StampColumn *) entry->data;
	TupleDesc	tupdesc = RelationGetDescr(trigdata->tg_relation);
	Replacements r;

	replacements_init(&r, 1);
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		if (heap_attisnull(trigdata->tg_trigtuple, sc->attnum, tupdesc))
			replace(&r, sc->attnum, stamp_value(entry, sc), false);
		return return_row(trigdata, trigdata->tg_trigtuple, &r);
	}
	keep_old_value(trigdata, TupleDescAttr(tupdesc, sc->attnum - 1), &r);
	return return_row(trigdata, trigdata->tg_newtuple, &r);
}

/* ------------------------------------------------------------------------
 * protect_columns(col [, col ...] [, 'mode=error'|'mode=keep'])
 *
 * BEFORE UPDATE, FOR EACH ROW.
 *
 * mode=error (default): an UPDATE that changes a listed column fails.  The
 * message names the column and table, never the values (they may be
 * secret).  mode=keep: the old values are silently kept.
 * ------------------------------------------------------------------------
 */
typedef struct ProtectState
{
	bool		keep;
	int			ncolumns;
	AttrNumber *columns;
} ProtectState;

static const char *const protect_modes[] = {"error", "keep", NULL};

static const OrmtOptionDef protect_options[] = {
	{"mode", ORMT_OPT_ENUM, protect_modes},
	{NULL}
};

const OrmtFuncSpec ormt_protect_columns_spec = {
	.name = "protect_columns",
	.timing = TRIGGER_TYPE_BEFORE,
	.row_ok = true,
	.statement_ok = false,
	.events = TRIGGER_TYPE_UPDATE,
	.required_events = TRIGGER_TYPE_UPDATE,
	.min_columns = 1,
	.max_columns = -1,
	.options = protect_options,
	.writes_columns = true,		/* its columns never really change */
};

void
ormt_protect_columns_build(OrmtTriggerEntry *entry, TriggerData *trigdata,
						   const OrmtArgs *args)
{
	ProtectState *st = palloc0(sizeof(ProtectState));
	const char *mode = ormt_option(args, "mode");

	st->keep = (mode != NULL && strcmp(mode, "keep") == 0);
	st->ncolumns = args->ncolumns;
	st->columns = palloc(sizeof(AttrNumber) * args->ncolumns);
	for (int i = 0; i < args->ncolumns; i++)
		st->columns[i] = ormt_resolve_column(entry, trigdata->tg_relation,
											 args->columns[i], false);
	entry->data = st;
}

Datum
protect_columns(PG_FUNCTION_ARGS)
{
	OrmtTriggerEntry *entry = ORMT_ENTRY(ormt_protect_columns_spec, ormt_protect_columns_build);
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	ProtectState *st = (ProtectState *) entry->data;
	TupleDesc	tupdesc = RelationGetDescr(trigdata->tg_relation);
	Replacements r;

	replacements_init(&r, st->ncolumns);
	for (int i = 0; i < st->ncolumns; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, st->columns[i] - 1);

		if (st->keep)
			keep_old_value(trigdata, att, &r);
		else if (!column_unchanged(trigdata->tg_trigslot, trigdata->tg_newslot, att))
			ereport(ERROR,
					(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
					 ormt_errtablecol(entry, NameStr(att->attname)),
					 errmsg("column \"%s\" of table \"%s\" cannot be changed",
							NameStr(att->attname), entry->relname),
					 errdetail("Trigger \"%s\" protects it.", entry->tgname),
					 errhint("Leave the column out of the UPDATE, or set it to its current value.")));
	}
	return return_row(trigdata, trigdata->tg_newtuple, &r);
}

/* ------------------------------------------------------------------------
 * set_actor(col [, 'on=insert'] [, 'ignore=c1,c2'])
 *
 * BEFORE INSERT OR UPDATE, FOR EACH ROW.
 *
 * The actor is the setting orm_triggers.actor when it is set and not empty,
 * else the session user.  It is converted with the column type's input
 * function (text, varchar, name, uuid, integers, and domains over them).
 * INSERT: a NULL column becomes the actor; a given value is kept (COPY and
 * restores keep their data; a client could assert any actor through the
 * setting anyway).
 * UPDATE: when the row changed (as update_last_modified decides it), the
 * column becomes the actor; on a no-op update, and always with on=insert
 * (created_by), the old value is kept.  ignore=c1,c2: changes to those
 * columns alone do not count (give it the same list as the table's
 * update_last_modified, so updated_by and updated_at move together).
 * ------------------------------------------------------------------------
 */
typedef struct ActorState
{
	AttrNumber	attnum;
	char	   *colname;
	char	   *typname;		/* the column's type, for messages */
	bool		insert_only;
	Oid			typid;
	int32		typmod;
	int16		typlen;
	bool		typbyval;
	FmgrInfo	input;
	Oid			typioparam;
	ChangeCheck changes;		/* UPDATE: set only when the row changed */
	bool		is_domain;		/* column type is a domain */
	void	   *domain_extra;	/* domain_check's cache */
	/* the last actor converted, and its value; both in entry->cxt */
	char	   *last_text;
	Datum		last_value;
} ActorState;

static const char *const actor_on[] = {"insert", "insert_or_update", NULL};

static const OrmtOptionDef actor_options[] = {
	{"on", ORMT_OPT_ENUM, actor_on},
	{"ignore", ORMT_OPT_COLUMNS, NULL},
	{NULL}
};

const OrmtFuncSpec ormt_set_actor_spec = {
	.name = "set_actor",
	.timing = TRIGGER_TYPE_BEFORE,
	.row_ok = true,
	.statement_ok = false,
	.events = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE,
	.required_events = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE,
	.min_columns = 1,
	.max_columns = 1,
	.options = actor_options,
	.writes_columns = true,
};

void
ormt_set_actor_build(OrmtTriggerEntry *entry, TriggerData *trigdata,
					 const OrmtArgs *args)
{
	Relation	rel = trigdata->tg_relation;
	ActorState *st = palloc0(sizeof(ActorState));
	const char *on = ormt_option(args, "on");
	Form_pg_attribute att;
	Oid			base;
	Oid			infunc;
	char		category;
	bool		preferred;

	st->attnum = ormt_resolve_column(entry, rel, args->columns[0], false);
	st->insert_only = (on != NULL && strcmp(on, "insert") == 0);
	att = TupleDescAttr(RelationGetDescr(rel), st->attnum - 1);
	base = getBaseType(att->atttypid);
	get_type_category_preferred(base, &category, &preferred);
	if (category != TYPCATEGORY_STRING &&
		base != UUIDOID && base != INT2OID && base != INT4OID && base != INT8OID)
		ormt_column_type_error(entry, rel, st->attnum,
							   "a text, varchar, name, uuid or integer column (or a domain over one)");

	st->colname = pstrdup(NameStr(att->attname));
	st->typname = format_type_with_typemod(att->atttypid, att->atttypmod);
	st->typid = att->atttypid;
	st->typmod = att->atttypmod;
	st->typlen = att->attlen;
	st->typbyval = att->attbyval;
	st->is_domain = (base != att->atttypid);
	getTypeInputInfo(att->atttypid, &infunc, &st->typioparam);
	fmgr_info_cxt(infunc, &st->input, CurrentMemoryContext);
	{
		bool	   *skip = palloc0(sizeof(bool) * (RelationGetDescr(rel)->natts + 1));

		skip[st->attnum] = true;
		ormt_mark_option_columns(entry, rel, args, "ignore", skip);
		change_check_build(&st->changes, trigdata, skip);
	}
	entry->data = st;
}

/*
 * Error context while the actor is converted to the column's type (by the
 * type's input function) or checked against its domain: the message is
 * theirs; this adds which value, column, table and trigger, what to set
 * instead, and (see below) the table and column error fields.  It uses only what the
 * entry resolved when it was built: no catalog access while an error is
 * being reported.
 */
typedef struct ActorErrorContext
{
	OrmtTriggerEntry *entry;
	ActorState *st;
	const char *text;
	bool		from_setting;
} ActorErrorContext;

static void
actor_error_callback(void *arg)
{
	ActorErrorContext *ctx = (ActorErrorContext *) arg;
	OrmtTriggerEntry *entry = ctx->entry;
	ActorState *st = ctx->st;

	if (ctx->from_setting)
	{
		errcontext("orm_triggers.actor \"%s\" as the value of column \"%s\" of table \"%s\", set by trigger \"%s\"",
				   ctx->text, st->colname, entry->relname, entry->tgname);
		errhint("SET orm_triggers.actor to a value of type %s.", st->typname);
	}
	else
	{
		errcontext("session user \"%s\" as the value of column \"%s\" of table \"%s\", set by trigger \"%s\"",
				   ctx->text, st->colname, entry->relname, entry->tgname);
		errhint("orm_triggers.actor is not set, so the trigger records the session user; SET orm_triggers.actor to a value of type %s.",
				st->typname);
	}

	/*
	 * The table and column fields, unless the column is a domain: a domain's
	 * errors carry its own schema, type and constraint fields (set by
	 * errdomainconstraint), and a field must not be set twice.  The base
	 * types' input functions set none.
	 */
	if (!st->is_domain)
		ormt_errtablecol(entry, st->colname);
}

/* The actor as a value of the column's type; the last one is cached. */
static Datum
actor_value(OrmtTriggerEntry *entry, ActorState *st)
{
	bool		from_setting = ormt_actor_is_setting();
	const char *text = ormt_actor_name();
	Datum		value;
	MemoryContext oldcxt;
	ActorErrorContext ctx;
	ErrorContextCallback errcallback;

	if (st->last_text != NULL && strcmp(st->last_text, text) == 0 &&
		!st->is_domain)
		return st->last_value;

	ctx.entry = entry;
	ctx.st = st;
	ctx.text = text;
	ctx.from_setting = from_setting;
	errcallback.callback = actor_error_callback;
	errcallback.arg = &ctx;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	if (st->last_text != NULL && strcmp(st->last_text, text) == 0)
	{
		/*
		 * The cached value, checked against the column's domain again: its
		 * constraints may have changed since the value was converted (ALTER
		 * DOMAIN does not invalidate the table's trigger cache).
		 * domain_check's own cache follows constraint changes.
		 */
		Assert(st->is_domain);
		domain_check(st->last_value, false, st->typid, &st->domain_extra,
					 entry->cxt);
		error_context_stack = errcallback.previous;
		return st->last_value;
	}

	/* the input function applies the domain's checks too */
	value = InputFunctionCall(&st->input, unconstify(char *, text),
							  st->typioparam, st->typmod);
	error_context_stack = errcallback.previous;

	/* remember it, in the entry's context */
	oldcxt = MemoryContextSwitchTo(entry->cxt);
	if (st->last_text != NULL)
	{
		pfree(st->last_text);
		if (!st->typbyval)
			pfree(DatumGetPointer(st->last_value));
		st->last_text = NULL;
	}
	st->last_value = datumCopy(value, st->typbyval, st->typlen);
	st->last_text = pstrdup(text);
	MemoryContextSwitchTo(oldcxt);
	return st->last_value;
}

Datum
set_actor(PG_FUNCTION_ARGS)
{
	OrmtTriggerEntry *entry = ORMT_ENTRY(ormt_set_actor_spec, ormt_set_actor_build);
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	ActorState *st = (ActorState *) entry->data;
	TupleDesc	tupdesc = RelationGetDescr(trigdata->tg_relation);
	Replacements r;

	replacements_init(&r, 1);
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		if (heap_attisnull(trigdata->tg_trigtuple, st->attnum, tupdesc))
			replace(&r, st->attnum, actor_value(entry, st), false);
		return return_row(trigdata, trigdata->tg_trigtuple, &r);
	}
	if (st->insert_only || !row_changed(trigdata, &st->changes))
		keep_old_value(trigdata, TupleDescAttr(tupdesc, st->attnum - 1), &r);
	else
	{
		Datum		value = actor_value(entry, st);
		bool		isnull;
		Datum		current = slot_getattr(trigdata->tg_newslot, st->attnum, &isnull);

		if (!ormt_datum_equal(current, isnull, value, false, st->typlen, st->typbyval))
			replace(&r, st->attnum, value, false);
	}
	return return_row(trigdata, trigdata->tg_newtuple, &r);
}
