/*-------------------------------------------------------------------------
 *
 * relations.c
 *		Catalog helpers about the tables triggers fire on: the partition
 *		root and its name, the table a (cloned) trigger was created on, the
 *		primary key, a trigger's pg_trigger row, and the table and column
 *		fields (errtable/errtablecol) of error reports.
 *
 * Row triggers on a partitioned table fire on its leaf partitions, through
 * clones of the trigger that PostgreSQL makes on each partition.  Messages
 * name the table the user created the trigger on, found by following the
 * clone's tgparentid up to the original; audit and notify_change name the
 * partition root.  Both are looked up once, when a cache entry is built.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/partition.h"
#include "catalog/pg_index.h"
#include "catalog/pg_trigger.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "orm_triggers.h"

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
	Assert(ancestors != NIL);
	root = llast_oid(ancestors);
	list_free(ancestors);
	return root;
}

/*
 * Schema and name of relid, palloc'd in the current context.  An error when
 * the relation is gone (callers hold a lock on it or on a partition of it).
 */
void
ormt_relation_names(Oid relid, char **nspname, char **relname)
{
	char	   *nsp;
	char	   *name = get_rel_name(relid);

	nsp = name ? get_namespace_name(get_rel_namespace(relid)) : NULL;
	if (name == NULL || nsp == NULL)
		elog(ERROR, "cache lookup failed for relation %u", relid);
	if (nspname)
		*nspname = nsp;
	if (relname)
		*relname = name;
}

/*
 * The partition root of rel (see ormt_partition_root) with its schema and
 * name, palloc'd in the current context.  Either name pointer may be NULL.
 */
Oid
ormt_partition_root_name(Relation rel, char **nspname, char **relname)
{
	Oid			root = ormt_partition_root(rel);

	if (root == RelationGetRelid(rel))
	{
		if (nspname)
			*nspname = get_namespace_name(RelationGetNamespace(rel));
		if (relname)
			*relname = pstrdup(RelationGetRelationName(rel));
		if (nspname && *nspname == NULL)
			elog(ERROR, "cache lookup failed for namespace %u",
				 RelationGetNamespace(rel));
	}
	else
		ormt_relation_names(root, nspname, relname);
	return root;
}

/* The pg_trigger row of tgoid, copied; NULL if there is none. */
HeapTuple
ormt_fetch_trigger(Oid tgoid)
{
	Relation	tgrel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	tgrel = table_open(TriggerRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_trigger_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(tgoid));
	scan = systable_beginscan(tgrel, TriggerOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		tup = heap_copytuple(tup);
	systable_endscan(scan);
	table_close(tgrel, AccessShareLock);
	return tup;
}

/*
 * The table the user created trigger tgoid on: for a clone that
 * PostgreSQL made on a partition, the table of the trigger it was cloned
 * from (followed up, for sub-partitions); else rel itself.  Only a
 * partition can hold a clone, so for anything else there is no catalog
 * access.
 */
Oid
ormt_trigger_table(Relation rel, Oid tgoid)
{
	Oid			relid = RelationGetRelid(rel);

	if (!rel->rd_rel->relispartition)
		return relid;
	while (OidIsValid(tgoid))
	{
		HeapTuple	tup = ormt_fetch_trigger(tgoid);
		Form_pg_trigger tg;

		if (!HeapTupleIsValid(tup))
			break;				/* dropped concurrently: keep what we have */
		tg = (Form_pg_trigger) GETSTRUCT(tup);
		relid = tg->tgrelid;
		tgoid = tg->tgparentid;
		heap_freetuple(tup);
	}
	return relid;
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
	Assert(n > 0 && n <= INDEX_MAX_KEYS);
	*attnums = palloc(sizeof(AttrNumber) * n);
	for (int i = 0; i < n; i++)
	{
		(*attnums)[i] = index->indkey.values[i];
		/* a primary key has no expressions */
		Assert((*attnums)[i] > 0);
	}
	ReleaseSysCache(tup);
	return n;
}

/*
 * For ereport: the schema and table fields (PG_DIAG_SCHEMA_NAME,
 * PG_DIAG_TABLE_NAME) of the table entry's trigger was created on, the one
 * its messages name.  Like errtable(), which needs the Relation open; this
 * takes the names the entry resolved when it was built, so it does no
 * catalog access while an error is being reported.
 */
int
ormt_errtable(const OrmtTriggerEntry *entry)
{
	if (entry->nspname)
		err_generic_string(PG_DIAG_SCHEMA_NAME, entry->nspname);
	if (entry->relname)
		err_generic_string(PG_DIAG_TABLE_NAME, entry->relname);
	return 0;					/* return value does not matter */
}

/* For ereport: ormt_errtable plus the column field (PG_DIAG_COLUMN_NAME). */
int
ormt_errtablecol(const OrmtTriggerEntry *entry, const char *colname)
{
	ormt_errtable(entry);
	err_generic_string(PG_DIAG_COLUMN_NAME, colname);
	return 0;					/* return value does not matter */
}
