/*-------------------------------------------------------------------------
 *
 * target.c
 *		Tables that a trigger writes besides its own, named in its arguments
 *		(versioning's history table, counter_cache's and touch_parent's
 *		parent=), and writing to a table as its owner.
 *
 * A table argument is read as an SQL name, the way regclass reads one:
 * optionally schema-qualified, double-quoted parts taken exactly, unquoted
 * parts lower-cased.  An unqualified name means the schema of the table the
 * trigger was created on (the partitioned table for a partition), never the
 * caller's search_path: a writer with a decoy table earlier on its path must
 * change nothing.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/regproc.h"

#include "orm_triggers.h"

/*
 * The OID of the table named by the argument value of option optname (or
 * of a positional argument, optname NULL) of the trigger on rel.  Errors
 * name the trigger and the table it was created on.  The table becomes a
 * dependency of the entry: dropping or altering it rebuilds the entry.
 */
Oid
ormt_table_argument(OrmtTriggerEntry *entry, Relation rel,
					const char *optname, const char *value)
{
	List	   *names;
	char	   *schema;
	char	   *relname;
	Oid			nspoid;
	Oid			relid;
	char		relkind;

	Assert(value != NULL);
	names = ormt_parse_qualified_name(value);
	if (names == NIL || list_length(names) > 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trigger \"%s\" on table \"%s\": \"%s\" is not a table name",
						entry->tgname, entry->relname, value),
				 errhint("Write %s'table' or %s'schema.table'; quote a part that has capitals or spaces (\"My Table\").",
						 optname ? psprintf("%s=", optname) : "",
						 optname ? psprintf("%s=", optname) : "")));
	if (list_length(names) == 2)
	{
		schema = strVal(linitial(names));
		relname = strVal(lsecond(names));
	}
	else
	{
		schema = get_namespace_name(get_rel_namespace(ormt_partition_root(rel)));
		relname = strVal(linitial(names));
	}
	nspoid = get_namespace_oid(schema, true);
	relid = OidIsValid(nspoid) ? get_relname_relid(relname, nspoid) : InvalidOid;
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("trigger \"%s\" on table \"%s\": %s%s table \"%s.%s\" does not exist",
						entry->tgname, entry->relname,
						optname ? optname : "", optname ? "" : "the",
						schema, relname),
				 list_length(names) == 1 ?
				 errdetail("An unqualified name is looked up in the schema of the trigger's table, \"%s\", not on the search_path.",
						   schema) : 0,
				 errhint("Create the table first, or name it with its schema: '%s%s'.",
						 optname ? psprintf("%s=", optname) : "",
						 quote_qualified_identifier("other_schema", relname))));
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("trigger \"%s\" on table \"%s\": \"%s.%s\" is not a table",
						entry->tgname, entry->relname, schema, relname),
				 errhint("Name an ordinary or partitioned table.")));
	ormt_cache_add_dependency(entry, relid);
	list_free_deep(names);
	return relid;
}

/*
 * Act as owner until ormt_restore_user(save): for writes that the trigger
 * makes on the user's behalf to tables the writer need not have rights on
 * (the audit log, a history table, a parent's counter).  Like ri_triggers.c,
 * with SECURITY_LOCAL_USERID_CHANGE so that nothing in between can reset
 * the role; an error in between is undone by transaction abort, which
 * restores the user.
 */
void
ormt_become_owner(Oid owner, OrmtUserSave *save)
{
	ormt_become_owner_with(owner, 0, save);
}

/*
 * The same with more security-context flags: SECURITY_NOFORCE_RLS for a
 * write that the owner's FORCE ROW LEVEL SECURITY must not filter (the
 * audit log, as ri_triggers.c does for its checks).
 */
void
ormt_become_owner_with(Oid owner, int sec_flags, OrmtUserSave *save)
{
	Assert(OidIsValid(owner));
	GetUserIdAndSecContext(&save->userid, &save->sec_context);
	SetUserIdAndSecContext(owner,
						   save->sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   sec_flags);
}

void
ormt_restore_user(const OrmtUserSave *save)
{
	SetUserIdAndSecContext(save->userid, save->sec_context);
}

/* The owner of relation relid. */
Oid
ormt_relation_owner(Oid relid)
{
	HeapTuple	tup;
	Oid			owner;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}
