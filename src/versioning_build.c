/*-------------------------------------------------------------------------
 *
 * versioning_build.c
 *		versioning's spec and build callback: reading its arguments (the
 *		period, the history table as an SQL name, adjust and the options),
 *		matching the history table's columns by name, and preparing the
 *		history write once per trigger.  The per-row code is in versioning.c.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rangetypes.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "versioning.h"

static const OrmtOptionDef versioning_options[] = {
	{"adjust", ORMT_OPT_BOOL, NULL},
	{"always", ORMT_OPT_BOOL, NULL},
	{"exclude", ORMT_OPT_COLUMNS, NULL},
	{"start", ORMT_OPT_COLUMNS, NULL},
	{"end", ORMT_OPT_COLUMNS, NULL},
	{NULL}
};

const OrmtFuncSpec ormt_versioning_spec = {
	.name = "versioning",
	.timing = TRIGGER_TYPE_BEFORE,
	.row_ok = true,
	.statement_ok = true,
	.events = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_DELETE |
	TRIGGER_TYPE_TRUNCATE,
	.required_events = 0,		/* per level, checked in the build */
	.min_columns = 0,			/* counted in the build */
	.max_columns = -1,
	.options = versioning_options,
	.writes_columns = true,		/* its period */
};

static const char *
usage(void)
{
	return "CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history')";
}

/* The single column of a start=/end= option. */
static AttrNumber
period_bound_column(OrmtTriggerEntry *entry, Relation rel, const OrmtArgs *args,
					const char *opt)
{
	List	   *cols = ormt_option_columns(args, opt);

	if (list_length(cols) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 ormt_errtable(entry),
				 errmsg("option \"%s\" of trigger \"%s\" on table \"%s\" must name one column",
						opt, entry->tgname, entry->relname),
				 errhint("Write '%s=column'.", opt)));
	return ormt_resolve_column(entry, rel, (char *) linitial(cols), false);
}

/*
 * The raw text of positional argument n (0-based, options skipped): a table
 * name is read as an SQL name, so its quotes must reach the parser.
 */
static const char *
raw_positional(TriggerData *trigdata, int n)
{
	Trigger    *tg = trigdata->tg_trigger;

	for (int i = 0; i < tg->tgnargs; i++)
	{
		const char *a = tg->tgargs[i];
		int			k = 0;

		if ((a[0] >= 'a' && a[0] <= 'z') || a[0] == '_')
			while ((a[k] >= 'a' && a[k] <= 'z') || (a[k] >= '0' && a[k] <= '9') || a[k] == '_')
				k++;
		if (k > 0 && a[k] == '=')
			continue;			/* an option */
		if (n-- == 0)
			return a;
	}
	elog(ERROR, "trigger \"%s\" has no argument %d", tg->tgname, n);
	return NULL;				/* keep compiler quiet */
}

static bool
is_adjust_word(const char *s, bool *value)
{
	if (pg_strcasecmp(s, "true") == 0)
		*value = true;
	else if (pg_strcasecmp(s, "false") == 0)
		*value = false;
	else
		return false;
	return true;
}

/*
 * The history table's column named like base column att, checked: same
 * type, not generated.  0 when history has no such column.
 */
static AttrNumber
history_column(OrmtTriggerEntry *entry, VersioningState *st, Relation hist,
			   Form_pg_attribute att, bool required)
{
	TupleDesc	hdesc = RelationGetDescr(hist);

	for (int i = 0; i < hdesc->natts; i++)
	{
		Form_pg_attribute hatt = TupleDescAttr(hdesc, i);

		if (hatt->attisdropped || strcmp(NameStr(hatt->attname), NameStr(att->attname)) != 0)
			continue;
		if (hatt->attgenerated)
		{
			if (required)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
						 errmsg("column \"%s\" of history table \"%s\" of trigger \"%s\" on table \"%s\" is a generated column",
								NameStr(att->attname), st->histname, entry->tgname, st->tablename),
						 errtablecol(hist, hatt->attnum),
						 errhint("Make it a plain column of type %s.",
								 format_type_with_typemod(att->atttypid, att->atttypmod))));
			return 0;			/* computed by history itself */
		}
		if (hatt->atttypid != att->atttypid)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of history table \"%s\" has type %s, but column \"%s\" of table \"%s\" has type %s",
							NameStr(hatt->attname), st->histname,
							format_type_with_typemod(hatt->atttypid, hatt->atttypmod),
							NameStr(att->attname), st->tablename,
							format_type_with_typemod(att->atttypid, att->atttypmod)),
					 errdetail("Trigger \"%s\" copies each version of a row into the history table's columns of the same names.",
							   entry->tgname),
					 errtablecol(hist, hatt->attnum),
					 errhint("ALTER TABLE %s ALTER COLUMN %s TYPE %s.", st->histname,
							 quote_identifier(NameStr(hatt->attname)),
							 format_type_with_typemod(att->atttypid, att->atttypmod))));
		return hatt->attnum;
	}
	if (required)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("history table \"%s\" of trigger \"%s\" on table \"%s\" has no period column \"%s\"",
						st->histname, entry->tgname, st->tablename, NameStr(att->attname)),
				 errtable(hist),
				 errhint("ALTER TABLE %s ADD COLUMN %s %s.", st->histname,
						 quote_identifier(NameStr(att->attname)),
						 format_type_with_typemod(att->atttypid, att->atttypmod))));
	return 0;
}

