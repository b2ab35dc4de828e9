/*-------------------------------------------------------------------------
 *
 * spec.c
 *		What a trigger function accepts, checked against the trigger it is
 *		attached with: the firing context (timing, level, events, relation
 *		kind) against its OrmtFuncSpec, its arguments parsed into column
 *		names and options, and column names resolved to attributes.
 *
 * All of it runs when a cache entry is built (trigger_cache.c), never per
 * row.  Errors name the trigger and the table it was created on (for a
 * partition, the partitioned table), carry that table and the column as
 * error fields, and hint at the CREATE TRIGGER statement that would work.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/heap.h"
#include "catalog/pg_class.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "orm_triggers.h"

/* The four events, in the order messages list them. */
static const struct
{
	int16		bit;			/* TRIGGER_TYPE_* */
	TriggerEvent event;			/* TRIGGER_EVENT_* */
	const char *name;
}			event_names[] =

{
	{TRIGGER_TYPE_INSERT, TRIGGER_EVENT_INSERT, "INSERT"},
	{TRIGGER_TYPE_UPDATE, TRIGGER_EVENT_UPDATE, "UPDATE"},
	{TRIGGER_TYPE_DELETE, TRIGGER_EVENT_DELETE, "DELETE"},
	{TRIGGER_TYPE_TRUNCATE, TRIGGER_EVENT_TRUNCATE, "TRUNCATE"},
};

/* "INSERT OR UPDATE" for a set of TRIGGER_TYPE_* event bits. */
char *
ormt_events_text(int16 events, const char *sep)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (size_t i = 0; i < lengthof(event_names); i++)
	{
		if (events & event_names[i].bit)
		{
			if (buf.len > 0)
				appendStringInfoString(&buf, sep);
			appendStringInfoString(&buf, event_names[i].name);
		}
	}
	return buf.data;
}

/*
 * "INSERT", "UPDATE", "DELETE" or "TRUNCATE": the event a trigger is being
 * fired for (TriggerData.tg_event).  A constant string.
 */
const char *
ormt_event_name(TriggerEvent event)
{
	for (size_t i = 0; i < lengthof(event_names); i++)
		if ((event & TRIGGER_EVENT_OPMASK) == event_names[i].event)
			return event_names[i].name;
	elog(ERROR, "orm_triggers: unknown trigger event %u", event);
	return NULL;				/* keep compiler quiet */
}

/*
 * The first of the events in a set of TRIGGER_TYPE_* bits, in the order
 * INSERT, UPDATE, DELETE, TRUNCATE (for a trigger's tgtype: its first
 * event).  A constant string; NULL when there is none.
 */
const char *
ormt_first_event_name(int16 events)
{
	for (size_t i = 0; i < lengthof(event_names); i++)
		if (events & event_names[i].bit)
			return event_names[i].name;
	return NULL;
}

/*
 * The CREATE TRIGGER statement that would be right, for hints.  With
 * own_args the trigger's actual arguments are shown (the problem is
 * elsewhere); otherwise a column placeholder.
 */
