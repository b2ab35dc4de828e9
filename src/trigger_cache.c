/*-------------------------------------------------------------------------
 *
 * trigger_cache.c
 *		Per-trigger resolved state, shared firing-context validation and
 *		argument parsing for all orm_triggers functions.
 *
 * A trigger's arguments are parsed, its columns and types resolved and its
 * SPI plans prepared once, on its first fire in a backend.  The result is
 * kept in a hash table keyed by the trigger's OID, in a long-lived memory
 * context.  A relcache invalidation of the trigger's table (ALTER TABLE,
 * CREATE OR REPLACE TRIGGER, ALTER TRIGGER) or of any relation the entry
 * registered as a dependency marks the entry stale; the next fire rebuilds
 * it.  The callback only marks; freeing happens at rebuild time.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "access/sysattr.h"
#include "catalog/heap.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "orm_triggers.h"

static HTAB *ormt_cache = NULL;
static MemoryContext ormt_cache_cxt = NULL;

/*
 * Relcache invalidation: mark every entry that depends on relid stale.
 * InvalidOid means "all relations".
 */
static void
ormt_relcache_callback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	OrmtTriggerEntry *entry;

	hash_seq_init(&status, ormt_cache);
	while ((entry = (OrmtTriggerEntry *) hash_seq_search(&status)) != NULL)
	{
		bool		match = (relid == InvalidOid || entry->relid == relid);

		for (int i = 0; !match && i < entry->ndeps; i++)
			match = (entry->deps[i] == relid);
		if (match)
		{
			/* also while it is being rebuilt: see ormt_trigger_entry */
			entry->valid = false;
			entry->invalidations++;
		}
	}
}