/*
 * The history INSERT: every base column that history has (by name),
 * OVERRIDING SYSTEM VALUE for identity columns of history; the others get
 * their defaults.  The TRUNCATE form selects the current rows instead.
 */
static void
build_history_insert(OrmtTriggerEntry *entry, VersioningState *st,
					 Relation rel, Relation hist)
{
	TupleDesc	desc = RelationGetDescr(rel);
	StringInfoData cols;
	StringInfoData vals;
	Oid		   *argtypes = palloc(sizeof(Oid) * (desc->natts + 1));
	char	   *histq;
	char	   *relq;
	const char *rangefn = st->with_tz ? "pg_catalog.tstzrange" : "pg_catalog.tsrange";

	initStringInfo(&cols);
	initStringInfo(&vals);
	st->param_src = palloc(sizeof(AttrNumber) * desc->natts);
	st->param_dest = palloc(sizeof(AttrNumber) * desc->natts);
	st->param_typmod = palloc(sizeof(int32) * desc->natts);
	st->nparams = 0;
	st->period_param = st->start_param = st->end_param = -1;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		bool		is_period = (att->attnum == st->period || att->attnum == st->start ||
								 att->attnum == st->end);
		AttrNumber	h;
		const char *name = quote_identifier(NameStr(att->attname));

		if (att->attisdropped)
			continue;
		h = history_column(entry, st, hist, att, is_period);
		if (h == 0)
			continue;
		if (att->attnum == st->period)
			st->period_param = st->nparams;
		else if (att->attnum == st->start)
			st->start_param = st->nparams;
		else if (att->attnum == st->end)
			st->end_param = st->nparams;
		st->param_src[st->nparams] = att->attnum;
		st->param_dest[st->nparams] = h;
		st->param_typmod[st->nparams] = att->atttypmod;
		argtypes[st->nparams] = att->atttypid;
		st->nparams++;
		appendStringInfo(&cols, "%s%s", cols.len ? ", " : "", name);
		if (!st->truncate_form)
			appendStringInfo(&vals, "%s$%d", vals.len ? ", " : "", st->nparams);
		else if (att->attnum == st->period)
			appendStringInfo(&vals, "%sCASE WHEN pg_catalog.lower(%s) OPERATOR(pg_catalog.>) $1 THEN %s(pg_catalog.lower(%s), pg_catalog.lower(%s) OPERATOR(pg_catalog.+) '1 microsecond'::pg_catalog.interval, '[)') ELSE %s(pg_catalog.lower(%s), $1, '[)') END",
							 vals.len ? ", " : "", name, rangefn, name, name, rangefn, name);
		else if (att->attnum == st->end)
			appendStringInfo(&vals, "%sCASE WHEN %s OPERATOR(pg_catalog.>) $1 THEN %s OPERATOR(pg_catalog.+) '1 microsecond'::pg_catalog.interval ELSE $1 END",
							 vals.len ? ", " : "", quote_identifier(get_attname(RelationGetRelid(rel), st->start, false)),
							 quote_identifier(get_attname(RelationGetRelid(rel), st->start, false)));
		else
			appendStringInfo(&vals, "%s%s", vals.len ? ", " : "", name);
	}
	histq = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(hist)),
									   RelationGetRelationName(hist));
	relq = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
									  RelationGetRelationName(rel));
	if (!st->truncate_form)
		st->plan = ormt_cache_prepare(entry,
									  psprintf("INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE VALUES (%s)",
											   histq, cols.data, vals.data),
									  st->nparams, argtypes, 0);
	else
	{
		/*
		 * Versions that began at T were written by this transaction: no older
		 * version to close.
		 */
		const char *startexpr = st->range ?
			psprintf("pg_catalog.lower(%s)", quote_identifier(get_attname(RelationGetRelid(rel), st->period, false))) :
			quote_identifier(get_attname(RelationGetRelid(rel), st->start, false));

		argtypes[0] = st->with_tz ? TIMESTAMPTZOID : TIMESTAMPOID;
		st->plan = ormt_cache_prepare(entry,
									  psprintf("INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %s WHERE %s IS DISTINCT FROM $1",
											   histq, cols.data, vals.data, relq, startexpr),
									  1, argtypes, 0);
	}
}