static char *
usage_hint(const OrmtTriggerEntry *entry, TriggerData *trigdata, bool own_args)
{
	const OrmtFuncSpec *spec = entry->spec;
	StringInfoData buf;
	Trigger    *tg = trigdata->tg_trigger;
	int16		events = spec->events;

	initStringInfo(&buf);
	/* row triggers cannot fire on TRUNCATE */
	if (spec->row_ok)
		events &= ~TRIGGER_TYPE_TRUNCATE;
	appendStringInfo(&buf, "CREATE TRIGGER %s %s %s ON %s FOR EACH %s EXECUTE FUNCTION orm_triggers.%s(",
					 quote_identifier(tg->tgname),
					 spec->timing == TRIGGER_TYPE_BEFORE ? "BEFORE" : "AFTER",
					 ormt_events_text(events, " OR "),
					 quote_qualified_identifier(entry->nspname, entry->relname),
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
void
ormt_check_firing_context(const OrmtTriggerEntry *entry, TriggerData *trigdata)
{
	const OrmtFuncSpec *spec = entry->spec;
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
				 ormt_errtable(entry),
				 errmsg("trigger \"%s\" on \"%s\" must be attached to a table",
						entry->tgname, entry->relname),
				 errdetail("\"%s\" is a view; orm_triggers.%s works on tables, partitioned tables and foreign tables.",
						   entry->relname, spec->name),
				 errhint("Attach the trigger to the table the view writes to.")));

	if (timing != spec->timing)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 ormt_errtable(entry),
				 errmsg("trigger \"%s\" on table \"%s\" must be fired %s",
						entry->tgname, entry->relname,
						spec->timing == TRIGGER_TYPE_BEFORE ? "BEFORE" : "AFTER"),
				 errdetail("It was created as %s trigger.",
						   timing == TRIGGER_TYPE_BEFORE ? "a BEFORE" :
						   timing == TRIGGER_TYPE_INSTEAD ? "an INSTEAD OF" : "an AFTER"),
				 errhint("Create it as: %s.", usage_hint(entry, trigdata, true))));

	if ((is_row && !spec->row_ok) || (!is_row && !spec->statement_ok))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 ormt_errtable(entry),
				 errmsg("trigger \"%s\" on table \"%s\" must be fired FOR EACH %s",
						entry->tgname, entry->relname,
						is_row ? "STATEMENT" : "ROW"),
				 errhint("Create it as: %s.", usage_hint(entry, trigdata, true))));

	if ((declared & ~spec->events) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 ormt_errtable(entry),
				 errmsg("trigger \"%s\" on table \"%s\" must not be fired on %s",
						entry->tgname, entry->relname,
						ormt_events_text(declared & ~spec->events, " or ")),
				 errdetail("orm_triggers.%s handles %s only.",
						   spec->name, ormt_events_text(spec->events, " and ")),
				 errhint("Create it as: %s.", usage_hint(entry, trigdata, true))));

	if ((declared & spec->required_events) != spec->required_events)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 ormt_errtable(entry),
				 errmsg("trigger \"%s\" on table \"%s\" must be fired on %s",
						entry->tgname, entry->relname,
						ormt_events_text(spec->required_events, " and ")),
				 errdetail("Without %s the trigger cannot keep its column right for every writer.",
						   ormt_events_text(spec->required_events & ~declared, " and ")),
				 errhint("Create it as: %s.", usage_hint(entry, trigdata, true))));
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

void
ormt_parse_args(const OrmtTriggerEntry *entry, TriggerData *trigdata,
				OrmtArgs *args)
{
	const OrmtFuncSpec *spec = entry->spec;
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
						 ormt_errtable(entry),
						 errmsg("unknown option \"%.*s\" in trigger \"%s\" on table \"%s\"",
								namelen, arg, entry->tgname, entry->relname),
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
							 ormt_errtable(entry),
							 errmsg("option \"%s\" given twice in trigger \"%s\" on table \"%s\"",
									def->name, entry->tgname, entry->relname),
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
									 ormt_errtable(entry),
									 errmsg("invalid value \"%s\" for option \"%s\" in trigger \"%s\" on table \"%s\"",
											value, def->name, entry->tgname, entry->relname),
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
									 ormt_errtable(entry),
									 errmsg("invalid value \"%s\" for option \"%s\" in trigger \"%s\" on table \"%s\"",
											value, def->name, entry->tgname, entry->relname),
									 errhint("Write %s.", choices.data)));
						break;
					}
				case ORMT_OPT_COLUMNS:
					if (split_columns(value) == NIL)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 ormt_errtable(entry),
								 errmsg("invalid column list \"%s\" for option \"%s\" in trigger \"%s\" on table \"%s\"",
										value, def->name, entry->tgname, entry->relname),
								 errhint("Write '%s=col1,col2'; double-quote a name that contains a comma or a quote.",
										 def->name)));
					break;
				case ORMT_OPT_IDENT:
					if (value[0] == '\0' || strlen(value) >= NAMEDATALEN)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 ormt_errtable(entry),
								 errmsg("invalid value \"%s\" for option \"%s\" in trigger \"%s\" on table \"%s\"",
										value, def->name, entry->tgname, entry->relname),
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
						 ormt_errtable(entry),
						 errmsg("invalid column name argument \"%s\" in trigger \"%s\" on table \"%s\"",
								arg, entry->tgname, entry->relname),
						 errhint("Write the column name as it is, or in double quotes with \"\" for a quote.")));
			for (int j = 0; j < args->ncolumns; j++)
			{
				if (strcmp(args->columns[j], col) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 ormt_errtablecol(entry, col),
							 errmsg("column \"%s\" named twice in trigger \"%s\" on table \"%s\"",
									col, entry->tgname, entry->relname),
							 errhint("Name each column once.")));
			}
			args->columns[args->ncolumns++] = col;
		}
	}

	if (args->ncolumns < spec->min_columns)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 ormt_errtable(entry),
				 errmsg("trigger \"%s\" on table \"%s\" needs %s column name argument",
						entry->tgname, entry->relname,
						spec->max_columns == spec->min_columns ? "a" : "at least one"),
				 errhint("Create it as: %s.", usage_hint(entry, trigdata, false))));
	if (spec->max_columns >= 0 && args->ncolumns > spec->max_columns)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 ormt_errtable(entry),
				 errmsg("trigger \"%s\" on table \"%s\" has too many column name arguments",
						entry->tgname, entry->relname),
				 spec->max_columns == 0 ?
				 errdetail("orm_triggers.%s takes no column names, only options.", spec->name) :
				 errdetail("orm_triggers.%s takes %d column name, got %d.",
						   spec->name, spec->max_columns, args->ncolumns),
				 errhint("Attach one trigger per column, or check the option spelling (name=value).")));
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
 * Set mark[attnum] (indexed by attnum, natts + 1 long) for every column of
 * the list option name (ignore=a,b), resolved in rel; generated columns
 * are allowed.  Returns how many columns the option names (0 when it is not
 * given).
 */
