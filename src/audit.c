/*-------------------------------------------------------------------------
 *
 * audit.c
 *		orm_triggers.audit: one entry per changed row in
 *		orm_triggers.audit_log, and audit_key_hash().
 *
 * The same C function works as an AFTER ROW trigger (INSERT, UPDATE,
 * DELETE), as an AFTER STATEMENT trigger over transition tables (the
 * changed rows of a statement written together, whatever their number)
 * and as an AFTER TRUNCATE statement trigger.  This file builds a
 * trigger's state and each entry's values: key, old and new values as
 * jsonb (json_values.c renders them as to_jsonb does), key_hash.  The
 * log's columns, the owner switch and the writes are audit_log.c's; the
 * row form's entries wait for the end of their statement in
 * audit_batch.c.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "audit.h"

PG_FUNCTION_INFO_V1(audit);
PG_FUNCTION_INFO_V1(audit_key_hash);

typedef struct AuditState
{
	bool		full;			/* full rows on UPDATE */
	OrmtJsonColumnSet cols;		/* logged columns */
	OrmtJsonColumnSet keys;		/* primary-key columns (logged or not) */
	Oid			table_oid;		/* the partition root */
	NameData	schema_name;
	NameData	table_name;
	SPIPlanPtr	plan;			/* INSERT of one entry, or of arrays */
	AuditTarget target;
} AuditState;

static const OrmtOptionDef audit_options[] = {
	{"full", ORMT_OPT_BOOL, NULL},
	{"exclude", ORMT_OPT_COLUMNS, NULL},
	{NULL}
};

const OrmtFuncSpec ormt_audit_spec = {
	.name = "audit",
	.timing = TRIGGER_TYPE_AFTER,
	.row_ok = true,
	.statement_ok = true,
	.events = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE |
	TRIGGER_TYPE_DELETE | TRIGGER_TYPE_TRUNCATE,
	.required_events = 0,
	.min_columns = 0,
	.max_columns = 0,
	.options = audit_options,
};

/* ------------------------------------------------------------------------
 * Building the per-trigger state
 * ------------------------------------------------------------------------
 */

void
ormt_audit_build(OrmtTriggerEntry *entry, TriggerData *trigdata, const OrmtArgs *args)
{
	Relation	rel = trigdata->tg_relation;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	int16		tgtype = trigdata->tg_trigger->tgtype;
	AuditState *st = palloc0(sizeof(AuditState));
	bool	   *excluded = palloc0(sizeof(bool) * (tupdesc->natts + 1));
	AttrNumber *pk;
	char	   *nspname;
	char	   *relname;
	bool		row = TRIGGER_FOR_ROW(tgtype);

	/* the log itself */
	ormt_audit_log_target(entry, rel, &st->target);

	/* statement triggers read transition tables */
	if (!row)
		ormt_require_transition_tables(entry, trigdata,
									   TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_DELETE,
									   TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE);

	/* the table users name: the partition root */
	st->table_oid = ormt_partition_root_name(rel, &nspname, &relname);
	if (st->table_oid != RelationGetRelid(rel))
		ormt_cache_add_dependency(entry, st->table_oid);
	namestrcpy(&st->table_name, relname);
	namestrcpy(&st->schema_name, nspname);

	/* options */
	st->full = ormt_option_bool(entry, args, "full", false);
	ormt_mark_option_columns(entry, rel, args, "exclude", excluded);

	/* logged columns, by name: dropped ones never */
	st->cols.cols = palloc(sizeof(OrmtJsonColumn) * Max(tupdesc->natts, 1));
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (att->attisdropped || excluded[att->attnum])
			continue;
		ormt_json_column_init(&st->cols.cols[st->cols.ncols++], att);
	}

	/* the primary key: logged in key even when excluded from the values */
	st->keys.ncols = ormt_primary_key(rel, &pk);
	st->keys.cols = palloc(sizeof(OrmtJsonColumn) * Max(st->keys.ncols, 1));
	for (int i = 0; i < st->keys.ncols; i++)
		ormt_json_column_init(&st->keys.cols[i], TupleDescAttr(tupdesc, pk[i] - 1));
	ormt_json_columns_prepare(&st->cols);
	ormt_json_columns_prepare(&st->keys);

	/* the INSERT, for when the log needs SPI */
	st->plan = ormt_audit_log_prepare(entry,
									  !row && !TRIGGER_FOR_TRUNCATE(tgtype));
	entry->data = st;
}

/* ------------------------------------------------------------------------
 * Changes of one row
 * ------------------------------------------------------------------------
 */