void
ormt_cache_init(void)
{
	HASHCTL		ctl;

	if (ormt_cache != NULL)
		return;

	ormt_cache_cxt = AllocSetContextCreate(TopMemoryContext,
										   "orm_triggers trigger cache",
										   ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(OrmtTriggerEntry);
	ctl.hcxt = ormt_cache_cxt;
	ormt_cache = hash_create("orm_triggers trigger cache", 64, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(ormt_relcache_callback, (Datum) 0);
}

/*
 * Relation and trigger names for messages.  Both are taken from the live
 * trigger data, so they are right even while an entry is being built.
 */
static const char *
tgname_of(TriggerData *trigdata)
{
	return trigdata->tg_trigger->tgname;
}

static const char *
relname_of(TriggerData *trigdata)
{
	return RelationGetRelationName(trigdata->tg_relation);
}

/* "INSERT OR UPDATE" for a set of TRIGGER_TYPE_* event bits. */
char *
ormt_events_text(int16 events, const char *sep)
{
	StringInfoData buf;
	static const struct
	{
		int16		bit;
		const char *name;
	}			names[] =
	{
		{TRIGGER_TYPE_INSERT, "INSERT"},
		{TRIGGER_TYPE_UPDATE, "UPDATE"},
		{TRIGGER_TYPE_DELETE, "DELETE"},
		{TRIGGER_TYPE_TRUNCATE, "TRUNCATE"},
	};

	initStringInfo(&buf);
	for (size_t i = 0; i < lengthof(names); i++)
	{
		if (events & names[i].bit)
		{
			if (buf.len > 0)
				appendStringInfoString(&buf, sep);
			appendStringInfoString(&buf, names[i].name);
		}
	}
	return buf.data;
}

/*
 * The CREATE TRIGGER statement that would be right, for hints.  With
 * own_args the trigger's actual arguments are shown (the problem is
 * elsewhere); otherwise a column placeholder.
 */
static char *
usage_hint(const OrmtFuncSpec *spec, TriggerData *trigdata, bool own_args)
{
	StringInfoData buf;
	Trigger    *tg = trigdata->tg_trigger;
	Relation	rel = trigdata->tg_relation;
	int16		events = spec->events;

	initStringInfo(&buf);
	/* row triggers cannot fire on TRUNCATE */
	if (spec->row_ok)
		events &= ~TRIGGER_TYPE_TRUNCATE;
	appendStringInfo(&buf, "CREATE TRIGGER %s %s %s ON %s FOR EACH %s EXECUTE FUNCTION orm_triggers.%s(",
					 quote_identifier(tg->tgname),
					 spec->timing == TRIGGER_TYPE_BEFORE ? "BEFORE" : "AFTER",
					 ormt_events_text(events, " OR "),
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												RelationGetRelationName(rel)),
					 spec->row_ok ? "ROW" : "STATEMENT",
					 spec->name);
	if (own_args)
	{
		for (int i = 0; i < tg->tgnargs; i++)
		{
			if (i > 0)
				appendStringInfoString(&buf, ", ");
			appendStringInfoString(&buf, quote_literal_cstr(tg->tgargs[i]));
		}
	}
	else if (spec->max_columns != 0)
		appendStringInfoString(&buf, "'column_name'");
	appendStringInfoString(&buf, ")");
	return buf.data;
}

/*
 * Check timing, level, events and relation kind of the trigger against what
 * the function accepts.  These are properties of the trigger, not of the
 * event being fired, so checking them once per entry catches every misuse
 * on the first fire, whatever statement fires first.
 */
static void
check_firing_context(const OrmtFuncSpec *spec, TriggerData *trigdata)
{
	int16		tgtype = trigdata->tg_trigger->tgtype;
	int16		timing = tgtype & TRIGGER_TYPE_TIMING_MASK;
	int16		declared = tgtype & (TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE |
									 TRIGGER_TYPE_DELETE | TRIGGER_TYPE_TRUNCATE);
	char		relkind = trigdata->tg_relation->rd_rel->relkind;
	bool		is_row = TRIGGER_FOR_ROW(tgtype);

	if (relkind != RELKIND_RELATION &&
		relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("trigger \"%s\" on \"%s\" must be attached to a table",
						tgname_of(trigdata), relname_of(trigdata)),
				 errdetail("\"%s\" is a view; orm_triggers.%s works on tables, partitioned tables and foreign tables.",
						   relname_of(trigdata), spec->name),
				 errhint("Attach the trigger to the table the view writes to.")));

	if (timing != spec->timing)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on table \"%s\" must be fired %s",
						tgname_of(trigdata), relname_of(trigdata),
						spec->timing == TRIGGER_TYPE_BEFORE ? "BEFORE" : "AFTER"),
				 errdetail("It was created as %s trigger.",
						   timing == TRIGGER_TYPE_BEFORE ? "a BEFORE" :
						   timing == TRIGGER_TYPE_INSTEAD ? "an INSTEAD OF" : "an AFTER"),
				 errhint("Create it as: %s.", usage_hint(spec, trigdata, true))));

	if ((is_row && !spec->row_ok) || (!is_row && !spec->statement_ok))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on table \"%s\" must be fired FOR EACH %s",
						tgname_of(trigdata), relname_of(trigdata),
						is_row ? "STATEMENT" : "ROW"),
				 errhint("Create it as: %s.", usage_hint(spec, trigdata, true))));

	if ((declared & ~spec->events) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on table \"%s\" must not be fired on %s",
						tgname_of(trigdata), relname_of(trigdata),
						ormt_events_text(declared & ~spec->events, " or ")),
				 errdetail("orm_triggers.%s handles %s only.",
						   spec->name, ormt_events_text(spec->events, " and ")),
				 errhint("Create it as: %s.", usage_hint(spec, trigdata, true))));

	if ((declared & spec->required_events) != spec->required_events)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on table \"%s\" must be fired on %s",
						tgname_of(trigdata), relname_of(trigdata),
						ormt_events_text(spec->required_events, " and ")),
				 errdetail("Without %s the trigger cannot keep its column right for every writer.",
						   ormt_events_text(spec->required_events & ~declared, " and ")),
				 errhint("Create it as: %s.", usage_hint(spec, trigdata, true))));
}

/* "a, b, c" of the option names a function accepts. */
static char *
option_names(const OrmtFuncSpec *spec)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (const OrmtOptionDef *def = spec->options; def && def->name; def++)
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", def->name);
	return buf.data;
}

/*
 * Parse one column name from *p up to the separator sep (or end of string):
 * a double-quoted identifier ("" is a quote) or raw text with surrounding
 * spaces trimmed.  Returns NULL on a syntax error.  Advances *p past the
 * separator.
 */