int
ormt_mark_option_columns(OrmtTriggerEntry *entry, Relation rel,
						 const OrmtArgs *args, const char *name, bool *mark)
{
	List	   *names = ormt_option_columns(args, name);
	ListCell   *lc;

	foreach(lc, names)
	{
		AttrNumber	attnum = ormt_resolve_column(entry, rel, (char *) lfirst(lc), true);

		Assert(attnum > 0 && attnum <= RelationGetDescr(rel)->natts);
		mark[attnum] = true;
	}
	return list_length(names);
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
					 ormt_errtablecol(entry, colname),
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
				 ormt_errtablecol(entry, colname),
				 errmsg("column \"%s\" named by trigger \"%s\" on table \"%s\" is a system column",
						colname, entry->tgname, entry->relname),
				 errhint("Name a regular column.")));

	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 ormt_errtablecol(entry, colname),
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
 * BEFORE UPDATE row triggers on rel own: those of every function whose spec
 * says writes_columns (update_last_modified, set_created_at, set_actor,
 * increment_version, and protect_columns, whose columns never really
 * change: their writes are reverted or rejected).  A trigger deciding
 * whether a row changed must not count what another stamping trigger
 * wrote, or the answer would depend on the order the triggers fire in
 * (set_actor's new updated_by would bump updated_at on a no-op update).
 * Adding or dropping a trigger invalidates the relcache, so the entries
 * that used this are rebuilt.
 */
void
ormt_mark_stamped_columns(Relation rel, Oid self, bool *skip)
{
	TriggerDesc *trigdesc;
	TupleDesc	tupdesc = RelationGetDescr(rel);

	if (rel->trigdesc == NULL)
		return;

	/*
	 * A copy: the catalog lookups below accept invalidation messages, and a
	 * relcache rebuild may free the relation's trigger descriptor.
	 */
	trigdesc = CopyTriggerDesc(rel->trigdesc);
	for (int i = 0; i < trigdesc->numtriggers; i++)
	{
		Trigger    *tg = &trigdesc->triggers[i];
		const OrmtFuncSpec *spec;

		if (tg->tgoid == self || tg->tgenabled == TRIGGER_DISABLED ||
			!TRIGGER_FOR_ROW(tg->tgtype) || !TRIGGER_FOR_BEFORE(tg->tgtype) ||
			!TRIGGER_FOR_UPDATE(tg->tgtype))
			continue;
		spec = ormt_lookup_spec(tg->tgfoid);
		if (spec == NULL || !spec->writes_columns)
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

/*
 * The column's type is not one the function supports.  errdetail says what
 * it needs (expected: "a smallint, integer or bigint column").
 */
void
ormt_column_type_error(OrmtTriggerEntry *entry, Relation rel,
					   AttrNumber attnum, const char *expected)
{
	Form_pg_attribute att;

	Assert(attnum > 0 && attnum <= RelationGetDescr(rel)->natts);
	att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 ormt_errtablecol(entry, NameStr(att->attname)),
			 errmsg("column \"%s\" named by trigger \"%s\" on table \"%s\" has the wrong type",
					NameStr(att->attname), entry->tgname, entry->relname),
			 errdetail("orm_triggers.%s needs %s; the column is %s.",
					   entry->spec->name, expected,
					   format_type_with_typemod(att->atttypid, att->atttypmod)),
			 errhint("Name a column of a supported type, or change the column's type.")));
}
