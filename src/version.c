/*-------------------------------------------------------------------------
 *
 * version.c
 *		increment_version: optimistic locking in the database, for every
 *		writer (Rails lock_version, Hibernate @Version, SQLAlchemy
 *		version_id_col).
 *
 * A BEFORE ROW trigger without SPI: it reads the old and new version from
 * the trigger's tuples and returns the new row with the version replaced.
 * The check is a compare-and-set on the row the UPDATE already locked: a
 * client that writes the version it read gets a serialization failure
 * (40001) when the stored version has moved on, so a retry loop written for
 * SERIALIZABLE handles it too.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "orm_triggers.h"

PG_FUNCTION_INFO_V1(increment_version);

/* ------------------------------------------------------------------------
 * increment_version(col)
 *
 * BEFORE INSERT OR UPDATE, FOR EACH ROW.
 *
 * INSERT: a NULL version becomes 1; a given value is kept (COPY, restores).
 * UPDATE, by what the statement wrote into the column:
 *	- nothing, or the stored version (the one it read): stored + 1;
 *	- stored + 1: kept as written.  That is the ORMs' own protocol (Rails
 *	  lock_version, Hibernate @Version, SQLAlchemy version_id_col, Sequelize,
 *	  TypeORM: SET version = read + 1 WHERE version = read); their WHERE
 *	  clause has already proved the read fresh, and since versions only grow
 *	  a stale read + 1 is at most the stored version, never stored + 1;
 *	- anything else (older, newer, NULL): a stale offer, 40001.
 * A stored NULL counts as 0.  A writer one version behind that writes
 * read + 1 WITHOUT the WHERE guard writes the stored version, which reads
 * as "the version read" and is accepted: the guard is what makes the ORM
 * protocol safe, in either mode.  'strict=true' accepts only the first case,
 * for tables whose writers all send the version they read: a writer that
 * computes versions itself is then an error.
 * int2, int4, int8 and domains over them; overflow is an error.
 * ------------------------------------------------------------------------
 */
typedef struct VersionState
{
	AttrNumber	attnum;
	char	   *colname;
	Oid			base;			/* INT2OID, INT4OID or INT8OID */
	Oid			domain;			/* the column's domain, or InvalidOid */
	void	   *domain_extra;	/* domain_check's cache */
	bool		strict;			/* strict=true: stored + 1 is stale too */
} VersionState;

static const OrmtOptionDef version_options[] = {
	{"strict", ORMT_OPT_BOOL},
	{NULL}
};

const OrmtFuncSpec ormt_increment_version_spec = {
	.name = "increment_version",
	.timing = TRIGGER_TYPE_BEFORE,
	.row_ok = true,
	.statement_ok = false,
	.events = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE,
	.required_events = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE,
	.min_columns = 1,
	.max_columns = 1,
	.options = version_options,
	.writes_columns = true,
};

void
ormt_increment_version_build(OrmtTriggerEntry *entry, TriggerData *trigdata,
							 const OrmtArgs *args)
{
	Relation	rel = trigdata->tg_relation;
	VersionState *st = palloc0(sizeof(VersionState));
	Form_pg_attribute att;

	st->attnum = ormt_resolve_column(entry, rel, args->columns[0], false);
	att = TupleDescAttr(RelationGetDescr(rel), st->attnum - 1);
	st->base = getBaseType(att->atttypid);
	if (st->base != INT2OID && st->base != INT4OID && st->base != INT8OID)
		ormt_column_type_error(entry, rel, st->attnum,
							   "a smallint, integer or bigint column (or a domain over one)");
	st->domain = (st->base != att->atttypid) ? att->atttypid : InvalidOid;
	st->colname = pstrdup(NameStr(att->attname));
	st->strict = ormt_option_bool(entry, args, "strict", false);
	entry->data = st;
}

static int64
version_get(VersionState *st, Datum d)
{
	Assert(st->base == INT2OID || st->base == INT4OID || st->base == INT8OID);
	switch (st->base)
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		default:
			return DatumGetInt64(d);
	}
}

/*
 * The version after stored, as a Datum of the column's type; an error when
 * it does not fit the type.
 */
