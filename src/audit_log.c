/*-------------------------------------------------------------------------
 *
 * audit_log.c
 *		Writing orm_triggers.audit_log: one table describing its columns,
 *		finding the log (its owner, its identity sequence, whether the
 *		direct write of audit_heap.c may write it), the values every entry
 *		of a statement shares, and the write paths, all as the log's owner.
 *
 * Every write runs as the log's owner (ormt_become_owner_with, as
 * ri_triggers.c switches user for its queries), so writers of audited
 * tables need no privileges on the log.  A write goes through
 * audit_heap.c's heap-and-index insert when the log allows it (nothing but
 * our columns, NOT NULLs and plain indexes), else through SPI: an INSERT
 * per row, or for the statement form one INSERT ... SELECT FROM unnest of
 * arrays.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/xid8.h"

#include "audit.h"

/* One column of the log that a parameter fills. */
typedef struct AuditLogColumn
{
	const char *name;
	Oid			typid;			/* the parameter's type */
	Oid			arraytypid;		/* per-row parameters: the array's type */
	int16		typlen;
	bool		typbyval;
	char		typalign;
} AuditLogColumn;

static const AuditLogColumn audit_log_columns[AUDIT_NPARAMS] = {
	[AUDIT_P_TXID] = {"txid", XID8OID, InvalidOid, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE},
	[AUDIT_P_TX_TIME] = {"tx_time", TIMESTAMPTZOID, InvalidOid, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE},
	[AUDIT_P_LOGGED_AT] = {"logged_at", TIMESTAMPTZOID, InvalidOid, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE},
	[AUDIT_P_ACTOR] = {"actor", TEXTOID, InvalidOid, -1, false, TYPALIGN_INT},
	[AUDIT_P_SESSION_USER] = {"session_user_name", NAMEOID, InvalidOid, NAMEDATALEN, false, TYPALIGN_CHAR},
	[AUDIT_P_CONTEXT] = {"context", JSONBOID, InvalidOid, -1, false, TYPALIGN_INT},
	[AUDIT_P_TABLE] = {"table_oid", REGCLASSOID, InvalidOid, 4, true, TYPALIGN_INT},
	[AUDIT_P_SCHEMA_NAME] = {"schema_name", NAMEOID, InvalidOid, NAMEDATALEN, false, TYPALIGN_CHAR},
	[AUDIT_P_TABLE_NAME] = {"table_name", NAMEOID, InvalidOid, NAMEDATALEN, false, TYPALIGN_CHAR},
	[AUDIT_P_OP] = {"op", TEXTOID, InvalidOid, -1, false, TYPALIGN_INT},
	[AUDIT_P_KEY] = {"key", JSONBOID, JSONBARRAYOID, -1, false, TYPALIGN_INT},
	[AUDIT_P_OLD_VALUES] = {"old_values", JSONBOID, JSONBARRAYOID, -1, false, TYPALIGN_INT},
	[AUDIT_P_NEW_VALUES] = {"new_values", JSONBOID, JSONBARRAYOID, -1, false, TYPALIGN_INT},
	[AUDIT_P_KEY_HASH] = {"key_hash", INT8OID, INT8ARRAYOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE},
	[AUDIT_P_OLD_KEY_HASH] = {"old_key_hash", INT8OID, INT8ARRAYOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE},
};

#define AUDIT_LOG_ID "id"

/* Every write: as the log's owner, row security of the log not forced. */
#define audit_become_owner(t, save) \
	ormt_become_owner_with((t)->log_owner, SECURITY_NOFORCE_RLS, (save))

/*
 * Find the log for the audit trigger on rel: fill in target and return the
 * log's OID (the entry then depends on it).  Whether audit_heap.c may
 * write it is decided here, and again at each write.
 */
