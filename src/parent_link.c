/*-------------------------------------------------------------------------
 *
 * parent_link.c
 *		The pairing of a child table's fk columns with its parent table's
 *		key, shared by counter_cache (counters.c) and touch_parent
 *		(touch.c): the parent= and parent_key= options, type checks, the
 *		events both functions accept, and the key of a child row.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_operator.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "orm_triggers.h"

/*
 * Attribute number of the column colname of the parent table (named by
 * option optname of the trigger); errors name the parent.
 */
AttrNumber
ormt_parent_column(OrmtTriggerEntry *entry, Relation parent,
				   const char *optname, const char *colname)
{
	TupleDesc	tupdesc = RelationGetDescr(parent);

	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (att->attisdropped || strcmp(NameStr(att->attname), colname) != 0)
			continue;
		return att->attnum;
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("column \"%s\" named by option %s= of trigger \"%s\" on table \"%s\" does not exist in table \"%s\"",
					colname, optname, entry->tgname, entry->relname,
					RelationGetRelationName(parent)),
			 errtable(parent),
			 errhint("Name a column of the parent table, exactly as it is spelled (case, spaces and all).")));
	return InvalidAttrNumber;	/* keep compiler quiet */
}

/*
 * Check the events of a counter_cache or touch_parent trigger beyond what
 * the spec says: a statement trigger fires on one event and has the
 * transition tables of its event; row_needs_all: a row trigger fires on
 * INSERT, UPDATE and DELETE.
 */
void
ormt_check_parent_events(OrmtTriggerEntry *entry, TriggerData *trigdata,
						 bool row_needs_all)
{
	Trigger    *tg = trigdata->tg_trigger;
	int16		events = tg->tgtype & (TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE |
									   TRIGGER_TYPE_DELETE | TRIGGER_TYPE_TRUNCATE);
	const char *fname = entry->spec->name;

	if (TRIGGER_FOR_ROW(tg->tgtype))
	{
		int16		all = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_DELETE;

		if (row_needs_all && events != all)
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("trigger \"%s\" on table \"%s\" must be fired on INSERT and UPDATE and DELETE",
							entry->tgname, entry->relname),
					 errdetail("Without %s the counter drifts from the number of children.",
							   ormt_events_text(all & ~events, " and ")),
					 ormt_errtable(entry),
					 errhint("Create it as: CREATE TRIGGER %s AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION orm_triggers.%s(...).",
							 quote_identifier(entry->tgname),
							 quote_identifier(entry->relname), fname)));
		return;
	}

	if (events != TRIGGER_TYPE_INSERT && events != TRIGGER_TYPE_UPDATE &&
		events != TRIGGER_TYPE_DELETE && events != TRIGGER_TYPE_TRUNCATE)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("statement trigger \"%s\" on table \"%s\" must be fired on one event",
						entry->tgname, entry->relname),
				 errdetail("It is declared on %s; PostgreSQL gives transition tables only to a trigger of one event.",
						   ormt_events_text(events, " or ")),
				 ormt_errtable(entry),
				 errhint("Create one trigger per event, e.g. CREATE TRIGGER %s_ins AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.%s(...).",
						 entry->tgname, quote_identifier(entry->relname), fname)));

	if ((events & (TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_DELETE)) && tg->tgoldtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("statement trigger \"%s\" on table \"%s\" needs REFERENCING OLD TABLE",
						entry->tgname, entry->relname),
				 errdetail("orm_triggers.%s reads the changed rows from the transition tables.", fname),
				 ormt_errtable(entry),
				 errhint("Create it with REFERENCING OLD TABLE AS old_rows%s.",
						 (events & TRIGGER_TYPE_UPDATE) ? " NEW TABLE AS new_rows" : "")));
	if ((events & (TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_INSERT)) && tg->tgnewtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("statement trigger \"%s\" on table \"%s\" needs REFERENCING NEW TABLE",
						entry->tgname, entry->relname),
				 errdetail("orm_triggers.%s reads the changed rows from the transition tables.", fname),
				 ormt_errtable(entry),
				 errhint("Create it with REFERENCING %sNEW TABLE AS new_rows.",
						 (events & TRIGGER_TYPE_UPDATE) ? "OLD TABLE AS old_rows " : "")));
}

/* "schema.=" for the equality operator of a key type */
char *
ormt_eq_operator_text(Oid type)
{
	TypeCacheEntry *tc = lookup_type_cache(type, TYPECACHE_EQ_OPR);
	HeapTuple	tup;
	Form_pg_operator op;
	char	   *result;

	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(tc->eq_opr));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", tc->eq_opr);
	op = (Form_pg_operator) GETSTRUCT(tup);
	result = psprintf("OPERATOR(%s.%s)",
					  quote_identifier(get_namespace_name(op->oprnamespace)),
					  NameStr(op->oprname));
	ReleaseSysCache(tup);
	return result;
}

/*
 * "k1 OPERATOR(pg_catalog.=) $1 AND ..." for the parent key, each column
 * prefixed with alias. when given.
 */
void
ormt_parent_key_where(StringInfo buf, const OrmtParentLink *link,
					  Relation parent, const char *alias)
{
	for (int i = 0; i < link->nkeys; i++)
	{
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(parent),
											  link->keyattnums[i] - 1);

		appendStringInfo(buf, "%s%s%s%s %s $%d",
						 i > 0 ? " AND " : "",
						 alias ? alias : "", alias ? "." : "",
						 quote_identifier(NameStr(att->attname)),
						 ormt_eq_operator_text(link->keytypes[i]), i + 1);
	}
}

/*
 * Resolve the fk columns (the trigger's column arguments), parent= and
 * parent_key= into link.  The parent is returned open (AccessShareLock);
 * the result is the parent's qualified name for SQL.
 */