static Datum
version_next(OrmtTriggerEntry *entry, VersionState *st, int64 stored)
{
	int64		max;
	Datum		d;

	switch (st->base)
	{
		case INT2OID:
			max = PG_INT16_MAX;
			break;
		case INT4OID:
			max = PG_INT32_MAX;
			break;
		default:
			max = PG_INT64_MAX;
			break;
	}
	if (stored >= max)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 ormt_errtablecol(entry, st->colname),
				 errmsg("version column \"%s\" of table \"%s\" is out of range",
						st->colname, entry->relname),
				 errdetail("Trigger \"%s\" cannot increment version " INT64_FORMAT ": it is the largest %s.",
						   entry->tgname, stored, format_type_be(st->base)),
				 st->base == INT8OID ?
				 errhint("Set the versions back with the trigger disabled (ALTER TABLE ... DISABLE TRIGGER %s).",
						 quote_identifier(entry->tgname)) :
				 errhint("Widen the column: ALTER TABLE ... ALTER COLUMN %s TYPE bigint.",
						 quote_identifier(st->colname))));
	switch (st->base)
	{
		case INT2OID:
			d = Int16GetDatum((int16) (stored + 1));
			break;
		case INT4OID:
			d = Int32GetDatum((int32) (stored + 1));
			break;
		default:
			d = Int64GetDatum(stored + 1);
			break;
	}
	if (OidIsValid(st->domain))
		domain_check(d, false, st->domain, &st->domain_extra, entry->cxt);
	return d;
}

static Datum
version_return(TriggerData *trigdata, HeapTuple tuple, VersionState *st,
			   Datum value)
{
	int			attnum = st->attnum;
	bool		isnull = false;

	return PointerGetDatum(ormt_modify_tuple(tuple, RelationGetDescr(trigdata->tg_relation),
											 1, &attnum, &value, &isnull));
}

Datum
increment_version(PG_FUNCTION_ARGS)
{
	OrmtTriggerEntry *entry = ORMT_ENTRY(ormt_increment_version_spec, ormt_increment_version_build);
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	VersionState *st = (VersionState *) entry->data;
	bool		oldnull;
	bool		newnull;
	Datum		oldval;
	Datum		newval;
	int64		stored;

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		HeapTuple	tuple = trigdata->tg_trigtuple;

		if (!heap_attisnull(tuple, st->attnum, RelationGetDescr(trigdata->tg_relation)))
			return PointerGetDatum(tuple);
		return version_return(trigdata, tuple, st, version_next(entry, st, 0));
	}

	oldval = slot_getattr(trigdata->tg_trigslot, st->attnum, &oldnull);
	newval = slot_getattr(trigdata->tg_newslot, st->attnum, &newnull);
	stored = oldnull ? 0 : version_get(st, oldval);

	/* the ORM's own increment, its WHERE version = read already checked */
	if (!st->strict && !newnull && stored < PG_INT64_MAX &&
		version_get(st, newval) == stored + 1)
		return PointerGetDatum(trigdata->tg_newtuple);

	if (oldnull != newnull ||
		(!oldnull && version_get(st, oldval) != version_get(st, newval)))
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 ormt_errtablecol(entry, st->colname),
				 errmsg("row of table \"%s\" was changed by another transaction",
						entry->relname),
				 oldnull ?
				 errdetail("Column \"%s\" stores version NULL; the UPDATE offered version " INT64_FORMAT ".",
						   st->colname, version_get(st, newval)) :
				 newnull ?
				 errdetail("Column \"%s\" stores version " INT64_FORMAT "; the UPDATE offered version NULL.",
						   st->colname, version_get(st, oldval)) :
				 errdetail("Column \"%s\" stores version " INT64_FORMAT "; the UPDATE offered version " INT64_FORMAT ".",
						   st->colname, version_get(st, oldval), version_get(st, newval)),
				 st->strict ?
				 errhint("Reload the row and apply the change again. Trigger \"%s\" sets the version itself: leave the column out of the UPDATE, or set it to the version that was read.",
						 entry->tgname) :
				 errhint("Reload the row and apply the change again. Trigger \"%s\" sets the version itself: leave the column out of the UPDATE, set it to the version that was read, or to that version + 1 with WHERE %s = the version read.",
						 entry->tgname, quote_identifier(st->colname))));

	return version_return(trigdata, trigdata->tg_newtuple, st,
						  version_next(entry, st, stored));
}