static char *
parse_column_item(const char **p, char sep)
{
	const char *s = *p;
	StringInfoData buf;

	initStringInfo(&buf);
	while (*s == ' ')
		s++;
	if (*s == '"')
	{
		s++;
		for (;;)
		{
			if (*s == '\0')
				return NULL;	/* unterminated */
			if (*s == '"')
			{
				if (s[1] == '"')
				{
					appendStringInfoChar(&buf, '"');
					s += 2;
					continue;
				}
				s++;
				break;
			}
			appendStringInfoChar(&buf, *s++);
		}
		while (*s == ' ')
			s++;
		if (*s != '\0' && *s != sep)
			return NULL;		/* text after the closing quote */
	}
	else
	{
		const char *start = s;
		const char *end;

		while (*s != '\0' && *s != sep)
			s++;
		end = s;
		while (end > start && end[-1] == ' ')
			end--;
		appendBinaryStringInfo(&buf, start, end - start);
	}
	if (buf.len == 0)
		return NULL;
	if (*s == sep && sep != '\0')
		s++;
	*p = s;
	return buf.data;
}

/* Split "a, b,\"c,d\"" into a List of names; NIL on a syntax error. */
static List *
split_columns(const char *raw)
{
	List	   *result = NIL;
	const char *p = raw;

	while (*p != '\0')
	{
		char	   *item = parse_column_item(&p, ',');

		if (item == NULL)
			return NIL;
		result = lappend(result, item);
		/* "a," ends right after a separator: an empty last item */
		if (*p == '\0' && p[-1] == ',')
			return NIL;
	}
	return result;
}

/* Length of the option name if arg looks like name=value, else 0. */
static int
option_name_length(const char *arg)
{
	int			i = 0;

	if (!((arg[0] >= 'a' && arg[0] <= 'z') || arg[0] == '_'))
		return 0;
	while ((arg[i] >= 'a' && arg[i] <= 'z') || (arg[i] >= '0' && arg[i] <= '9') || arg[i] == '_')
		i++;
	return arg[i] == '=' ? i : 0;
}