Oid
ormt_audit_log_target(OrmtTriggerEntry *entry, Relation rel, AuditTarget *t)
{
	Oid			nsp = get_namespace_oid("orm_triggers", false);
	Oid			logrel = get_relname_relid("audit_log", nsp);
	Relation	log;
	TupleDesc	desc;
	int			found = 0;

	memset(t, 0, sizeof(*t));
	if (!OidIsValid(logrel))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table orm_triggers.audit_log does not exist"),
				 errhint("Reinstall the extension: DROP EXTENSION orm_triggers; CREATE EXTENSION orm_triggers."),
				 err_generic_string(PG_DIAG_SCHEMA_NAME, "orm_triggers"),
				 err_generic_string(PG_DIAG_TABLE_NAME, "audit_log")));
	if (RelationGetRelid(rel) == logrel)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" cannot audit the audit log itself",
						entry->tgname),
				 errdetail("Every audit row written would be audited again."),
				 errhint("DROP TRIGGER %s ON orm_triggers.audit_log.",
						 quote_identifier(entry->tgname)),
				 errtable(rel)));
	ormt_cache_add_dependency(entry, logrel);

	log = table_open(logrel, AccessShareLock);
	desc = RelationGetDescr(log);
	t->log_relid = logrel;
	t->log_owner = log->rd_rel->relowner;
	t->log_natts = desc->natts;

	/* where each value goes: the columns by name, and nothing else */
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		int			p;

		if (att->attisdropped)
			continue;
		if (strcmp(NameStr(att->attname), AUDIT_LOG_ID) == 0)
		{
			t->id_attnum = att->attnum;
			found++;
			continue;
		}
		for (p = 0; p < AUDIT_NPARAMS; p++)
			if (strcmp(NameStr(att->attname), audit_log_columns[p].name) == 0)
				break;
		if (p < AUDIT_NPARAMS)
		{
			t->attnum[p] = att->attnum;
			found++;
		}
		else
			found = -desc->natts - 1;	/* a column of its own: SPI */
	}

	/* the sequence of id, as the catalog knows it */
	if (t->id_attnum != InvalidAttrNumber)
		t->seq_relid = ormt_identity_sequence(log, t->id_attnum);

	t->direct = found == AUDIT_NPARAMS + 1 && OidIsValid(t->seq_relid) &&
		ormt_audit_heap_usable(log, t);
	table_close(log, AccessShareLock);
	return logrel;
}

bool
ormt_audit_target_equal(const AuditTarget *a, const AuditTarget *b)
{
	return a->log_relid == b->log_relid && a->log_owner == b->log_owner &&
		a->seq_relid == b->seq_relid && a->direct == b->direct &&
		a->log_natts == b->log_natts && a->id_attnum == b->id_attnum &&
		memcmp(a->attnum, b->attnum, sizeof(a->attnum)) == 0;
}

/* op as a text Datum, made once per backend for each of the four. */
static Datum
op_text(TriggerEvent event)
{
	static text *texts[TRIGGER_EVENT_OPMASK + 1];
	int			op = event & TRIGGER_EVENT_OPMASK;

	if (texts[op] == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		texts[op] = cstring_to_text(ormt_event_name(event));
		MemoryContextSwitchTo(old);
	}
	return PointerGetDatum(texts[op]);
}

/*
 * The values every entry of a statement shares: everything but key,
 * values and key hashes, which are set to those of an entry without a key
 * (TRUNCATE: key_hash 0, the rest NULL).
 */