char *
ormt_parent_link_build(OrmtTriggerEntry *entry, Relation rel,
					   const OrmtArgs *args, OrmtParentLink *link,
					   Relation *parent_out)
{
	const char *pname = ormt_option(args, "parent");
	List	   *keycols = ormt_option_columns(args, "parent_key");
	Relation	parent;
	AttrNumber *pk = NULL;
	int			npk;

	memset(link, 0, sizeof(*link));
	if (pname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trigger \"%s\" on table \"%s\" needs the option parent=",
						entry->tgname, entry->relname),
				 errdetail("orm_triggers.%s writes to the parent table that its column arguments refer to.",
						   entry->spec->name),
				 ormt_errtable(entry),
				 errhint("Name the parent table: 'parent=authors' or 'parent=schema.authors'.")));

	link->nkeys = args->ncolumns;
	for (int i = 0; i < args->ncolumns; i++)
		link->fkattnums[i] = ormt_resolve_column(entry, rel, args->columns[i], true);

	link->parent_relid = ormt_table_argument(entry, rel, "parent", pname);
	parent = table_open(link->parent_relid, AccessShareLock);
	link->parent_owner = ormt_relation_owner(link->parent_relid);

	if (keycols != NIL)
	{
		ListCell   *lc;

		npk = list_length(keycols);
		pk = palloc(sizeof(AttrNumber) * Max(npk, 1));
		foreach(lc, keycols)
			pk[foreach_current_index(lc)] =
			ormt_parent_column(entry, parent, "parent_key", (char *) lfirst(lc));
	}
	else
	{
		npk = ormt_primary_key(parent, &pk);
		if (npk == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("parent table \"%s\" of trigger \"%s\" on table \"%s\" has no primary key",
							RelationGetRelationName(parent), entry->tgname, entry->relname),
					 errtable(parent),
					 errhint("Name the parent's key columns: 'parent_key=id'.")));
	}
	if (npk != link->nkeys)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trigger \"%s\" on table \"%s\" names %d column%s, but the key of its parent \"%s\" has %d",
						entry->tgname, entry->relname, link->nkeys,
						link->nkeys == 1 ? "" : "s",
						RelationGetRelationName(parent), npk),
				 errdetail("The column arguments pair with the parent's key columns in order."),
				 ormt_errtable(entry),
				 errhint("Name one child column per parent key column, or set the parent's columns with 'parent_key=c1,c2'.")));

	for (int i = 0; i < npk; i++)
	{
		Form_pg_attribute fatt = TupleDescAttr(RelationGetDescr(rel), link->fkattnums[i] - 1);
		Form_pg_attribute patt = TupleDescAttr(RelationGetDescr(parent), pk[i] - 1);
		Oid			fbase = getBaseType(fatt->atttypid);
		Oid			pbase = getBaseType(patt->atttypid);
		TypeCacheEntry *tc;

		if (fbase != pbase)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of trigger \"%s\" on table \"%s\" does not match key column \"%s\" of its parent \"%s\"",
							NameStr(fatt->attname), entry->tgname, entry->relname,
							NameStr(patt->attname), RelationGetRelationName(parent)),
					 errdetail("The column is %s; the parent's key column is %s.",
							   format_type_be(fatt->atttypid), format_type_be(patt->atttypid)),
					 ormt_errtablecol(entry, NameStr(fatt->attname)),
					 errhint("Give the column the type of the parent's key, or name other key columns with 'parent_key=...'.")));
		tc = lookup_type_cache(pbase, TYPECACHE_CMP_PROC | TYPECACHE_EQ_OPR);
		if (!OidIsValid(tc->cmp_proc) || !OidIsValid(tc->eq_opr))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("key column \"%s\" of parent \"%s\" of trigger \"%s\" on table \"%s\" has a type without ordering",
							NameStr(patt->attname), RelationGetRelationName(parent),
							entry->tgname, entry->relname),
					 errdetail("Parents are updated in key order; type %s has no default btree operator class.",
							   format_type_be(patt->atttypid)),
					 ormt_errtable(entry),
					 errhint("Use a key of a type with ordering (integer, bigint, uuid, text, ...).")));
		link->keyattnums[i] = pk[i];
		link->keytypes[i] = pbase;
		get_typlenbyval(pbase, &link->keylen[i], &link->keybyval[i]);
		link->keycollations[i] = patt->attcollation;
		link->cmpproc[i] = tc->cmp_proc;
	}
	*parent_out = parent;
	return quote_qualified_identifier(get_namespace_name(RelationGetNamespace(parent)),
									  RelationGetRelationName(parent));
}

/*
 * The parent key of a child row; false when any part of it is NULL (the
 * child belongs to no parent).
 */
bool
ormt_parent_key_of(const OrmtParentLink *link, HeapTuple tuple,
				   TupleDesc tupdesc, Datum *keys)
{
	for (int i = 0; i < link->nkeys; i++)
	{
		bool		isnull;

		keys[i] = heap_getattr(tuple, link->fkattnums[i], tupdesc, &isnull);
		if (isnull)
			return false;
		if (link->keylen[i] == -1)
			keys[i] = PointerGetDatum(PG_DETOAST_DATUM_PACKED(keys[i]));
	}
	return true;
}

/* Are two keys of the link the same (by image)? */
bool
ormt_parent_keys_equal(const OrmtParentLink *link, const Datum *a, const Datum *b)
{
	for (int i = 0; i < link->nkeys; i++)
		if (!ormt_datum_equal(a[i], false, b[i], false, link->keylen[i], link->keybyval[i]))
			return false;
	return true;
}