/*
 * key_hash: an int8 standing for a key, so that the index which finds one
 * row's entries compares integers, not jsonb.  A key of one member whose
 * value is an integral number within int8 is that number (the entries of a
 * serial or identity key then go into the index in key order, as into the
 * table's own); any other key is jsonb's own hash.  Keys equal as jsonb
 * always get the same key_hash; different keys may too, so lookups also
 * compare key.
 */
static int64
key_hash_of_jsonb(Jsonb *key)
{
	if (JB_ROOT_IS_OBJECT(key) && JB_ROOT_COUNT(key) == 1)
	{
		JsonbIterator *it = JsonbIteratorInit(&key->root);
		JsonbValue	v;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
		{
			if (tok == WJB_VALUE && v.type == jbvNumeric &&
				!numeric_is_nan(v.val.numeric) && !numeric_is_inf(v.val.numeric))
			{
				/* "5", "5.5", "-12": the value without trailing zeros */
				char	   *digits = numeric_normalize(v.val.numeric);
				char	   *end;
				long long	n;

				errno = 0;
				n = strtoll(digits, &end, 10);
				if (errno == 0 && *end == '\0' && end != digits)
					return (int64) n;
			}
		}
	}
	return DatumGetInt64(DirectFunctionCall2(jsonb_hash_extended,
											 JsonbPGetDatum(key), Int64GetDatum(0)));
}

/*
 * The same from the key columns of a slot: a single integer column is its
 * value, without looking at the jsonb key built from it.
 */
static int64
slot_key_hash(AuditState *st, TupleTableSlot *slot, Datum key)
{
	if (st->keys.ncols == 1 && !slot->tts_isnull[st->keys.cols[0].attnum - 1])
	{
		Datum		v = slot->tts_values[st->keys.cols[0].attnum - 1];

		switch (st->keys.cols[0].basetypid)
		{
			case INT2OID:
				return DatumGetInt16(v);
			case INT4OID:
				return DatumGetInt32(v);
			case INT8OID:
				return DatumGetInt64(v);
			default:
				break;
		}
	}
	return key_hash_of_jsonb(DatumGetJsonbP(key));
}

/*
 * orm_triggers.audit_key_hash(key jsonb) returns bigint: the key_hash the
 * audit trigger stores for a row with this key (IMMUTABLE, STRICT).
 */
Datum
audit_key_hash(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(key_hash_of_jsonb(PG_GETARG_JSONB_P(0)));
}

static inline void
set_param(AuditRow *row, AuditParam p, Datum value)
{
	row->values[p] = value;
	row->nulls[p] = false;
}

/*
 * Key, old and new values, key_hash and old_key_hash of one changed row,
 * into row (whose other values ormt_audit_log_common set).  oldslot or
 * newslot is NULL for INSERT or DELETE.  Returns false for an UPDATE that
 * changed no logged column (and not the key).
 */
static bool
audit_change(AuditState *st, TupleTableSlot *oldslot, TupleTableSlot *newslot,
			 AuditRow *row, bool *changed)
{
	TupleTableSlot *keyslot = newslot ? newslot : oldslot;

	Assert(keyslot != NULL);
	if (oldslot)
		slot_getallattrs(oldslot);
	if (newslot)
		slot_getallattrs(newslot);

	for (int p = AUDIT_FIRST_PER_ROW; p < AUDIT_NPARAMS; p++)
		row->nulls[p] = true;
	set_param(row, AUDIT_P_KEY_HASH, Int64GetDatum(0)); /* of a NULL key */
	if (oldslot && newslot)
	{
		bool		any = false;
		bool		key_changed = false;
		bool	   *mask;

		for (int i = 0; i < st->keys.ncols; i++)
		{
			OrmtJsonColumn *col = &st->keys.cols[i];
			int			a = col->attnum - 1;

			if (!ormt_datum_equal(oldslot->tts_values[a], oldslot->tts_isnull[a],
								  newslot->tts_values[a], newslot->tts_isnull[a],
								  col->typlen, col->typbyval))
				key_changed = true;
		}
		for (int i = 0; i < st->cols.ncols; i++)
		{
			OrmtJsonColumn *col = &st->cols.cols[i];
			int			a = col->attnum - 1;

			changed[i] = !ormt_datum_equal(oldslot->tts_values[a], oldslot->tts_isnull[a],
										   newslot->tts_values[a], newslot->tts_isnull[a],
										   col->typlen, col->typbyval);
			any |= changed[i];
		}
		if (!any && !key_changed)
			return false;

		/*
		 * A key change logs whole rows: the new key's history starts here,
		 * and old_key_hash lets the old key's history find where it ended.
		 */
		if (key_changed)
		{
			Datum		oldkey = ormt_json_object(&st->keys, NULL, oldslot);

			set_param(row, AUDIT_P_OLD_KEY_HASH,
					  Int64GetDatum(slot_key_hash(st, oldslot, oldkey)));
		}
		mask = st->full || key_changed ? NULL : changed;
		set_param(row, AUDIT_P_OLD_VALUES, ormt_json_object(&st->cols, mask, oldslot));
		set_param(row, AUDIT_P_NEW_VALUES, ormt_json_object(&st->cols, mask, newslot));
	}
	else if (newslot)
		set_param(row, AUDIT_P_NEW_VALUES, ormt_json_object(&st->cols, NULL, newslot));
	else
		set_param(row, AUDIT_P_OLD_VALUES, ormt_json_object(&st->cols, NULL, oldslot));
	if (st->keys.ncols > 0)
	{
		Datum		key = ormt_json_object(&st->keys, NULL, keyslot);

		set_param(row, AUDIT_P_KEY, key);
		set_param(row, AUDIT_P_KEY_HASH, Int64GetDatum(slot_key_hash(st, keyslot, key)));
	}
	return true;
}