static void
parse_args(const OrmtFuncSpec *spec, TriggerData *trigdata, OrmtArgs *args)
{
	Trigger    *tg = trigdata->tg_trigger;

	args->ncolumns = 0;
	args->noptions = 0;
	args->columns = palloc(sizeof(char *) * (tg->tgnargs + 1));
	args->options = palloc(sizeof(OrmtOptionValue) * (tg->tgnargs + 1));

	for (int i = 0; i < tg->tgnargs; i++)
	{
		const char *arg = tg->tgargs[i];
		int			namelen = option_name_length(arg);

		if (namelen > 0)
		{
			const OrmtOptionDef *def = NULL;
			const char *value = arg + namelen + 1;

			for (const OrmtOptionDef *d = spec->options; d && d->name; d++)
			{
				if (strlen(d->name) == (size_t) namelen && strncmp(d->name, arg, namelen) == 0)
					def = d;
			}
			if (def == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown option \"%.*s\" in trigger \"%s\" on table \"%s\"",
								namelen, arg, tgname_of(trigdata), relname_of(trigdata)),
						 spec->options && spec->options[0].name ?
						 errdetail("orm_triggers.%s accepts the options %s.",
								   spec->name, option_names(spec)) :
						 errdetail("orm_triggers.%s accepts no options.", spec->name),
						 errhint("To name a column whose name contains \"=\", put it in double quotes: '\"%s\"'.",
								 arg)));
			for (int j = 0; j < args->noptions; j++)
			{
				if (args->options[j].def == def)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("option \"%s\" given twice in trigger \"%s\" on table \"%s\"",
									def->name, tgname_of(trigdata), relname_of(trigdata)),
							 errhint("Give each option once.")));
			}

			switch (def->type)
			{
				case ORMT_OPT_BOOL:
					{
						bool		b;

						if (!parse_bool(value, &b))
							ereport(ERROR,
									(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
									 errmsg("invalid value \"%s\" for option \"%s\" in trigger \"%s\" on table \"%s\"",
											value, def->name, tgname_of(trigdata), relname_of(trigdata)),
									 errhint("Write '%s=true' or '%s=false'.", def->name, def->name)));
						break;
					}
				case ORMT_OPT_ENUM:
					{
						bool		found = false;
						StringInfoData choices;

						initStringInfo(&choices);
						for (const char *const *c = def->choices; *c; c++)
						{
							if (strcmp(*c, value) == 0)
								found = true;
							appendStringInfo(&choices, "%s'%s=%s'",
											 choices.len > 0 ? " or " : "", def->name, *c);
						}
						if (!found)
							ereport(ERROR,
									(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
									 errmsg("invalid value \"%s\" for option \"%s\" in trigger \"%s\" on table \"%s\"",
											value, def->name, tgname_of(trigdata), relname_of(trigdata)),
									 errhint("Write %s.", choices.data)));
						break;
					}
				case ORMT_OPT_COLUMNS:
					if (split_columns(value) == NIL)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("invalid column list \"%s\" for option \"%s\" in trigger \"%s\" on table \"%s\"",
										value, def->name, tgname_of(trigdata), relname_of(trigdata)),
								 errhint("Write '%s=col1,col2'; double-quote a name that contains a comma or a quote.",
										 def->name)));
					break;
				case ORMT_OPT_IDENT:
					if (value[0] == '\0' || strlen(value) >= NAMEDATALEN)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("invalid value \"%s\" for option \"%s\" in trigger \"%s\" on table \"%s\"",
										value, def->name, tgname_of(trigdata), relname_of(trigdata)),
								 errhint("Write a name of 1 to %d bytes.", NAMEDATALEN - 1)));
					break;
			}
			args->options[args->noptions].def = def;
			args->options[args->noptions].raw = pstrdup(value);
			args->noptions++;
		}
		else
		{
			const char *p = arg;
			char	   *col = (arg[0] == '"') ? parse_column_item(&p, '\0') : pstrdup(arg);

			/*
			 * "schema"."table": a qualified table name (versioning's history
			 * table), kept as written for the function to parse.
			 */
			if (col == NULL && arg[0] == '"' && strstr(arg, "\".") != NULL)
				col = pstrdup(arg);
			if (col == NULL || col[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid column name argument \"%s\" in trigger \"%s\" on table \"%s\"",
								arg, tgname_of(trigdata), relname_of(trigdata)),
						 errhint("Write the column name as it is, or in double quotes with \"\" for a quote.")));
			for (int j = 0; j < args->ncolumns; j++)
			{
				if (strcmp(args->columns[j], col) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("column \"%s\" named twice in trigger \"%s\" on table \"%s\"",
									col, tgname_of(trigdata), relname_of(trigdata)),
							 errhint("Name each column once.")));
			}
			args->columns[args->ncolumns++] = col;
		}
	}

	if (args->ncolumns < spec->min_columns)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trigger \"%s\" on table \"%s\" needs %s column name argument",
						tgname_of(trigdata), relname_of(trigdata),
						spec->max_columns == spec->min_columns ? "a" : "at least one"),
				 errhint("Create it as: %s.", usage_hint(spec, trigdata, false))));
	if (spec->max_columns >= 0 && args->ncolumns > spec->max_columns)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trigger \"%s\" on table \"%s\" has too many column name arguments",
						tgname_of(trigdata), relname_of(trigdata)),
				 spec->max_columns == 0 ?
				 errdetail("orm_triggers.%s takes no column names, only options.", spec->name) :
				 errdetail("orm_triggers.%s takes %d column name, got %d.",
						   spec->name, spec->max_columns, args->ncolumns),
				 errhint("Attach one trigger per column, or check the option spelling (name=value).")));
}

/*
 * Validate the trigger and resolve its arguments into entry, allocating in
 * the current memory context.
 */
static void
build_entry(OrmtTriggerEntry *entry, const OrmtFuncSpec *spec,
			OrmtBuildFunc build, TriggerData *trigdata)
{
	OrmtArgs	args;

	entry->spec = spec;
	entry->relid = RelationGetRelid(trigdata->tg_relation);
	entry->tgname = pstrdup(tgname_of(trigdata));
	entry->relname = pstrdup(relname_of(trigdata));

	check_firing_context(spec, trigdata);
	parse_args(spec, trigdata, &args);
	if (build)
		build(entry, trigdata, &args);
}

/*
 * Check a trigger as its first fire would, without firing it and without
 * touching the cache: everything is built into a throwaway entry.  Raises
 * the same errors.
 */