/*
 * Can history rows be written without the executor?  When history is a
 * plain heap table (not a partition: its bound would need checking) with
 * nothing that acts on an insert but its NOT NULLs
 * and indexes on columns: no triggers, rules, row security, CHECK
 * constraints, generated columns, defaults or identity for the columns
 * not copied, typmods or domains to apply, partial, expression, exclusion
 * or deferred unique indexes.  Then a history row costs a heap insert and
 * its index entries; otherwise it goes through the planned INSERT.
 */
static void
check_direct(VersioningState *st, Relation hist, MemoryContext cxt)
{
	TupleDesc	hdesc = RelationGetDescr(hist);
	bool	   *copied = palloc0(sizeof(bool) * (hdesc->natts + 1));

	st->direct = false;
	if (hist->rd_rel->relam != HEAP_TABLE_AM_OID ||
		hist->rd_rel->relkind != RELKIND_RELATION ||
		hist->rd_rel->relispartition ||
		hist->trigdesc != NULL || hist->rd_rules != NULL ||
		hist->rd_rel->relrowsecurity ||
		(hdesc->constr && hdesc->constr->num_check > 0) ||
		pg_class_aclcheck(st->histrelid, st->histowner, ACL_INSERT) != ACLCHECK_OK)
		return;
	for (int i = 0; i < st->nparams; i++)
	{
		Form_pg_attribute hatt = TupleDescAttr(hdesc, st->param_dest[i] - 1);

		copied[hatt->attnum] = true;
		if (hatt->atttypmod != st->param_typmod[i] && hatt->atttypmod != -1)
			return;
		if (get_typtype(hatt->atttypid) == TYPTYPE_DOMAIN)
			return;
	}
	for (int i = 0; i < hdesc->natts; i++)
	{
		Form_pg_attribute hatt = TupleDescAttr(hdesc, i);

		if (hatt->attisdropped)
			continue;
		if (hatt->attgenerated || hatt->attidentity ||
			(!copied[hatt->attnum] && (hatt->atthasdef || hatt->attnotnull)))
			return;
	}
	st->write_cxt = AllocSetContextCreate(cxt, "orm_triggers history write",
										  ALLOCSET_SMALL_SIZES);
	st->direct = true;
}