/* AFTER ROW: one entry per changed row, kept for the end of the statement. */
static void
audit_row(TriggerData *trigdata, AuditState *st)
{
	TriggerEvent event = trigdata->tg_event;
	AuditRow	row;
	bool	   *changed = palloc(sizeof(bool) * Max(st->cols.ncols, 1));
	TupleTableSlot *oldslot = NULL;
	TupleTableSlot *newslot = NULL;

	if (TRIGGER_FIRED_BY_INSERT(event))
		newslot = trigdata->tg_trigslot;
	else if (TRIGGER_FIRED_BY_UPDATE(event))
	{
		oldslot = trigdata->tg_trigslot;
		newslot = trigdata->tg_newslot;
	}
	else
		oldslot = trigdata->tg_trigslot;

	ormt_audit_log_common(&row, st->table_oid, &st->schema_name, &st->table_name,
						  event);
	if (!audit_change(st, oldslot, newslot, &row, changed))
		return;
	if (st->target.direct && ormt_audit_keep(&st->target, &row))
		return;
	ormt_audit_log_write_row(&st->target, st->plan, &row, true);
}

/*
 * Changed rows of one statement waiting to be written: the per-row values
 * (key, old and new values, each a jsonb copied into the batch's memory
 * context, and the key hashes), one array per parameter.
 */
typedef struct AuditBatch
{
	MemoryContext cxt;
	int			n;
	int			cap;
	Size		bytes;
	Datum	   *arr[AUDIT_NPER_ROW];
	bool	   *arrnull[AUDIT_NPER_ROW];
} AuditBatch;

/* Rows, or bytes of jsonb, after which a batch is written (arrays stay far below 1 GB). */
#define AUDIT_BATCH_ROWS 100000
#define AUDIT_BATCH_BYTES (64 * 1024 * 1024)

static void
batch_add(AuditBatch *b, const AuditRow *row)
{
	MemoryContext old = MemoryContextSwitchTo(b->cxt);

	if (b->n == b->cap)
	{
		b->cap = b->cap ? b->cap * 2 : 256;
		for (int j = 0; j < AUDIT_NPER_ROW; j++)
		{
			b->arr[j] = b->arr[j] ? repalloc(b->arr[j], sizeof(Datum) * b->cap) :
				palloc(sizeof(Datum) * b->cap);
			b->arrnull[j] = b->arrnull[j] ? repalloc(b->arrnull[j], sizeof(bool) * b->cap) :
				palloc(sizeof(bool) * b->cap);
		}
	}
	for (int p = AUDIT_FIRST_PER_ROW; p < AUDIT_NPARAMS; p++)
	{
		int			j = p - AUDIT_FIRST_PER_ROW;

		b->arrnull[j][b->n] = row->nulls[p];
		b->arr[j][b->n] = (Datum) 0;
		if (row->nulls[p])
			continue;
		ormt_audit_param_copy(p, row->values[p], &b->arr[j][b->n], &b->bytes);
	}
	b->n++;
	MemoryContextSwitchTo(old);
}

/* Write the batch's rows; empties it. */
static void
batch_flush(AuditState *st, AuditBatch *b, AuditRow *common)
{
	if (b->n == 0)
		return;
	ormt_audit_log_write_arrays(&st->target, st->plan, common, b->n,
								b->arr, b->arrnull, b->cxt);
	MemoryContextReset(b->cxt);
	memset(b->arr, 0, sizeof(b->arr));
	memset(b->arrnull, 0, sizeof(b->arrnull));
	b->n = b->cap = 0;
	b->bytes = 0;
}