void
ormt_validate(const OrmtFuncSpec *spec, OrmtBuildFunc build,
			  TriggerData *trigdata)
{
	OrmtTriggerEntry entry;
	MemoryContext cxt;
	MemoryContext oldcxt;

	memset(&entry, 0, sizeof(entry));
	entry.tgoid = trigdata->tg_trigger->tgoid;
	cxt = AllocSetContextCreate(CurrentMemoryContext,
								"orm_triggers validation",
								ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	build_entry(&entry, spec, build, trigdata);
	MemoryContextSwitchTo(oldcxt);
	for (int i = 0; i < entry.nplans; i++)
		SPI_freeplan(entry.plans[i]);
	MemoryContextDelete(cxt);
}

/*
 * Return the cache entry of the trigger being fired, building it on first
 * use and after invalidation.  The entry pointer is also kept in fn_extra,
 * so within one statement the per-row cost is a few comparisons.
 */
OrmtTriggerEntry *
ormt_trigger_entry(FunctionCallInfo fcinfo, const OrmtFuncSpec *spec,
				   OrmtBuildFunc build)
{
	TriggerData *trigdata;
	OrmtTriggerEntry *entry;
	Oid			tgoid;
	bool		found;
	MemoryContext buildcxt;
	MemoryContext oldcxt;
	uint32		invalidations;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"orm_triggers.%s\" was not called by trigger manager",
						spec->name),
				 errhint("Attach it with CREATE TRIGGER ... EXECUTE FUNCTION orm_triggers.%s(...).",
						 spec->name)));

	trigdata = (TriggerData *) fcinfo->context;
	tgoid = trigdata->tg_trigger->tgoid;

	entry = (OrmtTriggerEntry *) fcinfo->flinfo->fn_extra;
	if (likely(entry != NULL && entry->valid && entry->tgoid == tgoid &&
			   entry->spec == spec))
		return entry;

	ormt_cache_init();
	entry = (OrmtTriggerEntry *) hash_search(ormt_cache, &tgoid, HASH_ENTER, &found);
	if (!found)
	{
		entry->valid = false;
		entry->invalidations = 0;
		entry->relid = InvalidOid;
		entry->ndeps = 0;
		entry->nplans = 0;
		entry->cxt = NULL;
	}
	if (entry->valid && entry->spec == spec)
	{
		fcinfo->flinfo->fn_extra = entry;
		return entry;
	}

	/*
	 * (Re)build.  Forget the old state first, so that if anything below
	 * fails the entry is left invalid and empty, never half-built.
	 */
	entry->valid = false;
	for (int i = 0; i < entry->nplans; i++)
		SPI_freeplan(entry->plans[i]);
	entry->nplans = 0;
	entry->ndeps = 0;
	entry->data = NULL;
	entry->tgname = NULL;
	entry->relname = NULL;
	if (entry->cxt != NULL)
		MemoryContextDelete(entry->cxt);
	entry->cxt = NULL;

	/*
	 * Build in a context under the current (transaction-lifetime) one: an
	 * error frees it with the transaction.  Only on success is it moved under
	 * the long-lived cache context.
	 */
	buildcxt = AllocSetContextCreate(CurrentMemoryContext,
									 "orm_triggers trigger entry",
									 ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(buildcxt);

	invalidations = entry->invalidations;
	build_entry(entry, spec, build, trigdata);
	MemoryContextSetIdentifier(buildcxt, entry->tgname);

	MemoryContextSwitchTo(oldcxt);
	MemoryContextSetParent(buildcxt, ormt_cache_cxt);
	entry->cxt = buildcxt;

	/*
	 * Catalog lookups during the build accept invalidation messages.  One
	 * that concerned this entry may have come after part of it was read:
	 * use what was built for this call, and rebuild at the next.
	 */
	entry->valid = (entry->invalidations == invalidations);
	fcinfo->flinfo->fn_extra = entry;
	return entry;
}

/* Rebuild the entry when relid is invalidated too (a target table, say). */
void
ormt_cache_add_dependency(OrmtTriggerEntry *entry, Oid relid)
{
	if (relid == entry->relid)
		return;
	for (int i = 0; i < entry->ndeps; i++)
		if (entry->deps[i] == relid)
			return;
	if (entry->ndeps >= ORMT_MAX_DEPENDENCIES)
		elog(ERROR, "orm_triggers: too many dependencies for trigger \"%s\"",
			 entry->tgname);
	entry->deps[entry->ndeps++] = relid;
}

/* Take ownership of a plan: SPI_keepplan it, free it on rebuild. */
void
ormt_cache_keep_plan(OrmtTriggerEntry *entry, SPIPlanPtr plan)
{
	if (entry->nplans >= ORMT_MAX_PLANS)
		elog(ERROR, "orm_triggers: too many plans for trigger \"%s\"",
			 entry->tgname);
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	entry->plans[entry->nplans++] = plan;
}