void
ormt_audit_log_common(AuditRow *row, Oid table, Name schema_name,
					  Name table_name, TriggerEvent event)
{
	row->values[AUDIT_P_TXID] = FullTransactionIdGetDatum(GetTopFullTransactionId());
	row->values[AUDIT_P_TX_TIME] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	row->values[AUDIT_P_LOGGED_AT] = TimestampTzGetDatum(GetCurrentTimestamp());
	row->values[AUDIT_P_ACTOR] = ormt_actor_text();
	row->values[AUDIT_P_SESSION_USER] = NameGetDatum(ormt_session_user_name());
	row->values[AUDIT_P_CONTEXT] = ormt_context_jsonb(&row->nulls[AUDIT_P_CONTEXT]);
	row->values[AUDIT_P_TABLE] = ObjectIdGetDatum(table);
	row->values[AUDIT_P_SCHEMA_NAME] = NameGetDatum(schema_name);
	row->values[AUDIT_P_TABLE_NAME] = NameGetDatum(table_name);
	row->values[AUDIT_P_OP] = op_text(event);
	for (int p = AUDIT_P_TXID; p < AUDIT_FIRST_PER_ROW; p++)
		if (p != AUDIT_P_CONTEXT)
			row->nulls[p] = false;
	for (int p = AUDIT_FIRST_PER_ROW; p < AUDIT_NPARAMS; p++)
	{
		row->values[p] = (Datum) 0;
		row->nulls[p] = true;
	}
	row->values[AUDIT_P_KEY_HASH] = Int64GetDatum(0);	/* of a NULL key */
	row->nulls[AUDIT_P_KEY_HASH] = false;
}

/* "INSERT INTO orm_triggers.audit_log (txid, ..., old_key_hash[, id]) " */
static void
append_insert(StringInfo sql, bool with_id)
{
	appendStringInfoString(sql, "INSERT INTO orm_triggers.audit_log (");
	for (int p = 0; p < AUDIT_NPARAMS; p++)
		appendStringInfo(sql, "%s%s", p > 0 ? ", " : "", audit_log_columns[p].name);
	if (with_id)
		appendStringInfoString(sql, ", " AUDIT_LOG_ID);
	appendStringInfoString(sql, ") ");
}

/*
 * The saved plan of a trigger's INSERT: of one entry (VALUES), or with
 * arrays the statement form's INSERT ... SELECT FROM ROWS FROM (unnest of
 * each per-row parameter).  A generic plan: the arrays are parameters,
 * never constants copied into a plan made for one fire.
 */
SPIPlanPtr
ormt_audit_log_prepare(OrmtTriggerEntry *entry, bool arrays)
{
	StringInfoData sql;
	Oid			argtypes[AUDIT_NPARAMS];

	initStringInfo(&sql);
	append_insert(&sql, false);
	appendStringInfoString(&sql, arrays ? "SELECT " : "VALUES (");
	for (int p = 0; p < AUDIT_NPARAMS; p++)
	{
		bool		unnested = arrays && p >= AUDIT_FIRST_PER_ROW;

		argtypes[p] = unnested ? audit_log_columns[p].arraytypid : audit_log_columns[p].typid;
		Assert(OidIsValid(argtypes[p]));
		if (unnested)
			appendStringInfo(&sql, "%su.p%d", p > 0 ? ", " : "", p + 1);
		else
			appendStringInfo(&sql, "%s$%d", p > 0 ? ", " : "", p + 1);
	}
	if (arrays)
	{
		appendStringInfoString(&sql, " FROM ROWS FROM (");
		for (int p = AUDIT_FIRST_PER_ROW; p < AUDIT_NPARAMS; p++)
			appendStringInfo(&sql, "%spg_catalog.unnest($%d)",
							 p > AUDIT_FIRST_PER_ROW ? ", " : "", p + 1);
		appendStringInfoString(&sql, ") AS u (");
		for (int p = AUDIT_FIRST_PER_ROW; p < AUDIT_NPARAMS; p++)
			appendStringInfo(&sql, "%sp%d", p > AUDIT_FIRST_PER_ROW ? ", " : "", p + 1);
	}
	appendStringInfoChar(&sql, ')');
	return ormt_cache_prepare(entry, sql.data, AUDIT_NPARAMS, argtypes,
							  CURSOR_OPT_GENERIC_PLAN);
}