/*
 * AFTER STATEMENT over transition tables: old and new rows are paired by
 * position (the executor appends them together), and the changed rows go
 * to the log together (AUDIT_BATCH_ROWS rows or AUDIT_BATCH_BYTES of
 * values at a time).  Each row's work is done in a context reset per row,
 * so memory grows only by the values kept for the write.
 */
static void
audit_statement(OrmtTriggerEntry *entry, TriggerData *trigdata, AuditState *st)
{
	TriggerEvent event = trigdata->tg_event;
	TupleDesc	tupdesc = RelationGetDescr(trigdata->tg_relation);
	Tuplestorestate *oldts = NULL;
	Tuplestorestate *newts = NULL;
	TupleTableSlot *oldslot = NULL;
	TupleTableSlot *newslot = NULL;
	int			oldptr = 0;
	int			newptr = 0;
	AuditRow	row;
	bool	   *changed = palloc(sizeof(bool) * Max(st->cols.ncols, 1));
	MemoryContext rowcxt;
	MemoryContext oldcxt;
	AuditBatch	batch;

	if (!TRIGGER_FIRED_BY_INSERT(event))
		oldts = trigdata->tg_oldtable;
	if (!TRIGGER_FIRED_BY_DELETE(event))
		newts = trigdata->tg_newtable;
	Assert(oldts != NULL || newts != NULL);
	if (oldts)
		oldslot = ormt_transition_reader(oldts, tupdesc, &oldptr);
	if (newts)
		newslot = ormt_transition_reader(newts, tupdesc, &newptr);

	memset(&batch, 0, sizeof(batch));
	batch.cxt = AllocSetContextCreate(CurrentMemoryContext, "orm_triggers audit batch",
									  ALLOCSET_DEFAULT_SIZES);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "orm_triggers audit row",
								   ALLOCSET_DEFAULT_SIZES);

	ormt_audit_log_common(&row, st->table_oid, &st->schema_name, &st->table_name,
						  event);
	for (;;)
	{
		bool		more_old = oldts && ormt_transition_next(oldts, oldptr, oldslot);
		bool		more_new = newts && ormt_transition_next(newts, newptr, newslot);
		bool		logged;

		if ((oldts && !more_old) || (newts && !more_new))
		{
			if (more_old || more_new)
				elog(ERROR, "orm_triggers: transition tables of trigger \"%s\" differ in length",
					 entry->tgname);
			break;
		}
		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(rowcxt);
		oldcxt = MemoryContextSwitchTo(rowcxt);
		logged = audit_change(st, oldslot, newslot, &row, changed);
		MemoryContextSwitchTo(oldcxt);
		if (!logged)
			continue;
		batch_add(&batch, &row);
		if (batch.n >= AUDIT_BATCH_ROWS || batch.bytes >= AUDIT_BATCH_BYTES)
			batch_flush(st, &batch, &row);
	}
	if (oldts)
		ormt_transition_done(oldts, oldslot);
	if (newts)
		ormt_transition_done(newts, newslot);
	batch_flush(st, &batch, &row);
	MemoryContextDelete(rowcxt);
	MemoryContextDelete(batch.cxt);
}

/* AFTER TRUNCATE: one entry, no key and no values. */
static void
audit_truncate(AuditState *st)
{
	AuditRow	row;

	ormt_audit_log_common(&row, st->table_oid, &st->schema_name, &st->table_name,
						  TRIGGER_EVENT_TRUNCATE);
	ormt_audit_log_write_row(&st->target, st->plan, &row, false);
}

/* ------------------------------------------------------------------------
 * audit(['full=true'] [, 'exclude=c1,c2'])
 *
 * AFTER INSERT OR UPDATE OR DELETE, FOR EACH ROW; or AFTER INSERT, UPDATE or
 * DELETE FOR EACH STATEMENT with REFERENCING OLD/NEW TABLE; or AFTER
 * TRUNCATE FOR EACH STATEMENT.
 *
 * INSERT logs the whole new row, DELETE the whole old row, UPDATE the
 * changed columns (full=true: whole rows; a primary-key change: whole
 * rows); an UPDATE that changes no logged column logs nothing.  Excluded
 * columns never appear in old_values/new_values.
 * ------------------------------------------------------------------------
 */
Datum
audit(PG_FUNCTION_ARGS)
{
	OrmtTriggerEntry *entry = ORMT_ENTRY(ormt_audit_spec, ormt_audit_build);
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	AuditState *st = (AuditState *) entry->data;

	Assert(st != NULL);
	if (TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		audit_row(trigdata, st);
	else if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		audit_truncate(st);
	else
		audit_statement(entry, trigdata, st);
	return PointerGetDatum(NULL);
}