/*
 * Prepare sql in its own SPI connection and keep the plan in the entry
 * (freed on rebuild).  For build callbacks.
 */
SPIPlanPtr
ormt_cache_prepare(OrmtTriggerEntry *entry, const char *sql, int nargs,
				   Oid *argtypes, int cursor_options)
{
	SPIPlanPtr	plan;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare_cursor(sql, nargs, argtypes, cursor_options);
	if (plan == NULL)
		elog(ERROR, "orm_triggers: could not prepare \"%s\" for trigger \"%s\": %s",
			 sql, entry->tgname, SPI_result_code_string(SPI_result));
	ormt_cache_keep_plan(entry, plan);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	return plan;
}

/* Raw value of option name, or NULL when not given. */
const char *
ormt_option(const OrmtArgs *args, const char *name)
{
	for (int i = 0; i < args->noptions; i++)
		if (strcmp(args->options[i].def->name, name) == 0)
			return args->options[i].raw;
	return NULL;
}

bool
ormt_option_bool(OrmtTriggerEntry *entry, const OrmtArgs *args,
				 const char *name, bool dflt)
{
	const char *raw = ormt_option(args, name);
	bool		result;

	if (raw == NULL)
		return dflt;
	if (!parse_bool(raw, &result))
		elog(ERROR, "option \"%s\" of trigger \"%s\" was not validated",
			 name, entry->tgname);
	return result;
}

/* The column names of a list option (NIL when not given). */
List *
ormt_option_columns(const OrmtArgs *args, const char *name)
{
	const char *raw = ormt_option(args, name);

	return raw ? split_columns(raw) : NIL;
}

/*
 * Attribute number of a user column of rel, by exact name.  System columns,
 * dropped columns and (unless allowed) generated columns are errors: a
 * BEFORE trigger sees undefined values in generated columns.
 */
AttrNumber
ormt_resolve_column(OrmtTriggerEntry *entry, Relation rel,
					const char *colname, bool allow_generated)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);

	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (att->attisdropped || strcmp(NameStr(att->attname), colname) != 0)
			continue;
		if (att->attgenerated && !allow_generated)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
					 errmsg("column \"%s\" named by trigger \"%s\" on table \"%s\" is a generated column",
							colname, entry->tgname, entry->relname),
					 errdetail("Generated columns are computed after BEFORE triggers run; orm_triggers.%s cannot set or read them.",
							   entry->spec->name),
					 errhint("Name a regular column.")));
		return att->attnum;
	}

	if (SystemAttributeByName(colname) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
				 errmsg("column \"%s\" named by trigger \"%s\" on table \"%s\" is a system column",
						colname, entry->tgname, entry->relname),
				 errhint("Name a regular column.")));

	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("column \"%s\" named by trigger \"%s\" does not exist in table \"%s\"",
					colname, entry->tgname, entry->relname),
			 strchr(colname, '=') != NULL && option_names(entry->spec)[0] != '\0' ?
			 errhint("If this was meant as an option, write it in lower case as name=value with no spaces (options of orm_triggers.%s: %s).",
					 entry->spec->name, option_names(entry->spec)) :
			 strchr(colname, '=') != NULL ?
			 errhint("orm_triggers.%s takes no options; name an existing column.",
					 entry->spec->name) :
			 strlen(colname) >= NAMEDATALEN ?
			 errhint("Column names are at most %d bytes; trigger arguments are not truncated the way identifiers are.",
					 NAMEDATALEN - 1) :
			 errhint("Column names are matched exactly (case, spaces and all); create the trigger again with an existing column.")));
	return InvalidAttrNumber;	/* keep compiler quiet */
}

/*
 * Mark in skip[] (indexed by attnum) the columns that other orm_triggers
 * BEFORE UPDATE row triggers on rel own: update_last_modified,
 * set_created_at, set_actor, increment_version, protect_columns (whose
 * columns never really change: their writes are reverted or rejected) and
 * versioning (its period column).
 * A trigger deciding
 * whether a row changed must not count what another stamping trigger
 * wrote, or the answer would depend on the order the triggers fire in
 * (set_actor's new updated_by would bump updated_at on a no-op update).
 * Adding or dropping a trigger invalidates the relcache, so the entries
 * that used this are rebuilt.
 */
