/*-------------------------------------------------------------------------
 *
 * registry.c
 *		Every orm_triggers trigger function, and the SQL-callable functions
 *		that inspect attached triggers without firing them:
 *
 *	orm_triggers.validate_trigger(oid) -> boolean
 *		Runs the checks and resolution a trigger's first fire would run.
 *		Raises the same error when something is wrong; returns false for a
 *		trigger that is not an orm_triggers one.  Used by the DDL event
 *		trigger and orm_triggers.check_triggers().
 *	orm_triggers.trigger_arguments(oid) -> text[]
 *		A trigger's arguments as an array (pg_trigger.tgargs is bytea).
 *	orm_triggers.row_trigger_clause(text) -> text
 *		"BEFORE INSERT OR UPDATE" for a function's row form, from its spec
 *		(attach() uses it); NULL for an unknown function.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "orm_triggers.h"

PG_FUNCTION_INFO_V1(ormt_validate_trigger);
PG_FUNCTION_INFO_V1(ormt_trigger_arguments);
PG_FUNCTION_INFO_V1(ormt_row_trigger_clause);

typedef struct OrmtRegistered
{
	const OrmtFuncSpec *spec;
	OrmtBuildFunc build;
} OrmtRegistered;

#define REGISTER(fname) {&ormt_##fname##_spec, ormt_##fname##_build}

static const OrmtRegistered registry[] = {
	REGISTER(update_last_modified),
	REGISTER(set_created_at),
	REGISTER(protect_columns),
	REGISTER(set_actor),
	REGISTER(increment_version),
	REGISTER(soft_delete),
	REGISTER(notify_change),
	REGISTER(audit),
	REGISTER(counter_cache),
	REGISTER(touch_parent),
	REGISTER(versioning),
};

/* The registered function fn, or NULL when it is not one of ours. */
static const OrmtRegistered *
lookup_function(Oid fn)
{
	Oid			nsp = get_namespace_oid("orm_triggers", true);
	char	   *name;

	if (!OidIsValid(nsp) || get_func_namespace(fn) != nsp)
		return NULL;
	name = get_func_name(fn);
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < lengthof(registry); i++)
		if (strcmp(registry[i].spec->name, name) == 0)
			return &registry[i];
	return NULL;
}

/*
 * The spec of function funcoid when it is one of ours, else NULL.  Used at
 * build time only (it looks the function up in the catalogs).
 */
const OrmtFuncSpec *
ormt_lookup_spec(Oid funcoid)
{
	const OrmtRegistered *fn = lookup_function(funcoid);

	return fn ? fn->spec : NULL;
}

Datum
ormt_validate_trigger(PG_FUNCTION_ARGS)
{
	Oid			tgoid = PG_GETARG_OID(0);
	HeapTuple	tup = ormt_fetch_trigger(tgoid);
	Form_pg_trigger tgform;
	const OrmtRegistered *fn;
	Relation	rel;
	TriggerData trigdata;
	TriggerDesc *trigdesc;
	Trigger    *trigger = NULL;

	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("trigger with OID %u does not exist", tgoid)));
	tgform = (Form_pg_trigger) GETSTRUCT(tup);
	fn = lookup_function(tgform->tgfoid);
	if (fn == NULL)
		PG_RETURN_BOOL(false);

	rel = relation_open(tgform->tgrelid, AccessShareLock);

	/*
	 * Work on a copy of the trigger descriptor, as the executor does: the
	 * build's catalog lookups accept invalidations, and a relcache rebuild
	 * may free the relation's own.
	 */
	trigdesc = rel->trigdesc ? CopyTriggerDesc(rel->trigdesc) : NULL;
	for (int i = 0; trigdesc && i < trigdesc->numtriggers; i++)
		if (trigdesc->triggers[i].tgoid == tgoid)
			trigger = &trigdesc->triggers[i];
	if (trigger == NULL)
		elog(ERROR, "trigger %u not found in the trigger descriptor of relation %u",
			 tgoid, tgform->tgrelid);

	memset(&trigdata, 0, sizeof(trigdata));
	trigdata.type = T_TriggerData;
	trigdata.tg_relation = rel;
	trigdata.tg_trigger = trigger;
	ormt_validate(fn->spec, fn->build, &trigdata);

	FreeTriggerDesc(trigdesc);
	relation_close(rel, AccessShareLock);
	PG_RETURN_BOOL(true);
}

Datum
ormt_trigger_arguments(PG_FUNCTION_ARGS)
{
	Oid			tgoid = PG_GETARG_OID(0);
	HeapTuple	tup = ormt_fetch_trigger(tgoid);
	Relation	tgrel;
	int			nargs;
	Datum	   *elems;
	Datum		raw;
	bytea	   *args;
	bool		isnull;
	const char *p;
	const char *end;

	if (!HeapTupleIsValid(tup))
		PG_RETURN_NULL();
	nargs = ((Form_pg_trigger) GETSTRUCT(tup))->tgnargs;
	tgrel = table_open(TriggerRelationId, AccessShareLock);
	raw = heap_getattr(tup, Anum_pg_trigger_tgargs, RelationGetDescr(tgrel), &isnull);
	table_close(tgrel, AccessShareLock);

	elems = palloc(sizeof(Datum) * (nargs + 1));
	if (isnull)
		nargs = 0;
	else
	{
		args = DatumGetByteaPP(raw);
		p = VARDATA_ANY(args);
		end = p + VARSIZE_ANY_EXHDR(args);
		for (int i = 0; i < nargs; i++)
		{
			size_t		len = strnlen(p, end - p);

			if (p + len >= end)
				elog(ERROR, "invalid tgargs for trigger %u", tgoid);
			elems[i] = PointerGetDatum(cstring_to_text_with_len(p, len));
			p += len + 1;
		}
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, nargs, TEXTOID, -1, false, TYPALIGN_INT));
}

Datum
ormt_row_trigger_clause(PG_FUNCTION_ARGS)
{
	static const struct
	{
		int16		bit;
		const char *name;
	}			triggerdef_order[] = {
		{TRIGGER_TYPE_INSERT, "INSERT"},
		{TRIGGER_TYPE_DELETE, "DELETE"},
		{TRIGGER_TYPE_UPDATE, "UPDATE"},
	};
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const char *sep = " ";
	StringInfoData buf;

	for (size_t i = 0; i < lengthof(registry); i++)
	{
		const OrmtFuncSpec *spec = registry[i].spec;

		if (strcmp(spec->name, name) != 0 || !spec->row_ok)
			continue;

		/*
		 * A row trigger: every event the function takes but TRUNCATE, in the
		 * order pg_get_triggerdef() prints them, so that attach() recognises
		 * a trigger it created before and leaves it alone.
		 */
		initStringInfo(&buf);
		appendStringInfoString(&buf, spec->timing == TRIGGER_TYPE_BEFORE ? "BEFORE" : "AFTER");
		for (size_t j = 0; j < lengthof(triggerdef_order); j++)
		{
			if ((spec->events & triggerdef_order[j].bit) == 0)
				continue;
			appendStringInfo(&buf, "%s%s", sep, triggerdef_order[j].name);
			sep = " OR ";
		}
		PG_RETURN_TEXT_P(cstring_to_text(buf.data));
	}
	PG_RETURN_NULL();
}