/* Execute a saved plan with values and nulls as SPI wants them. */
static void
execute_plan(SPIPlanPtr plan, const Datum *values, const bool *nulls, int n)
{
	char		spinulls[AUDIT_NPARAMS + 1];
	int			rc;

	Assert(n <= AUDIT_NPARAMS + 1);
	for (int p = 0; p < n; p++)
		spinulls[p] = nulls[p] ? 'n' : ' ';
	rc = SPI_execute_plan(plan, unconstify(Datum *, values), spinulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "orm_triggers: insert into audit_log failed: %s",
			 SPI_result_code_string(rc));
}

/* One row as the direct write asks for it. */
static void
one_row(void *arg, int r, AuditRow *row, int64 *id)
{
	Assert(r == 0);
	*row = *(const AuditRow *) arg;
	*id = 0;
}

/*
 * Write one entry (the row form, when it cannot wait, and TRUNCATE):
 * directly when asked and the log allows it, else through the trigger's
 * saved plan.
 */
void
ormt_audit_log_write_row(const AuditTarget *t, SPIPlanPtr plan,
						 const AuditRow *row, bool direct)
{
	OrmtUserSave save;
	bool		done = false;

	audit_become_owner(t, &save);
	if (direct && t->direct)
		done = ormt_audit_heap_insert(t, 1, one_row, unconstify(AuditRow *, row),
									  GetCurrentCommandId(true));
	if (!done)
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		execute_plan(plan, row->values, row->nulls, AUDIT_NPARAMS);
		if (SPI_finish() != SPI_OK_FINISH)
			elog(ERROR, "SPI_finish failed");
	}
	ormt_restore_user(&save);
}

/* The statement form's rows: shared values, and arrays of the per-row ones. */
typedef struct AuditArrays
{
	AuditRow   *common;
	Datum	  **arr;
	bool	  **arrnull;
} AuditArrays;

static void
arrays_row(void *arg, int r, AuditRow *row, int64 *id)
{
	AuditArrays *a = (AuditArrays *) arg;

	memcpy(row, a->common, sizeof(AuditRow));
	for (int p = AUDIT_FIRST_PER_ROW; p < AUDIT_NPARAMS; p++)
	{
		row->values[p] = a->arr[p - AUDIT_FIRST_PER_ROW][r];
		row->nulls[p] = a->arrnull[p - AUDIT_FIRST_PER_ROW][r];
	}
	*id = 0;
}

/*
 * Write n entries of the statement form: common's shared values, and per
 * row the values in arr[p - AUDIT_FIRST_PER_ROW][r].  Without the direct
 * write, the arrays are made in cxt and go to plan (the unnest INSERT).
 */
void
ormt_audit_log_write_arrays(const AuditTarget *t, SPIPlanPtr plan,
							AuditRow *common, int n, Datum **arr,
							bool **arrnull, MemoryContext cxt)
{
	OrmtUserSave save;
	bool		done = false;

	Assert(n > 0);
	audit_become_owner(t, &save);
	if (t->direct)
	{
		AuditArrays a = {common, arr, arrnull};

		done = ormt_audit_heap_insert(t, n, arrays_row, &a,
									  GetCurrentCommandId(true));
	}
	if (!done)
	{
		Datum		values[AUDIT_NPARAMS];
		bool		nulls[AUDIT_NPARAMS];
		int			dims[1] = {n};
		int			lbs[1] = {1};
		MemoryContext old = MemoryContextSwitchTo(cxt);

		memcpy(values, common->values, sizeof(values));
		memcpy(nulls, common->nulls, sizeof(nulls));
		for (int p = AUDIT_FIRST_PER_ROW; p < AUDIT_NPARAMS; p++)
		{
			const AuditLogColumn *c = &audit_log_columns[p];
			int			j = p - AUDIT_FIRST_PER_ROW;

			values[p] = PointerGetDatum(construct_md_array(arr[j], arrnull[j], 1, dims, lbs,
														   c->typid, c->typlen, c->typbyval,
														   c->typalign));
			nulls[p] = false;
		}
		MemoryContextSwitchTo(old);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		execute_plan(plan, values, nulls, AUDIT_NPARAMS);
		if (SPI_finish() != SPI_OK_FINISH)
			elog(ERROR, "SPI_finish failed");
	}
	ormt_restore_user(&save);
}