void
ormt_mark_stamped_columns(Relation rel, Oid self, bool *skip)
{
	static const char *const stampers[] = {
		"update_last_modified", "set_created_at", "set_actor",
		"increment_version", "protect_columns", "versioning"
	};
	TriggerDesc *trigdesc;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	Oid			nsp;

	if (rel->trigdesc == NULL)
		return;

	/*
	 * A copy: the catalog lookups below accept invalidation messages, and a
	 * relcache rebuild may free the relation's trigger descriptor.
	 */
	trigdesc = CopyTriggerDesc(rel->trigdesc);
	nsp = get_namespace_oid("orm_triggers", true);
	for (int i = 0; i < trigdesc->numtriggers; i++)
	{
		Trigger    *tg = &trigdesc->triggers[i];
		char	   *fname;
		bool		stamper = false;

		if (tg->tgoid == self || tg->tgenabled == TRIGGER_DISABLED ||
			!TRIGGER_FOR_ROW(tg->tgtype) || !TRIGGER_FOR_BEFORE(tg->tgtype) ||
			!TRIGGER_FOR_UPDATE(tg->tgtype) || get_func_namespace(tg->tgfoid) != nsp)
			continue;
		fname = get_func_name(tg->tgfoid);
		for (size_t j = 0; j < lengthof(stampers); j++)
			if (fname != NULL && strcmp(fname, stampers[j]) == 0)
				stamper = true;
		if (!stamper)
			continue;
		for (int a = 0; a < tg->tgnargs; a++)
		{
			const char *arg = tg->tgargs[a];
			const char *p = arg;
			char	   *col;

			if (option_name_length(arg) > 0)
				continue;
			col = (arg[0] == '"') ? parse_column_item(&p, '\0') : pstrdup(arg);
			if (col == NULL)
				continue;
			for (int k = 0; k < tupdesc->natts; k++)
			{
				Form_pg_attribute att = TupleDescAttr(tupdesc, k);

				if (!att->attisdropped && strcmp(NameStr(att->attname), col) == 0)
					skip[att->attnum] = true;
			}
		}
	}
	FreeTriggerDesc(trigdesc);
}

/* The column's type with domains looked through. */
Oid
ormt_column_base_type(Relation rel, AttrNumber attnum)
{
	return getBaseType(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid);
}

void
ormt_column_type_error(OrmtTriggerEntry *entry, Relation rel,
					   AttrNumber attnum, const char *expected)
{
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);

	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column \"%s\" named by trigger \"%s\" on table \"%s\" has the wrong type",
					NameStr(att->attname), entry->tgname, entry->relname),
			 errdetail("orm_triggers.%s needs %s; the column is %s.",
					   entry->spec->name, expected,
					   format_type_with_typemod(att->atttypid, att->atttypmod)),
			 errhint("Name a column of a supported type, or change the column's type.")));
}

/*
 * Where the value of attribute attnum starts in the data of tuple, or NULL
 * when it is NULL or missing (added to the table after the tuple was
 * written).  The same walk heap_deform_tuple makes, stopped early.
 */
static char *
attribute_pointer(HeapTuple tuple, TupleDesc tupdesc, int attnum)
{
	HeapTupleHeader td = tuple->t_data;
	bool		hasnulls = HeapTupleHasNulls(tuple);
	bits8	   *bp = td->t_bits;
	char	   *tp = (char *) td + td->t_hoff;
	uint32		off = 0;

	if (attnum > HeapTupleHeaderGetNatts(td) ||
		(hasnulls && att_isnull(attnum - 1, bp)))
		return NULL;
	for (int i = 0; i < attnum; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (hasnulls && att_isnull(i, bp))
			continue;
		if (att->attlen == -1)
			off = att_align_pointer(off, att->attalign, -1, tp + off);
		else
			off = att_align_nominal(off, att->attalign);
		if (i == attnum - 1)
			return tp + off;
		off = att_addlength_pointer(off, att->attlen, tp + off);
	}
	return NULL;				/* not reached */
}

/* Replacements the fast path of ormt_modify_tuple takes at most. */
#define ORMT_INPLACE_MAX 8

/*
 * A copy of tuple with n columns replaced, for a BEFORE trigger to return
 * (the stamps, increment_version).  When every replacement is a non-NULL
 * pass-by-value value going where the tuple already holds a non-NULL one
 * (a timestamp over a timestamp, a version over a version: the usual case),
 * the layout does not change, and the copy is the tuple's bytes with those
 * values written over; otherwise heap_modify_tuple_by_cols deforms and
 * forms the whole row.
 */