void
ormt_versioning_build(OrmtTriggerEntry *entry, TriggerData *trigdata,
					  const OrmtArgs *args)
{
	Relation	rel = trigdata->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	VersioningState *st = palloc0(sizeof(VersioningState));
	int16		tgtype = trigdata->tg_trigger->tgtype;
	bool		has_start = ormt_option(args, "start") != NULL;
	bool		has_end = ormt_option(args, "end") != NULL;
	int			npositional = has_start ? 1 : 2;
	const char *histarg;
	bool		adjust_word = false;
	bool	   *skip;
	Oid			root;
	Relation	hist;
	ListCell   *lc;

	root = ormt_partition_root(rel);
	st->rootid = root;
	st->tablename = get_rel_name(root);
	if (st->tablename == NULL)
		elog(ERROR, "cache lookup failed for relation %u", root);

	if (rel->rd_rel->relkind == RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 ormt_errtable(entry),
				 errmsg("trigger \"%s\" on \"%s\" cannot version rows of a foreign table",
						entry->tgname, entry->relname),
				 errdetail("orm_triggers.versioning tells the versions written by this transaction by their transaction ids."),
				 errhint("Attach the trigger to the table on the remote server.")));

	st->truncate_form = !TRIGGER_FOR_ROW(tgtype);
	if (st->truncate_form && (tgtype & (TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_DELETE)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 ormt_errtable(entry),
				 errmsg("trigger \"%s\" on table \"%s\" must be fired FOR EACH ROW on INSERT, UPDATE and DELETE",
						entry->tgname, entry->relname),
				 errdetail("The statement-level form of orm_triggers.versioning handles TRUNCATE only."),
				 errhint("Create it as: %s; and for TRUNCATE: CREATE TRIGGER ... BEFORE TRUNCATE ON t FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.versioning(...) with the same arguments.",
						 usage())));
	if (!st->truncate_form &&
		(tgtype & (TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_DELETE)) !=
		(TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_DELETE))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 ormt_errtable(entry),
				 errmsg("trigger \"%s\" on table \"%s\" must be fired on INSERT, UPDATE and DELETE",
						entry->tgname, entry->relname),
				 errdetail("Without all three some versions would get no period or never reach the history table."),
				 errhint("Create it as: %s.", usage())));

	/* arguments: [period,] history [, true|false] */
	if (has_start != has_end)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 ormt_errtable(entry),
				 errmsg("trigger \"%s\" on table \"%s\" needs both start= and end=",
						entry->tgname, entry->relname),
				 errhint("Write versioning('history_table', 'start=valid_from', 'end=valid_to'), or name one range column: versioning('sys_period', 'history_table').")));
	if (args->ncolumns == npositional + 1 &&
		is_adjust_word(args->columns[npositional], &adjust_word))
		st->adjust = adjust_word;
	else if (args->ncolumns != npositional)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 ormt_errtable(entry),
				 errmsg("trigger \"%s\" on table \"%s\" has %d arguments before its options, expected %s",
						entry->tgname, entry->relname, args->ncolumns,
						has_start ? "the history table" : "a period column and the history table"),
				 args->ncolumns == npositional + 1 ?
				 errdetail("The argument after the history table must be 'true' or 'false' (adjust), not \"%s\".",
						   args->columns[npositional]) : 0,
				 errhint("Write %s.", has_start ?
						 "versioning('history_table', 'start=valid_from', 'end=valid_to' [, 'adjust=true'])" :
						 "versioning('sys_period', 'history_table' [, 'true'])")));
	if (ormt_option(args, "adjust") != NULL)
	{
		if (args->ncolumns == npositional + 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 ormt_errtable(entry),
					 errmsg("trigger \"%s\" on table \"%s\" gives adjust twice",
							entry->tgname, entry->relname),
					 errhint("Write either the third argument 'true' or 'adjust=true'.")));
		st->adjust = ormt_option_bool(entry, args, "adjust", false);
	}
	st->always = ormt_option_bool(entry, args, "always", false);

	/* the period */
	if (has_start)
	{
		Oid			stype;
		Oid			etype;

		st->range = false;
		st->start = period_bound_column(entry, rel, args, "start");
		st->end = period_bound_column(entry, rel, args, "end");
		if (st->start == st->end)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 ormt_errtable(entry),
					 errmsg("trigger \"%s\" on table \"%s\" names column \"%s\" as both start and end",
							entry->tgname, entry->relname, get_attname(RelationGetRelid(rel), st->start, false)),
					 errhint("Name two columns.")));
		stype = TupleDescAttr(desc, st->start - 1)->atttypid;
		etype = TupleDescAttr(desc, st->end - 1)->atttypid;
		if (stype != TIMESTAMPTZOID && stype != TIMESTAMPOID)
			ormt_column_type_error(entry, rel, st->start, "a timestamptz or timestamp column");
		if (etype != stype)
			ormt_column_type_error(entry, rel, st->end,
								   stype == TIMESTAMPTZOID ? "a timestamptz column, as the start column is" :
								   "a timestamp column, as the start column is");
		st->with_tz = (stype == TIMESTAMPTZOID);
		histarg = raw_positional(trigdata, 0);
	}
	else
	{
		Oid			type;

		st->range = true;
		st->period = ormt_resolve_column(entry, rel, args->columns[0], false);
		type = TupleDescAttr(desc, st->period - 1)->atttypid;
		if (type != TSTZRANGEOID && type != TSRANGEOID)
			ormt_column_type_error(entry, rel, st->period, "a tstzrange or tsrange column");
		st->with_tz = (type == TSTZRANGEOID);
		st->typcache = lookup_type_cache(type, TYPECACHE_RANGE_INFO);
		histarg = raw_positional(trigdata, 1);
	}

	/* the history table */
	st->histrelid = ormt_table_argument(entry, rel, NULL, histarg);
	if (st->histrelid == RelationGetRelid(rel) || st->histrelid == root)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 ormt_errtable(entry),
				 errmsg("trigger \"%s\" on table \"%s\" names its own table as the history table",
						entry->tgname, entry->relname),
				 errhint("Create a history table with orm_triggers.create_history_table('%s') and name it.",
						 st->tablename)));
	st->histowner = ormt_relation_owner(st->histrelid);
	hist = table_open(st->histrelid, AccessShareLock);
	st->histname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(hist)),
											  RelationGetRelationName(hist));
	build_history_insert(entry, st, rel, hist);
	if (!st->truncate_form)
		check_direct(st, hist, CurrentMemoryContext);
	table_close(hist, AccessShareLock);

	/* the columns whose change makes a version */
	skip = palloc0(sizeof(bool) * (desc->natts + 1));
	if (st->range)
		skip[st->period] = true;
	else
		skip[st->start] = skip[st->end] = true;
	foreach(lc, ormt_option_columns(args, "exclude"))
		skip[ormt_resolve_column(entry, rel, (char *) lfirst(lc), true)] = true;
	if (!st->truncate_form)
		ormt_mark_stamped_columns(rel, trigdata->tg_trigger->tgoid, skip);
	st->compare = palloc(sizeof(AttrNumber) * desc->natts);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->attgenerated || skip[att->attnum])
			continue;
		st->compare[st->ncompare++] = att->attnum;
	}
	entry->data = st;
}