/* Rows kept by audit_batch.c: n * AUDIT_NPARAMS values, and their ids. */
typedef struct AuditKept
{
	const Datum *values;
	const bool *nulls;
	const int64 *ids;
} AuditKept;

static void
kept_row(void *arg, int r, AuditRow *row, int64 *id)
{
	AuditKept  *k = (AuditKept *) arg;

	memcpy(row->values, k->values + r * AUDIT_NPARAMS, sizeof(row->values));
	memcpy(row->nulls, k->nulls + r * AUDIT_NPARAMS, sizeof(row->nulls));
	*id = k->ids[r];
	Assert(*id != 0);
}

/*
 * Write rows that waited (audit_batch.c), with the ids they were given, as
 * of command cid.  When the log changed so that the direct write cannot
 * write it any more, one INSERT per row, ids kept.
 */
void
ormt_audit_log_write_kept(const AuditTarget *t, int n, const Datum *values,
						  const bool *nulls, const int64 *ids, CommandId cid)
{
	AuditKept	k = {values, nulls, ids};
	OrmtUserSave save;
	bool		done;

	audit_become_owner(t, &save);
	done = ormt_audit_heap_insert(t, n, kept_row, &k, cid);
	if (!done)
	{
		Oid			argtypes[AUDIT_NPARAMS + 1];
		StringInfoData sql;
		SPIPlanPtr	plan;

		initStringInfo(&sql);
		append_insert(&sql, true);
		appendStringInfoString(&sql, "VALUES (");
		for (int p = 0; p <= AUDIT_NPARAMS; p++)
		{
			argtypes[p] = p < AUDIT_NPARAMS ? audit_log_columns[p].typid : INT8OID;
			appendStringInfo(&sql, "%s$%d", p > 0 ? ", " : "", p + 1);
		}
		appendStringInfoChar(&sql, ')');
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		plan = SPI_prepare(sql.data, AUDIT_NPARAMS + 1, argtypes);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		for (int r = 0; r < n; r++)
		{
			Datum		v[AUDIT_NPARAMS + 1];
			bool		nl[AUDIT_NPARAMS + 1];

			memcpy(v, values + r * AUDIT_NPARAMS, sizeof(Datum) * AUDIT_NPARAMS);
			memcpy(nl, nulls + r * AUDIT_NPARAMS, sizeof(bool) * AUDIT_NPARAMS);
			v[AUDIT_NPARAMS] = Int64GetDatum(ids[r]);
			nl[AUDIT_NPARAMS] = false;
			execute_plan(plan, v, nl, AUDIT_NPARAMS + 1);
		}
		if (SPI_finish() != SPI_OK_FINISH)
			elog(ERROR, "SPI_finish failed");
	}
	ormt_restore_user(&save);
}

/*
 * A copy of parameter p's value in the current memory context; *bytes
 * grows by what a copy by reference takes.
 */
void
ormt_audit_param_copy(AuditParam p, Datum value, Datum *copy, Size *bytes)
{
	const AuditLogColumn *c = &audit_log_columns[p];

	*copy = datumCopy(value, c->typbyval, c->typlen);
	if (!c->typbyval)
		*bytes += datumGetSize(*copy, false, c->typlen);
}

/* Are two non-NULL values of parameter p the same bytes? */
bool
ormt_audit_param_equal(AuditParam p, Datum a, Datum b)
{
	const AuditLogColumn *c = &audit_log_columns[p];

	return datumIsEqual(a, b, c->typbyval, c->typlen);
}