HeapTuple
ormt_modify_tuple(HeapTuple tuple, TupleDesc tupdesc, int n, const int *attnums,
				  const Datum *values, const bool *nulls)
{
	char	   *where[ORMT_INPLACE_MAX];
	int			i;

	for (i = 0; i < n && i < ORMT_INPLACE_MAX; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, attnums[i] - 1);

		if (nulls[i] || !att->attbyval || att->attlen <= 0 ||
			(where[i] = attribute_pointer(tuple, tupdesc, attnums[i])) == NULL)
			break;
	}
	if (i == n)
	{
		HeapTuple	copy = heap_copytuple(tuple);

		for (i = 0; i < n; i++)
			store_att_byval((char *) copy->t_data + (where[i] - (char *) tuple->t_data),
							values[i], TupleDescAttr(tupdesc, attnums[i] - 1)->attlen);
		return copy;
	}
	return heap_modify_tuple_by_cols(tuple, tupdesc, n, (int *) attnums,
									 (Datum *) values, (bool *) nulls);
}

/*
 * Are two values of one type the same?  Compares stored images, so it needs
 * no equality operator (json has none) and treats 1.0 and 1.00 as different,
 * as a reader of the row would.  Varlena values are compared byte for byte
 * first (an unchanged TOASTed column carries the same pointer in the old and
 * new row, so no detoasting is needed); only when the images differ are
 * they detoasted and compared by content.
 */
bool
ormt_datum_equal(Datum a, bool anull, Datum b, bool bnull,
				 int16 typlen, bool typbyval)
{
	if (anull || bnull)
		return anull == bnull;
	if (typbyval)
		return a == b;
	if (typlen == -1)
	{
		struct varlena *va = (struct varlena *) DatumGetPointer(a);
		struct varlena *vb = (struct varlena *) DatumGetPointer(b);
		Size		la = VARSIZE_ANY(va);
		bool		result;

		if (la == VARSIZE_ANY(vb) && memcmp(va, vb, la) == 0)
			return true;
		if (toast_raw_datum_size(a) != toast_raw_datum_size(b))
			return false;
		va = pg_detoast_datum_packed(va);
		vb = pg_detoast_datum_packed(vb);
		result = VARSIZE_ANY_EXHDR(va) == VARSIZE_ANY_EXHDR(vb) &&
			memcmp(VARDATA_ANY(va), VARDATA_ANY(vb), VARSIZE_ANY_EXHDR(va)) == 0;
		if ((Pointer) va != DatumGetPointer(a))
			pfree(va);
		if ((Pointer) vb != DatumGetPointer(b))
			pfree(vb);
		return result;
	}
	if (typlen == -2)
		return strcmp(DatumGetCString(a), DatumGetCString(b)) == 0;
	return memcmp(DatumGetPointer(a), DatumGetPointer(b), typlen) == 0;
}

/*
 * The relation users name: the topmost partitioned ancestor of a partition
 * (row triggers fire on the leaf), else the relation itself.
 */
Oid
ormt_partition_root(Relation rel)
{
	List	   *ancestors;
	Oid			root;

	if (!rel->rd_rel->relispartition)
		return RelationGetRelid(rel);
	ancestors = get_partition_ancestors(RelationGetRelid(rel));
	root = llast_oid(ancestors);
	list_free(ancestors);
	return root;
}

/*
 * The primary key's columns in index order, palloc'd in the current context;
 * returns their number, 0 when the table has no primary key.
 */
int
ormt_primary_key(Relation rel, AttrNumber **attnums)
{
	Oid			pkoid;
	HeapTuple	tup;
	Form_pg_index index;
	int			n;

	/* RelationGetIndexList fills rd_pkindex */
	list_free(RelationGetIndexList(rel));
	pkoid = rel->rd_pkindex;
	*attnums = NULL;
	if (!OidIsValid(pkoid))
		return 0;
	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pkoid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for index %u", pkoid);
	index = (Form_pg_index) GETSTRUCT(tup);
	n = index->indnkeyatts;
	*attnums = palloc(sizeof(AttrNumber) * n);
	for (int i = 0; i < n; i++)
		(*attnums)[i] = index->indkey.values[i];
	ReleaseSysCache(tup);
	return n;
}
