/*-------------------------------------------------------------------------
 *
 * audit.c
 *		orm_triggers.audit: one row per changed row in orm_triggers.audit_log.
 *
 * The same C function works as an AFTER ROW trigger (INSERT, UPDATE,
 * DELETE), as an AFTER STATEMENT trigger over transition tables (one
 * set-wise INSERT per statement, whatever the number of rows) and as an
 * AFTER TRUNCATE statement trigger.  Old and new values are built as jsonb
 * directly in C, rendering every value the way to_jsonb does; only arrays,
 * composites and types with a cast to json go through to_jsonb itself.
 *
 * The log is written as its owner (SetUserIdAndSecContext around the
 * INSERT only, as ri_triggers.c does), so writers of audited tables need no
 * privileges on it.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_coerce.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/xid8.h"
#include "tcop/utility.h"

#include "compat.h"
#include "orm_triggers.h"

PG_FUNCTION_INFO_V1(audit);
PG_FUNCTION_INFO_V1(audit_key_hash);

/* Indexes on the log beyond which the row form writes through SPI. */
#define AUDIT_MAX_INDEXES 16

/* The log INSERT's parameters, in this order (after id). */
#define AUDIT_NPARAMS 15
static const char *const audit_log_columns[AUDIT_NPARAMS + 1] = {
	"id", "txid", "tx_time", "logged_at", "actor", "session_user_name",
	"context", "table_oid", "schema_name", "table_name", "op", "key",
	"old_values", "new_values", "key_hash", "old_key_hash"
};

/* The int8 parameters among the per-row ones. */
#define AUDIT_P_KEY_HASH 13
#define AUDIT_P_OLD_KEY_HASH 14
#define audit_param_is_int8(j) ((j) == AUDIT_P_KEY_HASH || (j) == AUDIT_P_OLD_KEY_HASH)

/*
 * Parameters 10 to 14 differ per row: key, old_values, new_values,
 * key_hash, old_key_hash.
 */
#define AUDIT_COMMON 10
#define AUDIT_PERROW (AUDIT_NPARAMS - AUDIT_COMMON)

/* How one column's value becomes a jsonb value (as to_jsonb renders it). */
typedef enum AuditJsonKind
{
	AJ_BOOL,					/* true/false */
	AJ_INT,						/* int2/int4/int8: a number */
	AJ_NUMBER,					/* float, numeric: a number, or a string
								 * for NaN and infinities */
	AJ_DATETIME,				/* date, timestamp, timestamptz: ISO string */
	AJ_JSONB,					/* as is */
	AJ_JSON,					/* parsed; see json_value() */
	AJ_STRING,					/* the output function's text */
	AJ_TEXT,					/* text, varchar: the value itself */
	AJ_GENERIC					/* arrays, composites, json casts: to_jsonb */
} AuditJsonKind;

typedef struct AuditColumn
{
	AttrNumber	attnum;
	char	   *name;
	int			namelen;
	Oid			typid;
	Oid			basetypid;		/* typid, or the domain's base type */
	int16		typlen;
	bool		typbyval;
	AuditJsonKind kind;
	FmgrInfo	fn;				/* output function, or to_jsonb */
} AuditColumn;

/* The log as a direct write sees it (copied into rows that wait). */
typedef struct AuditTarget
{
	Oid			log_relid;
	Oid			log_owner;
	Oid			seq_relid;		/* the identity sequence of id */
	int			log_natts;		/* attributes of the log, dropped ones too */
	AttrNumber	log_attnum[AUDIT_NPARAMS + 1];	/* id, then the parameters */
} AuditTarget;

typedef struct AuditState
{
	bool		full;			/* full rows on UPDATE */
	int			ncols;			/* logged columns */
	AuditColumn *cols;
	int		   *cols_order;		/* cols[] positions in jsonb key order */
	bool		cols_scalar;	/* no column needs the token-wise builder */
	int			nkeys;			/* primary-key columns (logged or not) */
	AuditColumn *keys;
	int		   *keys_order;
	bool		keys_scalar;
	bool	   *key_logged;		/* per key column: also a logged column */
	Oid			table_oid;		/* the partition root */
	NameData	schema_name;
	NameData	table_name;
	SPIPlanPtr	plan;			/* INSERT of one row, or of arrays */
	/* when the log allows it: heap and index inserts, no SPI */
	bool		direct;
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

static const char *const audit_insert_with_id =
"INSERT INTO orm_triggers.audit_log (txid, tx_time, logged_at, actor, "
"session_user_name, context, table_oid, schema_name, table_name, op, key, "
"old_values, new_values, key_hash, old_key_hash, id)";

static const char *const audit_insert_columns =
"INSERT INTO orm_triggers.audit_log (txid, tx_time, logged_at, actor, "
"session_user_name, context, table_oid, schema_name, table_name, op, key, "
"old_values, new_values, key_hash, old_key_hash) ";

/* ------------------------------------------------------------------------
 * Values as jsonb
 * ------------------------------------------------------------------------
 */

static void
resolve_audit_column(Form_pg_attribute att, AuditColumn *col)
{
	Oid			base = getBaseType(att->atttypid);
	Oid			fnoid = InvalidOid;
	bool		isvarlena;
	char		typtype = get_typtype(base);

	col->attnum = att->attnum;
	col->name = pstrdup(NameStr(att->attname));
	col->namelen = strlen(col->name);
	col->typid = att->atttypid;
	col->basetypid = base;
	col->typlen = att->attlen;
	col->typbyval = att->attbyval;

	switch (base)
	{
		case BOOLOID:
			col->kind = AJ_BOOL;
			break;
		case INT2OID:
		case INT4OID:
		case INT8OID:
			col->kind = AJ_INT;
			break;
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			col->kind = AJ_NUMBER;
			break;
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			col->kind = AJ_DATETIME;
			break;
		case JSONBOID:
			col->kind = AJ_JSONB;
			break;
		case JSONOID:
			col->kind = AJ_JSON;
			break;
		case TEXTOID:
		case VARCHAROID:
			col->kind = AJ_TEXT;
			break;
		default:
			col->kind = AJ_STRING;
			if (OidIsValid(get_element_type(base)) || typtype == TYPTYPE_COMPOSITE)
				col->kind = AJ_GENERIC;
			else if (base >= FirstNormalObjectId)
			{
				Oid			castfunc;

				if (find_coercion_pathway(JSONOID, base, COERCION_EXPLICIT,
										  &castfunc) == COERCION_PATH_FUNC &&
					OidIsValid(castfunc))
					col->kind = AJ_GENERIC;
			}
			break;
	}

	if (col->kind == AJ_GENERIC)
	{
		/* to_jsonb(anyelement) learns the type from its call expression */
		FuncExpr   *expr = makeFuncExpr(F_TO_JSONB, JSONBOID,
										list_make1(makeNullConst(att->atttypid,
																 att->atttypmod,
																 att->attcollation)),
										InvalidOid, InvalidOid,
										COERCE_EXPLICIT_CALL);

		fmgr_info_cxt(F_TO_JSONB, &col->fn, CurrentMemoryContext);
		fmgr_info_set_expr((Node *) expr, &col->fn);
	}
	else if (col->kind == AJ_NUMBER || col->kind == AJ_STRING)
	{
		getTypeOutputInfo(att->atttypid, &fnoid, &isvarlena);
		fmgr_info_cxt(fnoid, &col->fn, CurrentMemoryContext);
	}
}

/*
 * Does JSON text contain the escape \u0000, which jsonb cannot hold?
 * Backslash pairs are skipped, so "\\u0000" (an escaped backslash) is fine.
 */
static bool
json_has_nul_escape(const char *s)
{
	for (; *s; s++)
	{
		if (*s != '\\')
			continue;
		if (s[1] == 'u' && strncmp(s + 2, "0000", 4) == 0)
			return true;
		if (s[1] != '\0')
			s++;
	}
	return false;
}

static void
push_string(JsonbParseState **ps, JsonbIteratorToken tok, const char *s, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = unconstify(char *, s);
	v.val.string.len = len;
	pushJsonbValue(ps, tok, &v);
}

static void
push_jsonb(JsonbParseState **ps, Jsonb *jb)
{
	JsonbValue	v;

	v.type = jbvBinary;
	v.val.binary.data = &jb->root;
	v.val.binary.len = VARSIZE(jb) - VARHDRSZ;
	pushJsonbValue(ps, WJB_VALUE, &v);
}

/* Is a kind rendered as a jsonb scalar (no nested container)? */
static inline bool
kind_is_scalar(AuditJsonKind kind)
{
	return kind != AJ_JSONB && kind != AJ_JSON && kind != AJ_GENERIC;
}

/*
 * NaN or an infinity?  Special numerics have both top bits of the first
 * header word set (NaN alone before PostgreSQL 14); this is the on-disk
 * format, which pg_upgrade keeps stable.
 */
static inline bool
numeric_is_special(Numeric n)
{
	uint16		header = *(uint16 *) VARDATA(n);

	return (header & 0xC000) == 0xC000;
}

/*
 * The jsonb scalar of one non-NULL value of a column of a scalar kind.  The
 * rendering is to_jsonb's: numbers that are not finite (NaN, Infinity)
 * become strings, datetimes ISO 8601 strings, bytea its hex text.  Values
 * that need no conversion (text, numeric) are used in place, not copied.
 */
static void
scalar_value(AuditColumn *col, Datum value, JsonbValue *v)
{
	switch (col->kind)
	{
		case AJ_BOOL:
			v->type = jbvBool;
			v->val.boolean = DatumGetBool(value);
			return;
		case AJ_INT:
			{
				int64		i;

				if (col->typlen == 2)
					i = DatumGetInt16(value);
				else if (col->typlen == 4)
					i = DatumGetInt32(value);
				else
					i = DatumGetInt64(value);
				v->type = jbvNumeric;
				v->val.numeric = DatumGetNumeric(DirectFunctionCall1(int8_numeric,
																	 Int64GetDatum(i)));
				return;
			}
		case AJ_NUMBER:
			{
				char	   *s;

				if (col->basetypid == NUMERICOID)
				{
					/* numeric_in(numeric_out(x)) is x itself: skip both */
					Numeric		n = DatumGetNumeric(value);

					if (!numeric_is_special(n))
					{
						v->type = jbvNumeric;
						v->val.numeric = n;
						return;
					}
				}
				s = OutputFunctionCall(&col->fn, value);
				if (strpbrk(s, "Nn") != NULL)
				{
					v->type = jbvString;
					v->val.string.val = s;
					v->val.string.len = strlen(s);
				}
				else
				{
					v->type = jbvNumeric;
					v->val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																		 CStringGetDatum(s),
																		 ObjectIdGetDatum(InvalidOid),
																		 Int32GetDatum(-1)));
				}
				return;
			}
		case AJ_DATETIME:
			{
				char	   *s = JsonEncodeDateTime(NULL, value, col->basetypid, NULL);

				v->type = jbvString;
				v->val.string.val = s;
				v->val.string.len = strlen(s);
				return;
			}
		case AJ_TEXT:
			{
				text	   *t = DatumGetTextPP(value);

				v->type = jbvString;
				v->val.string.val = VARDATA_ANY(t);
				v->val.string.len = VARSIZE_ANY_EXHDR(t);
				return;
			}
		case AJ_STRING:
			{
				char	   *s = OutputFunctionCall(&col->fn, value);

				v->type = jbvString;
				v->val.string.val = s;
				v->val.string.len = strlen(s);
				return;
			}
		case AJ_JSONB:
		case AJ_JSON:
		case AJ_GENERIC:
			break;
	}
	elog(ERROR, "orm_triggers: column \"%s\" is not of a scalar kind", col->name);
}

/*
 * Push one non-NULL column value.  A json value holding the escape \u0000,
 * which jsonb cannot represent, is stored as a JSON string with the json
 * text, rather than failing the user's statement.
 */
static void
push_value(JsonbParseState **ps, AuditColumn *col, Datum value)
{
	JsonbValue	v;

	switch (col->kind)
	{
		case AJ_JSONB:
			push_jsonb(ps, DatumGetJsonbP(value));
			break;
		case AJ_JSON:
			{
				char	   *s = TextDatumGetCString(value);

				if (json_has_nul_escape(s))
					push_string(ps, WJB_VALUE, s, strlen(s));
				else
					push_jsonb(ps, DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
																	  CStringGetDatum(s))));
				break;
			}
		case AJ_GENERIC:
			push_jsonb(ps, DatumGetJsonbP(FunctionCall1(&col->fn, value)));
			break;
		default:
			scalar_value(col, value, &v);
			pushJsonbValue(ps, WJB_VALUE, &v);
			break;
	}
}

/*
 * The positions of cols[] in the order jsonb keeps object keys (shorter
 * names first, then bytewise), so that an object can be built already
 * sorted.  Sets *scalar when every column is of a scalar kind.
 */
static int *
jsonb_key_order(AuditColumn *cols, int ncols, bool *scalar)
{
	int		   *order = palloc(sizeof(int) * Max(ncols, 1));

	*scalar = true;
	for (int i = 0; i < ncols; i++)
	{
		int			j = i;

		if (!kind_is_scalar(cols[i].kind))
			*scalar = false;
		/* insertion sort: a table has few columns, and this runs once */
		while (j > 0)
		{
			AuditColumn *p = &cols[order[j - 1]];

			if (p->namelen < cols[i].namelen ||
				(p->namelen == cols[i].namelen &&
				 memcmp(p->name, cols[i].name, p->namelen) < 0))
				break;
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	return order;
}

/*
 * A jsonb object of the columns cols[i] for which mask is NULL or
 * mask[i] is true, from a slot whose attributes are all deformed.  When
 * every column is a scalar (scalar, with order from jsonb_key_order) the
 * object is built in one piece, its keys already in jsonb order; otherwise
 * token by token, so that nested jsonb values are unpacked.
 */
static Datum
columns_jsonb(AuditColumn *cols, int ncols, const int *order, bool scalar,
			  const bool *mask, TupleTableSlot *slot)
{
	JsonbParseState *ps = NULL;
	JsonbValue *res;

	if (scalar)
	{
		JsonbValue	obj;
		JsonbPair  *pairs = palloc(sizeof(JsonbPair) * Max(ncols, 1));
		int			n = 0;

		for (int k = 0; k < ncols; k++)
		{
			int			i = order[k];
			AuditColumn *col = &cols[i];
			int			a = col->attnum - 1;
			JsonbPair  *p = &pairs[n];

			if (mask && !mask[i])
				continue;
			p->key.type = jbvString;
			p->key.val.string.val = col->name;
			p->key.val.string.len = col->namelen;
			p->order = n++;
			if (slot->tts_isnull[a])
				p->value.type = jbvNull;
			else
				scalar_value(col, slot->tts_values[a], &p->value);
		}
		obj.type = jbvObject;
		obj.val.object.nPairs = n;
		obj.val.object.pairs = pairs;
		return JsonbPGetDatum(JsonbValueToJsonb(&obj));
	}

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < ncols; i++)
	{
		AuditColumn *col = &cols[i];
		int			a = col->attnum - 1;

		if (mask && !mask[i])
			continue;
		push_string(&ps, WJB_KEY, col->name, col->namelen);
		if (slot->tts_isnull[a])
		{
			JsonbValue	v;

			v.type = jbvNull;
			pushJsonbValue(&ps, WJB_VALUE, &v);
		}
		else
			push_value(&ps, col, slot->tts_values[a]);
	}
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(res));
}

/* ------------------------------------------------------------------------
 * Who, when, in what context
 * ------------------------------------------------------------------------
 */

/* The session user's name, looked up once per session user. */
static Name
audit_session_user(void)
{
	static Oid	cached_oid = InvalidOid;
	static NameData cached_name;
	Oid			userid = GetSessionUserId();

	if (userid != cached_oid)
	{
		char	   *name = GetUserNameFromId(userid, false);

		namestrcpy(&cached_name, name);
		pfree(name);
		cached_oid = userid;
	}
	return &cached_name;
}

/*
 * The actor as text: orm_triggers.actor when set, else the session user.
 * The text of the last actor is kept, so rows after the first of a
 * statement (or of a request that sets it once) build nothing.
 */
static Datum
audit_actor(void)
{
	static char *last_actor = NULL;
	static text *last_text = NULL;
	const char *actor = (ormt_actor != NULL && ormt_actor[0] != '\0') ?
		ormt_actor : NameStr(*audit_session_user());

	if (last_actor == NULL || strcmp(last_actor, actor) != 0)
	{
		char	   *copy = MemoryContextStrdup(TopMemoryContext, actor);
		text	   *t = cstring_to_text(actor);
		text	   *tcopy = MemoryContextAlloc(TopMemoryContext, VARSIZE(t));

		memcpy(tcopy, t, VARSIZE(t));
		pfree(t);
		if (last_actor != NULL)
		{
			pfree(last_actor);
			pfree(last_text);
		}
		last_actor = copy;
		last_text = tcopy;
	}
	return PointerGetDatum(last_text);
}

/*
 * orm_triggers.context as jsonb, or NULL when empty.  The last text parsed
 * and its value are kept, so a request that sets it once pays once.
 */
static Datum
audit_context(bool *isnull)
{
	static char *last_text = NULL;
	static Jsonb *last_value = NULL;
	MemoryContext cxt = CurrentMemoryContext;
	Jsonb	   *volatile value = NULL;

	if (ormt_context == NULL || ormt_context[0] == '\0')
	{
		*isnull = true;
		return (Datum) 0;
	}
	*isnull = false;
	if (last_text != NULL && strcmp(last_text, ormt_context) == 0)
		return JsonbPGetDatum(last_value);

	PG_TRY();
	{
		value = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
												   CStringGetDatum(ormt_context)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("setting orm_triggers.context is not valid JSON"),
				 errdetail("%s", edata->message),
				 errhint("SET orm_triggers.context to a JSON value, for example '{\"request_id\": \"abc\"}', or to '' for none.")));
	}
	PG_END_TRY();

	if (last_text != NULL)
	{
		pfree(last_text);
		pfree(last_value);
	}
	last_text = MemoryContextStrdup(TopMemoryContext, ormt_context);
	last_value = MemoryContextAlloc(TopMemoryContext, VARSIZE(value));
	memcpy(last_value, value, VARSIZE(value));
	return JsonbPGetDatum(last_value);
}

/* op as a text Datum, made once per backend for each of the four. */
static Datum
audit_op_text(const char *op)
{
	static const char *const ops[] = {"INSERT", "UPDATE", "DELETE", "TRUNCATE"};
	static text *texts[lengthof(ops)];

	for (int i = 0; i < (int) lengthof(ops); i++)
	{
		if (strcmp(op, ops[i]) != 0)
			continue;
		if (texts[i] == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			texts[i] = cstring_to_text(ops[i]);
			MemoryContextSwitchTo(old);
		}
		return PointerGetDatum(texts[i]);
	}
	elog(ERROR, "orm_triggers: unknown audit operation \"%s\"", op);
	return (Datum) 0;			/* keep the compiler quiet */
}

/* The first ten parameters: everything but key and values. */
static void
audit_common_params(AuditState *st, const char *op, Datum *values, char *nulls)
{
	bool		ctxnull;

	memset(nulls, ' ', AUDIT_NPARAMS);
	values[0] = FullTransactionIdGetDatum(GetTopFullTransactionId());
	values[1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	values[2] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[3] = audit_actor();
	values[4] = NameGetDatum(audit_session_user());
	values[5] = audit_context(&ctxnull);
	if (ctxnull)
		nulls[5] = 'n';
	values[6] = ObjectIdGetDatum(st->table_oid);
	values[7] = NameGetDatum(&st->schema_name);
	values[8] = NameGetDatum(&st->table_name);
	values[9] = audit_op_text(op);
}


/*
 * Can the direct write maintain this index of the log?  Columns only (a
 * partial index's predicate is evaluated per row); no expressions, no
 * exclusion constraint.
 */
static bool
index_is_plain(Relation idx)
{
	return heap_attisnull(idx->rd_indextuple, Anum_pg_index_indexprs, NULL) &&
		!idx->rd_index->indisexclusion;
}

/*
 * Can the log be written without the executor?  Only when nothing but our
 * columns, their NOT NULLs and indexes on columns (partial ones too) are
 * there: no triggers, rules, CHECK constraints, row security, expression or
 * exclusion indexes, extra columns or another table access method.  Then a row costs a heap insert
 * and its index inserts, not an executor start-up.  A change to the log
 * (ALTER TABLE, CREATE INDEX, CREATE TRIGGER) invalidates the entry, and
 * this is decided again.
 */
static void
audit_check_direct(AuditState *st, Oid logrel, Oid nsp)
{
	Relation	rel = table_open(logrel, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	AuditTarget *t = &st->target;
	List	   *indexes;
	ListCell   *lc;
	int			found = 0;
	char	   *seqname;

	st->direct = false;
	t->log_relid = logrel;
	t->log_natts = desc->natts;
	if (rel->rd_rel->relam != HEAP_TABLE_AM_OID ||
		rel->rd_rel->relkind != RELKIND_RELATION ||
		rel->trigdesc != NULL || rel->rd_rules != NULL ||
		rel->rd_rel->relrowsecurity ||
		(desc->constr && desc->constr->num_check > 0))
		goto done;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		int			j;

		if (att->attisdropped)
			continue;
		for (j = 0; j <= AUDIT_NPARAMS; j++)
			if (strcmp(NameStr(att->attname), audit_log_columns[j]) == 0)
				break;
		if (j > AUDIT_NPARAMS || att->attgenerated)
			goto done;
		t->log_attnum[j] = att->attnum;
		found++;
	}
	if (found != AUDIT_NPARAMS + 1)
		goto done;
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	idx = index_open(lfirst_oid(lc), AccessShareLock);
		bool		plain = index_is_plain(idx);

		index_close(idx, AccessShareLock);
		if (!plain)
			goto done;
	}
	list_free(indexes);
	seqname = psprintf("%s_id_seq", RelationGetRelationName(rel));
	t->seq_relid = get_relname_relid(seqname, nsp);
	if (!OidIsValid(t->seq_relid))
		goto done;
	st->direct = true;
done:
	table_close(rel, AccessShareLock);
}

/*
 * The log's indexes as last seen by a direct write, with their IndexInfos,
 * in a context of their own: one log, so one set per backend.
 */
static MemoryContext index_cxt = NULL;
static int	index_count = -1;	/* -1: not known yet */
static Oid *index_oids = NULL;
static IndexInfo **index_infos = NULL;

/*
 * Are the IndexInfos kept those of the log's current indexes?  If not,
 * build them anew, unless an index is no longer plain (an expression or
 * exclusion index created since the entry was built): then
 * return false, and the caller writes through SPI instead.  Whether an
 * index is ready for inserts (CREATE INDEX CONCURRENTLY) is read from the
 * open index at each write, never from here.
 */
static bool
audit_index_infos(List *indexoids)
{
	int			n = list_length(indexoids);
	ListCell   *lc;
	int			k = 0;
	MemoryContext old;

	if (index_count == n)
	{
		foreach(lc, indexoids)
		{
			if (index_oids[k] != lfirst_oid(lc))
				break;
			k++;
		}
		if (k == n)
			return true;
	}

	index_count = -1;
	if (index_cxt == NULL)
		index_cxt = AllocSetContextCreate(TopMemoryContext, "orm_triggers audit_log indexes",
										  ALLOCSET_SMALL_SIZES);
	MemoryContextReset(index_cxt);
	old = MemoryContextSwitchTo(index_cxt);
	index_oids = palloc(sizeof(Oid) * Max(n, 1));
	index_infos = palloc(sizeof(IndexInfo *) * Max(n, 1));
	k = 0;
	foreach(lc, indexoids)
	{
		Relation	idx = index_open(lfirst_oid(lc), RowExclusiveLock);
		bool		plain = index_is_plain(idx);

		if (plain)
		{
			index_oids[k] = lfirst_oid(lc);
			index_infos[k] = BuildIndexInfo(idx);
		}
		index_close(idx, NoLock);
		if (!plain)
		{
			MemoryContextSwitchTo(old);
			return false;
		}
		k++;
	}
	MemoryContextSwitchTo(old);
	index_count = n;
	return true;
}

/* Rows per heap_multi_insert call (as COPY buffers them). */
#define AUDIT_MULTI_ROWS 1000

/*
 * Slots for heap_multi_insert, kept from one write to the next: making a
 * thousand slots per write (each pinning the relcache's descriptor in the
 * resource owner) costs as much as filling them.  They hold a copy of the
 * log's descriptor, not a pin on the relcache's, and are made again when
 * the log's row type changes.
 */
static MemoryContext slot_cxt = NULL;
static TupleDesc slot_desc = NULL;
static TupleTableSlot **slot_ring = NULL;
static int	slot_count = 0;

static TupleTableSlot **
audit_slots(TupleDesc desc, int n)
{
	MemoryContext old;

	if (slot_desc != NULL && slot_count >= n && equalTupleDescs(slot_desc, desc))
		return slot_ring;
	if (slot_cxt == NULL)
		slot_cxt = AllocSetContextCreate(TopMemoryContext, "orm_triggers audit slots",
										 ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(slot_cxt);
	slot_desc = NULL;
	old = MemoryContextSwitchTo(slot_cxt);
	n = Max(n, Min(AUDIT_MULTI_ROWS, 64));
	slot_ring = palloc(sizeof(TupleTableSlot *) * n);
	slot_desc = CreateTupleDescCopy(desc);
	for (int i = 0; i < n; i++)
		slot_ring[i] = MakeTupleTableSlot(slot_desc, &TTSOpsHeapTuple);
	slot_count = n;
	MemoryContextSwitchTo(old);
	return slot_ring;
}

/* Rows handed to a write: row r's parameters, and its id (0: take one). */
typedef void (*AuditRowFn) (void *arg, int r, Datum *params, bool *pnulls, int64 *id);


/*
 * The write without the executor: for each of n rows, an id (given, or
 * from the identity sequence), one heap tuple and an entry in every index
 * (unique ones checked), as the executor would make them.  The heap takes
 * them up to AUDIT_MULTI_ROWS at a time (heap_multi_insert: one WAL record
 * per page, as COPY writes).  The relation and its indexes are opened once
 * for all rows.  cid is the command the rows belong to (the one that made
 * the changes they describe).  Returns false, having written nothing, when the log
 * changed since the entry was built so that it needs the executor.  Runs
 * as the caller set the user (the log's owner).
 */
static bool
audit_write_direct(const AuditTarget *t, int n, AuditRowFn getrow, void *arg,
				   CommandId cid)
{
	Relation	rel = table_open(t->log_relid, RowExclusiveLock);
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *indexoids;
	int			nindexes;
	Relation	indexes[AUDIT_MAX_INDEXES];
	IndexInfo	iicopy[AUDIT_MAX_INDEXES];
	int			chunk = Min(n, AUDIT_MULTI_ROWS);
	TupleTableSlot **slots;
	Datum	   *values;
	bool	   *nulls;
	BulkInsertState bistate;
	MemoryContext chunkcxt;
	MemoryContext old;
	EState	   *estate = NULL;	/* for partial indexes' predicates */
	ExprContext *econtext = NULL;
	TupleTableSlot *predslot = NULL;

	/*
	 * The entry was checked before the lock was taken: a change committed in
	 * between (a trigger, rule, column or index added) is seen only now.
	 */
	indexoids = RelationGetIndexList(rel);
	if (rel->trigdesc != NULL || rel->rd_rules != NULL ||
		rel->rd_rel->relrowsecurity ||
		(desc->constr && desc->constr->num_check > 0) ||
		desc->natts != t->log_natts ||
		list_length(indexoids) > AUDIT_MAX_INDEXES ||
		!audit_index_infos(indexoids))
	{
		list_free(indexoids);
		table_close(rel, NoLock);
		return false;
	}
	list_free(indexoids);
	nindexes = index_count;
	for (int x = 0; x < nindexes; x++)
	{
		indexes[x] = index_open(index_oids[x], RowExclusiveLock);

		/*
		 * An access method may keep state for the statement in ii_AmCache
		 * (BRIN keeps a descriptor pointing into the relcache): give it a
		 * copy that lives only as long as this write.
		 */
		iicopy[x] = *index_infos[x];
		iicopy[x].ii_AmCache = NULL;
		iicopy[x].ii_Context = CurrentMemoryContext;

		/* a partial index: its predicate, evaluated per row as the executor does */
		iicopy[x].ii_PredicateState = NULL;
		if (iicopy[x].ii_Predicate != NIL)
		{
			if (estate == NULL)
			{
				estate = CreateExecutorState();
				econtext = GetPerTupleExprContext(estate);
			}
			iicopy[x].ii_PredicateState = ExecPrepareQual(iicopy[x].ii_Predicate, estate);
		}
	}

	chunkcxt = AllocSetContextCreate(CurrentMemoryContext, "orm_triggers audit write",
									 ALLOCSET_DEFAULT_SIZES);
	slots = audit_slots(desc, chunk);
	for (int i = 0; i < chunk; i++)
		ExecClearTuple(slots[i]);	/* left full by an error in a write */
	if (estate != NULL)
		predslot = MakeTupleTableSlot(slot_desc, &TTSOpsVirtual);
	values = palloc(sizeof(Datum) * desc->natts * chunk);
	nulls = palloc(sizeof(bool) * desc->natts * chunk);
	bistate = GetBulkInsertState();

	for (int start = 0; start < n; start += chunk)
	{
		int			m = Min(chunk, n - start);

		old = MemoryContextSwitchTo(chunkcxt);
		for (int i = 0; i < m; i++)
		{
			Datum	   *v = values + i * desc->natts;
			bool	   *nl = nulls + i * desc->natts;
			Datum		params[AUDIT_NPARAMS];
			bool		pnulls[AUDIT_NPARAMS];
			int64		id = 0;

			/* dropped columns stay NULL */
			for (int a = 0; a < desc->natts; a++)
				nl[a] = true;
			getrow(arg, start + i, params, pnulls, &id);
			for (int j = 0; j < AUDIT_NPARAMS; j++)
			{
				int			a = t->log_attnum[j + 1] - 1;

				v[a] = params[j];
				nl[a] = pnulls[j];
			}
			if (id == 0)
				id = nextval_internal(t->seq_relid, false);
			v[t->log_attnum[0] - 1] = Int64GetDatum(id);
			nl[t->log_attnum[0] - 1] = false;
			/* formed where the slot lives, and freed by it */
			MemoryContextSwitchTo(slot_cxt);
			ExecStoreHeapTuple(heap_form_tuple(desc, v, nl), slots[i], true);
			MemoryContextSwitchTo(chunkcxt);
		}
		MemoryContextSwitchTo(old);

		heap_multi_insert(rel, slots, m, cid, 0, bistate);

		for (int i = 0; i < m; i++)
		{
			Datum	   *v = values + i * desc->natts;
			bool	   *nl = nulls + i * desc->natts;

			for (int x = 0; x < nindexes; x++)
			{
				IndexInfo  *ii = &iicopy[x];
				Datum		ivalues[INDEX_MAX_KEYS];
				bool		inulls[INDEX_MAX_KEYS];

				if (!indexes[x]->rd_index->indisready)
					continue;
				if (ii->ii_PredicateState != NULL)
				{
					bool		match;

					/* the row's values, as they are: nothing to deform */
					ExecClearTuple(predslot);
					memcpy(predslot->tts_values, v, sizeof(Datum) * desc->natts);
					memcpy(predslot->tts_isnull, nl, sizeof(bool) * desc->natts);
					ExecStoreVirtualTuple(predslot);
					econtext->ecxt_scantuple = predslot;
					match = ExecQual(ii->ii_PredicateState, econtext);
					ResetExprContext(econtext);
					if (!match)
						continue;
				}
				for (int c = 0; c < ii->ii_NumIndexAttrs; c++)
				{
					int			a = ii->ii_IndexAttrNumbers[c] - 1;

					ivalues[c] = v[a];
					inulls[c] = nl[a];
				}
				index_insert(indexes[x], ivalues, inulls, &slots[i]->tts_tid, rel,
							 indexes[x]->rd_index->indisunique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO,
							 false, ii);
			}
			ExecClearTuple(slots[i]);
		}
		MemoryContextReset(chunkcxt);
	}

	FreeBulkInsertState(bistate);
	if (predslot != NULL)
		ExecDropSingleTupleTableSlot(predslot);
	if (estate != NULL)
		FreeExecutorState(estate);
	MemoryContextDelete(chunkcxt);
	for (int x = 0; x < nindexes; x++)
		index_close(indexes[x], NoLock);
	table_close(rel, NoLock);
	return true;
}

/* ------------------------------------------------------------------------
 * Rows of the row form waiting for the end of their statement
 *
 * AFTER ROW triggers fire one after another at the end of the statement
 * (AfterTriggerEndQuery, from ExecutorFinish or COPY).  Rather than one
 * heap insert per fire, the row form keeps its rows here and writes them
 * together, AUDIT_MULTI_ROWS at a time, as the statement form does: when
 * the statement's ExecutorFinish returns, or before anything else can look
 * at the log.  The rules that keep this exact:
 *
 * - Rows wait only in the subtransaction that made them.  Ids are taken
 *   when a row is kept, so the log's order is the order of the changes
 *   whatever the order of the writes.  They are written as of the command
 *   that made them (its command id), so a query whose snapshot was taken
 *   after that command sees them, although it writes them itself in
 *   ExecutorStart (after its snapshot was taken).
 * - Every query (ExecutorStart) and utility command (ProcessUtility) that
 *   starts in that subtransaction writes them first: a trigger or function
 *   that reads the log, COPY, TRUNCATE, SAVEPOINT all see every change
 *   before them.  A fire in another subtransaction (another trigger's
 *   EXCEPTION block) writes its row at once and leaves them waiting.
 * - A subtransaction that commits hands them to its parent; one that
 *   aborts, or the transaction's abort, drops them with the changes they
 *   describe; commit and PREPARE write any still waiting (after deferred
 *   triggers, before the commit record).
 * ------------------------------------------------------------------------
 */
typedef struct AuditPending
{
	MemoryContext cxt;			/* child of TopTransactionContext, or NULL */
	SubTransactionId subxid;	/* where the rows were made */
	CommandId	cid;			/* and in which command */
	AuditTarget target;
	int			n;
	int			cap;
	Size		bytes;
	Datum	   *params;			/* n * AUDIT_NPARAMS */
	bool	   *pnulls;
	int64	   *ids;
} AuditPending;

static AuditPending pending;

#define AUDIT_PENDING_BYTES (8 * 1024 * 1024)

/* typlen and typbyval of each parameter, for copying it into the batch */
static const struct
{
	int16		len;
	bool		byval;
}			audit_param_type[AUDIT_NPARAMS] = {
	{8, FLOAT8PASSBYVAL},		/* txid xid8 */
	{8, FLOAT8PASSBYVAL},		/* tx_time */
	{8, FLOAT8PASSBYVAL},		/* logged_at */
	{-1, false},				/* actor text */
	{NAMEDATALEN, false},		/* session_user_name */
	{-1, false},				/* context jsonb */
	{4, true},					/* table_oid */
	{NAMEDATALEN, false},		/* schema_name */
	{NAMEDATALEN, false},		/* table_name */
	{-1, false},				/* op text */
	{-1, false},				/* key jsonb */
	{-1, false},				/* old_values jsonb */
	{-1, false},				/* new_values jsonb */
	{8, FLOAT8PASSBYVAL},		/* key_hash */
	{8, FLOAT8PASSBYVAL},		/* old_key_hash */
};

static bool
target_equal(const AuditTarget *a, const AuditTarget *b)
{
	return a->log_relid == b->log_relid && a->log_owner == b->log_owner &&
		a->seq_relid == b->seq_relid && a->log_natts == b->log_natts &&
		memcmp(a->log_attnum, b->log_attnum, sizeof(a->log_attnum)) == 0;
}

static void
pending_getrow(void *arg, int r, Datum *params, bool *pnulls, int64 *id)
{
	AuditPending *p = (AuditPending *) arg;

	memcpy(params, p->params + r * AUDIT_NPARAMS, sizeof(Datum) * AUDIT_NPARAMS);
	memcpy(pnulls, p->pnulls + r * AUDIT_NPARAMS, sizeof(bool) * AUDIT_NPARAMS);
	*id = p->ids[r];
}

static void
pending_forget(void)
{
	if (pending.cxt != NULL)
		MemoryContextDelete(pending.cxt);
	memset(&pending, 0, sizeof(pending));
}

/*
 * Write the waiting rows, as the log's owner.  The batch is taken off
 * first, so that an error while writing leaves nothing behind.
 */
static void
audit_flush_pending(void)
{
	AuditPending p = pending;
	Oid			save_userid;
	int			save_sec_context;
	bool		done;
	bool		snapshot_pushed = false;

	if (p.n == 0)
		return;
	memset(&pending, 0, sizeof(pending));

	/*
	 * At commit, and before utility commands that take none (SAVEPOINT,
	 * PREPARE), no snapshot is active; the heap wants one (TOAST).
	 */
	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		snapshot_pushed = true;
	}

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(p.target.log_owner,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_NOFORCE_RLS);
	done = audit_write_direct(&p.target, p.n, pending_getrow, &p, p.cid);
	if (!done)
	{
		/* the log needs the executor now: one INSERT per row, ids kept */
		Oid			argtypes[AUDIT_NPARAMS + 1] = {
			XID8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, NAMEOID, JSONBOID,
			OIDOID, NAMEOID, NAMEOID, TEXTOID, JSONBOID, JSONBOID, JSONBOID, INT8OID,
			INT8OID, INT8OID
		};
		SPIPlanPtr	plan;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		plan = SPI_prepare(psprintf("%s VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
									"$11, $12, $13, $14, $15, $16)",
									audit_insert_with_id),
						   AUDIT_NPARAMS + 1, argtypes);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		for (int r = 0; r < p.n; r++)
		{
			Datum		v[AUDIT_NPARAMS + 1];
			char		nl[AUDIT_NPARAMS + 1];

			for (int j = 0; j < AUDIT_NPARAMS; j++)
			{
				v[j] = p.params[r * AUDIT_NPARAMS + j];
				nl[j] = p.pnulls[r * AUDIT_NPARAMS + j] ? 'n' : ' ';
			}
			v[AUDIT_NPARAMS] = Int64GetDatum(p.ids[r]);
			nl[AUDIT_NPARAMS] = ' ';
			if (SPI_execute_plan(plan, v, nl, false, 0) != SPI_OK_INSERT)
				elog(ERROR, "orm_triggers: insert into audit_log failed");
		}
		if (SPI_finish() != SPI_OK_FINISH)
			elog(ERROR, "SPI_finish failed");
	}
	SetUserIdAndSecContext(save_userid, save_sec_context);
	if (snapshot_pushed)
		PopActiveSnapshot();
	MemoryContextDelete(p.cxt);
}

/* Flush when the rows waiting were made in the current subtransaction. */
static inline void
audit_flush_here(void)
{
	if (pending.n > 0 && pending.subxid == GetCurrentSubTransactionId())
		audit_flush_pending();
}

/*
 * Keep one row of the row form (params as audit_common_params and
 * audit_change fill them).  Returns false when it cannot wait (rows of
 * another subtransaction are waiting): the caller writes it at once.
 */
static bool
audit_keep(AuditState *st, Datum *params, char *pnulls)
{
	SubTransactionId subxid = GetCurrentSubTransactionId();
	CommandId	cid = GetCurrentCommandId(true);
	MemoryContext old;
	int			r;

	if (pending.n > 0 &&
		(pending.subxid != subxid || pending.cid != cid ||
		 !target_equal(&pending.target, &st->target)))
	{
		if (pending.subxid != subxid)
			return false;
		audit_flush_pending();
	}
	if (pending.cxt == NULL)
	{
		pending.cxt = AllocSetContextCreate(TopTransactionContext,
											"orm_triggers audit rows waiting",
											ALLOCSET_DEFAULT_SIZES);
		pending.subxid = subxid;
		pending.cid = cid;
		pending.target = st->target;
	}
	old = MemoryContextSwitchTo(pending.cxt);
	if (pending.n == pending.cap)
	{
		pending.cap = pending.cap ? pending.cap * 2 : 64;
		pending.params = pending.params ?
			repalloc(pending.params, sizeof(Datum) * AUDIT_NPARAMS * pending.cap) :
			palloc(sizeof(Datum) * AUDIT_NPARAMS * pending.cap);
		pending.pnulls = pending.pnulls ?
			repalloc(pending.pnulls, sizeof(bool) * AUDIT_NPARAMS * pending.cap) :
			palloc(sizeof(bool) * AUDIT_NPARAMS * pending.cap);
		pending.ids = pending.ids ?
			repalloc(pending.ids, sizeof(int64) * pending.cap) :
			palloc(sizeof(int64) * pending.cap);
	}
	r = pending.n;
	for (int j = 0; j < AUDIT_NPARAMS; j++)
	{
		bool		isnull = (pnulls[j] == 'n');
		Datum		v = (Datum) 0;

		if (!isnull)
		{
			/* the previous row's copy when the value is the same */
			if (r > 0 && !pending.pnulls[(r - 1) * AUDIT_NPARAMS + j] &&
				j <= 9 && j >= 3 &&
				datumIsEqual(params[j], pending.params[(r - 1) * AUDIT_NPARAMS + j],
							 audit_param_type[j].byval, audit_param_type[j].len))
				v = pending.params[(r - 1) * AUDIT_NPARAMS + j];
			else
			{
				v = datumCopy(params[j], audit_param_type[j].byval, audit_param_type[j].len);
				if (!audit_param_type[j].byval)
					pending.bytes += datumGetSize(v, false, audit_param_type[j].len);
			}
		}
		pending.params[r * AUDIT_NPARAMS + j] = v;
		pending.pnulls[r * AUDIT_NPARAMS + j] = isnull;
	}
	MemoryContextSwitchTo(old);
	pending.ids[r] = nextval_internal(st->target.seq_relid, false);
	pending.n++;
	if (pending.n >= AUDIT_MULTI_ROWS || pending.bytes >= AUDIT_PENDING_BYTES)
		audit_flush_pending();
	return true;
}

static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* A query that starts sees the log complete: write what waits. */
static void
audit_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	audit_flush_here();
	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/* AFTER ROW triggers fire in here: their rows wait, then go in together. */
static void
audit_ExecutorFinish(QueryDesc *queryDesc)
{
	if (prev_ExecutorFinish)
		prev_ExecutorFinish(queryDesc);
	else
		standard_ExecutorFinish(queryDesc);
	audit_flush_here();
}

/* So does a utility command (COPY, TRUNCATE, SAVEPOINT, ...). */
static void
audit_ProcessUtility(ORMT_PROCESS_UTILITY_PARAMS)
{
	audit_flush_here();
	if (prev_ProcessUtility)
		prev_ProcessUtility(ORMT_PROCESS_UTILITY_ARGS);
	else
		standard_ProcessUtility(ORMT_PROCESS_UTILITY_ARGS);
}

static void
audit_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			audit_flush_pending();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			/* TopTransactionContext is gone or going: forget, never free */
			memset(&pending, 0, sizeof(pending));
			break;
	}
}

static void
audit_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg pg_attribute_unused())
{
	if (pending.n == 0 || pending.subxid != mySubid)
		return;
	if (event == SUBXACT_EVENT_COMMIT_SUB)
		pending.subxid = parentSubid;
	else if (event == SUBXACT_EVENT_ABORT_SUB)
		pending_forget();
}

void
ormt_audit_init(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = audit_ExecutorStart;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = audit_ExecutorFinish;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = audit_ProcessUtility;
	RegisterXactCallback(audit_xact_callback, NULL);
	RegisterSubXactCallback(audit_subxact_callback, NULL);
}

/* The common parameters with the batch arrays of the statement form. */
typedef struct AuditArrays
{
	Datum	   *params;
	char	   *pnulls;
	Datum	  **arr;
	bool	  **arrnull;
} AuditArrays;

static void
arrays_getrow(void *arg, int r, Datum *params, bool *pnulls, int64 *id)
{
	AuditArrays *a = (AuditArrays *) arg;

	for (int j = 0; j < AUDIT_COMMON; j++)
	{
		params[j] = a->params[j];
		pnulls[j] = (a->pnulls[j] == 'n');
	}
	for (int j = AUDIT_COMMON; j < AUDIT_NPARAMS; j++)
	{
		if (a->arr)
		{
			params[j] = a->arr[j - AUDIT_COMMON][r];
			pnulls[j] = a->arrnull[j - AUDIT_COMMON][r];
		}
		else
		{
			params[j] = a->params[j];
			pnulls[j] = (a->pnulls[j] == 'n');
		}
	}
	*id = 0;
}

/*
 * Write one row (the row form, when it cannot wait, and TRUNCATE) as the
 * log's owner: directly when the log allows it, else through the saved plan.
 */
static void
audit_write(OrmtTriggerEntry *entry, AuditState *st, Datum *values, char *nulls,
			bool direct)
{
	Oid			save_userid;
	int			save_sec_context;
	int			rc;

	if (direct)
	{
		AuditArrays a = {values, nulls, NULL, NULL};
		bool		done;

		GetUserIdAndSecContext(&save_userid, &save_sec_context);
		SetUserIdAndSecContext(st->target.log_owner,
							   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_NOFORCE_RLS);
		done = audit_write_direct(&st->target, 1, arrays_getrow, &a,
								  GetCurrentCommandId(true));
		SetUserIdAndSecContext(save_userid, save_sec_context);
		if (done)
			return;
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * A saved plan whose log table changed is replanned by the plan cache;
	 * the entry depends on the log, so it is rebuilt on the next fire too.
	 */
	if (!SPI_plan_is_valid(st->plan))
		elog(DEBUG1, "orm_triggers: audit plan of trigger \"%s\" is replanned",
			 entry->tgname);
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(st->target.log_owner,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_NOFORCE_RLS);
	rc = SPI_execute_plan(st->plan, values, nulls, false, 0);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "orm_triggers: insert into audit_log for trigger \"%s\" failed: %s",
			 entry->tgname, SPI_result_code_string(rc));
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
}

/* ------------------------------------------------------------------------
 * Building the per-trigger state
 * ------------------------------------------------------------------------
 */

static char *
audit_usage(TriggerData *trigdata, const char *event)
{
	Relation	rel = trigdata->tg_relation;
	const char *refs = strcmp(event, "INSERT") == 0 ? "REFERENCING NEW TABLE AS new_rows " :
		strcmp(event, "DELETE") == 0 ? "REFERENCING OLD TABLE AS old_rows " :
		"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows ";

	return psprintf("CREATE TRIGGER %s AFTER %s ON %s %sFOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit(), "
					"one trigger per event, or a single AFTER INSERT OR UPDATE OR DELETE ... FOR EACH ROW trigger",
					quote_identifier(trigdata->tg_trigger->tgname), event,
					quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
											   RelationGetRelationName(rel)),
					refs);
}

static void
require_transition(OrmtTriggerEntry *entry, TriggerData *trigdata,
				   const char *event, bool have_old, bool need_old,
				   bool have_new, bool need_new)
{
	if ((need_old && !have_old) || (need_new && !have_new))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("statement trigger \"%s\" on table \"%s\" needs transition tables for %s",
						entry->tgname, entry->relname, event),
				 errdetail("orm_triggers.audit reads the changed rows of a FOR EACH STATEMENT trigger from its %s.",
						   need_old && need_new ? "OLD TABLE and NEW TABLE" :
						   need_old ? "OLD TABLE" : "NEW TABLE"),
				 errhint("Create it as: %s.", audit_usage(trigdata, event))));
}

void
ormt_audit_build(OrmtTriggerEntry *entry, TriggerData *trigdata, const OrmtArgs *args)
{
	Relation	rel = trigdata->tg_relation;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	Trigger    *tg = trigdata->tg_trigger;
	int16		tgtype = tg->tgtype;
	AuditState *st = palloc0(sizeof(AuditState));
	bool	   *excluded = palloc0(sizeof(bool) * (tupdesc->natts + 1));
	Oid			nsp;
	Oid			logrel;
	HeapTuple	tup;
	AttrNumber *pk;
	ListCell   *lc;
	Oid			argtypes[AUDIT_NPARAMS] = {
		XID8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, NAMEOID, JSONBOID,
		OIDOID, NAMEOID, NAMEOID, TEXTOID, JSONBOID, JSONBOID, JSONBOID, INT8OID, INT8OID
	};
	bool		row = TRIGGER_FOR_ROW(tgtype);
	StringInfoData sql;

	/* the log itself */
	nsp = get_namespace_oid("orm_triggers", false);
	logrel = get_relname_relid("audit_log", nsp);
	if (!OidIsValid(logrel))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table orm_triggers.audit_log does not exist"),
				 errhint("Reinstall the extension: DROP EXTENSION orm_triggers; CREATE EXTENSION orm_triggers.")));
	if (RelationGetRelid(rel) == logrel)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" cannot audit the audit log itself",
						entry->tgname),
				 errdetail("Every audit row written would be audited again."),
				 errhint("DROP TRIGGER %s ON orm_triggers.audit_log.",
						 quote_identifier(entry->tgname))));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(logrel));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", logrel);
	st->target.log_owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	ormt_cache_add_dependency(entry, logrel);
	audit_check_direct(st, logrel, nsp);

	/* statement triggers read transition tables */
	if (!row)
	{
		bool		have_old = tg->tgoldtable != NULL;
		bool		have_new = tg->tgnewtable != NULL;

		if (TRIGGER_FOR_INSERT(tgtype))
			require_transition(entry, trigdata, "INSERT", have_old, false, have_new, true);
		if (TRIGGER_FOR_UPDATE(tgtype))
			require_transition(entry, trigdata, "UPDATE", have_old, true, have_new, true);
		if (TRIGGER_FOR_DELETE(tgtype))
			require_transition(entry, trigdata, "DELETE", have_old, true, have_new, false);
	}

	/* the table users name: the partition root */
	st->table_oid = ormt_partition_root(rel);
	if (st->table_oid != RelationGetRelid(rel))
		ormt_cache_add_dependency(entry, st->table_oid);
	namestrcpy(&st->table_name, get_rel_name(st->table_oid));
	namestrcpy(&st->schema_name,
			   get_namespace_name(get_rel_namespace(st->table_oid)));

	/* options */
	st->full = ormt_option_bool(entry, args, "full", false);
	foreach(lc, ormt_option_columns(args, "exclude"))
		excluded[ormt_resolve_column(entry, rel, (char *) lfirst(lc), true)] = true;

	/*
	 * logged columns, by name: dropped ones never, nor virtual generated ones
	 * (a trigger's rows hold no value for them)
	 */
	st->cols = palloc(sizeof(AuditColumn) * tupdesc->natts);
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (att->attisdropped || ormt_attr_is_virtual(att) ||
			excluded[att->attnum])
			continue;
		resolve_audit_column(att, &st->cols[st->ncols++]);
	}

	/* the primary key: logged in key even when excluded from the values */
	st->nkeys = ormt_primary_key(rel, &pk);
	st->keys = palloc(sizeof(AuditColumn) * Max(st->nkeys, 1));
	st->key_logged = palloc(sizeof(bool) * Max(st->nkeys, 1));
	for (int i = 0; i < st->nkeys; i++)
	{
		resolve_audit_column(TupleDescAttr(tupdesc, pk[i] - 1), &st->keys[i]);
		st->key_logged[i] = !excluded[pk[i]];
	}
	st->cols_order = jsonb_key_order(st->cols, st->ncols, &st->cols_scalar);
	st->keys_order = jsonb_key_order(st->keys, st->nkeys, &st->keys_scalar);

	/* the INSERT */
	initStringInfo(&sql);
	appendStringInfoString(&sql, audit_insert_columns);
	if (row || TRIGGER_FOR_TRUNCATE(tgtype))
		appendStringInfoString(&sql,
							   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)");
	else
	{
		appendStringInfoString(&sql,
							   "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, u.k, u.o, u.n, u.h, u.oh "
							   "FROM ROWS FROM (pg_catalog.unnest($11), pg_catalog.unnest($12), "
							   "pg_catalog.unnest($13), pg_catalog.unnest($14), pg_catalog.unnest($15)) "
							   "AS u (k, o, n, h, oh)");
		argtypes[10] = argtypes[11] = argtypes[12] = JSONBARRAYOID;
		argtypes[13] = argtypes[14] = INT8ARRAYOID;
	}
	/*
	 * A generic plan: the statement form's arrays are parameters, never
	 * constants copied into a plan made for one fire.
	 */
	st->plan = ormt_cache_prepare(entry, sql.data, AUDIT_NPARAMS, argtypes,
								  CURSOR_OPT_GENERIC_PLAN);

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
audit_slot_key_hash(AuditState *st, TupleTableSlot *slot, Datum key)
{
	if (st->nkeys == 1 && !slot->tts_isnull[st->keys[0].attnum - 1])
	{
		Datum		v = slot->tts_values[st->keys[0].attnum - 1];

		switch (st->keys[0].basetypid)
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

/*
 * Key, old and new values of one changed row, key_hash and old_key_hash,
 * as the five last INSERT parameters.  oldslot/newslot are NULL for INSERT/DELETE.  Returns false
 * for an UPDATE that changed no logged column (and not the key).
 */
static bool
audit_change(AuditState *st, TupleTableSlot *oldslot, TupleTableSlot *newslot,
			 Datum *values, char *nulls, bool *changed)
{
	TupleTableSlot *keyslot = newslot ? newslot : oldslot;

	if (oldslot)
		slot_getallattrs(oldslot);
	if (newslot)
		slot_getallattrs(newslot);

	nulls[10] = nulls[11] = nulls[12] = nulls[14] = 'n';
	values[13] = Int64GetDatum(0);	/* key_hash of a NULL key */
	nulls[13] = ' ';
	if (oldslot && newslot)
	{
		bool		any = false;
		bool		key_changed = false;

		for (int i = 0; i < st->nkeys; i++)
		{
			int			a = st->keys[i].attnum - 1;

			if (!ormt_datum_equal(oldslot->tts_values[a], oldslot->tts_isnull[a],
								  newslot->tts_values[a], newslot->tts_isnull[a],
								  st->keys[i].typlen, st->keys[i].typbyval))
				key_changed = true;
		}
		for (int i = 0; i < st->ncols; i++)
		{
			AuditColumn *col = &st->cols[i];
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
			Datum		oldkey = columns_jsonb(st->keys, st->nkeys, st->keys_order,
											   st->keys_scalar, NULL, oldslot);

			values[14] = Int64GetDatum(audit_slot_key_hash(st, oldslot, oldkey));
			nulls[14] = ' ';
		}
		values[11] = columns_jsonb(st->cols, st->ncols, st->cols_order, st->cols_scalar,
								   st->full || key_changed ? NULL : changed, oldslot);
		values[12] = columns_jsonb(st->cols, st->ncols, st->cols_order, st->cols_scalar,
								   st->full || key_changed ? NULL : changed, newslot);
		nulls[11] = nulls[12] = ' ';
	}
	else if (newslot)
	{
		values[12] = columns_jsonb(st->cols, st->ncols, st->cols_order, st->cols_scalar,
								   NULL, newslot);
		nulls[12] = ' ';
	}
	else
	{
		values[11] = columns_jsonb(st->cols, st->ncols, st->cols_order, st->cols_scalar,
								   NULL, oldslot);
		nulls[11] = ' ';
	}
	if (st->nkeys > 0)
	{
		values[10] = columns_jsonb(st->keys, st->nkeys, st->keys_order, st->keys_scalar,
								   NULL, keyslot);
		nulls[10] = ' ';
		values[13] = Int64GetDatum(audit_slot_key_hash(st, keyslot, values[10]));
		nulls[13] = ' ';
	}
	return true;
}

static const char *
event_op(TriggerEvent event)
{
	if (TRIGGER_FIRED_BY_INSERT(event))
		return "INSERT";
	if (TRIGGER_FIRED_BY_UPDATE(event))
		return "UPDATE";
	if (TRIGGER_FIRED_BY_DELETE(event))
		return "DELETE";
	return "TRUNCATE";
}

/* AFTER ROW: one INSERT per changed row. */
static void
audit_row(OrmtTriggerEntry *entry, TriggerData *trigdata, AuditState *st)
{
	TriggerEvent event = trigdata->tg_event;
	Datum		values[AUDIT_NPARAMS];
	char		nulls[AUDIT_NPARAMS];
	bool	   *changed = palloc(sizeof(bool) * Max(st->ncols, 1));
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

	audit_common_params(st, event_op(event), values, nulls);
	if (!audit_change(st, oldslot, newslot, values, nulls, changed))
		return;
	if (st->direct && audit_keep(st, values, nulls))
		return;
	audit_write(entry, st, values, nulls, st->direct);
}

/* Reader of a transition table, with its own read pointer. */
static TupleTableSlot *
transition_reader(Tuplestorestate *ts, TupleDesc tupdesc, int *ptr)
{
	*ptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(ts, *ptr);
	tuplestore_rescan(ts);
	return MakeSingleTupleTableSlot(tupdesc, &TTSOpsMinimalTuple);
}

/*
 * Changed rows of one statement waiting to be written: key, old and new
 * values, each a jsonb copied into the batch's memory context, and
 * key_hash.
 */
typedef struct AuditBatch
{
	MemoryContext cxt;
	int			n;
	int			cap;
	Size		bytes;
	Datum	   *arr[AUDIT_PERROW];
	bool	   *arrnull[AUDIT_PERROW];
} AuditBatch;

/* Rows, or bytes of jsonb, after which a batch is written (arrays stay far below 1 GB). */
#define AUDIT_BATCH_ROWS 100000
#define AUDIT_BATCH_BYTES (64 * 1024 * 1024)

static void
batch_add(AuditBatch *b, Datum *values, char *nulls)
{
	MemoryContext old = MemoryContextSwitchTo(b->cxt);

	if (b->n == b->cap)
	{
		b->cap = b->cap ? b->cap * 2 : 256;
		for (int j = 0; j < AUDIT_PERROW; j++)
		{
			b->arr[j] = b->arr[j] ? repalloc(b->arr[j], sizeof(Datum) * b->cap) :
				palloc(sizeof(Datum) * b->cap);
			b->arrnull[j] = b->arrnull[j] ? repalloc(b->arrnull[j], sizeof(bool) * b->cap) :
				palloc(sizeof(bool) * b->cap);
		}
	}
	for (int j = 0; j < AUDIT_PERROW; j++)
	{
		bool		isnull = (nulls[AUDIT_COMMON + j] == 'n');

		b->arrnull[j][b->n] = isnull;
		b->arr[j][b->n] = (Datum) 0;
		if (isnull)
			continue;
		if (audit_param_is_int8(AUDIT_COMMON + j))
		{
			/* key_hash, old_key_hash: an int8, by value or not */
			b->arr[j][b->n] = datumCopy(values[AUDIT_COMMON + j], FLOAT8PASSBYVAL, sizeof(int64));
			b->bytes += sizeof(int64);
		}
		else
		{
			Size		len = VARSIZE(DatumGetPointer(values[10 + j]));
			void	   *copy = palloc(len);

			memcpy(copy, DatumGetPointer(values[10 + j]), len);
			b->arr[j][b->n] = PointerGetDatum(copy);
			b->bytes += len;
		}
	}
	b->n++;
	MemoryContextSwitchTo(old);
}

/* One INSERT ... SELECT FROM unnest(...) of the batch's rows; empties it. */
static void
batch_flush(OrmtTriggerEntry *entry, AuditState *st, AuditBatch *b,
			Datum *values, char *nulls)
{
	int			dims[1];
	int			lbs[1] = {1};
	MemoryContext old;
	bool		done = false;

	if (b->n == 0)
		return;
	if (st->direct)
	{
		Oid			save_userid;
		int			save_sec_context;
		AuditArrays a = {values, nulls, b->arr, b->arrnull};

		GetUserIdAndSecContext(&save_userid, &save_sec_context);
		SetUserIdAndSecContext(st->target.log_owner,
							   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_NOFORCE_RLS);
		done = audit_write_direct(&st->target, b->n, arrays_getrow, &a,
								  GetCurrentCommandId(true));
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	if (!done)
	{
		old = MemoryContextSwitchTo(b->cxt);
		dims[0] = b->n;
		for (int j = 0; j < AUDIT_PERROW; j++)
		{
			bool		jsonb = !audit_param_is_int8(AUDIT_COMMON + j);

			values[AUDIT_COMMON + j] =
				PointerGetDatum(construct_md_array(b->arr[j], b->arrnull[j], 1, dims, lbs,
												   jsonb ? JSONBOID : INT8OID,
												   jsonb ? -1 : (int) sizeof(int64),
												   jsonb ? false : FLOAT8PASSBYVAL,
												   jsonb ? TYPALIGN_INT : TYPALIGN_DOUBLE));
			nulls[AUDIT_COMMON + j] = ' ';
		}
		MemoryContextSwitchTo(old);
		audit_write(entry, st, values, nulls, false);
	}
	MemoryContextReset(b->cxt);
	memset(b->arr, 0, sizeof(b->arr));
	memset(b->arrnull, 0, sizeof(b->arrnull));
	b->n = b->cap = 0;
	b->bytes = 0;
}

/*
 * AFTER STATEMENT over transition tables: old and new rows are paired by
 * position (the executor appends them together), and the changed rows go
 * to the log in one INSERT ... SELECT FROM unnest of three jsonb arrays
 * (statements of more than AUDIT_BATCH_ROWS rows or AUDIT_BATCH_BYTES of
 * values: one per batch).  Each row's work is done in a context reset per
 * row, so memory grows only by the values kept for the INSERT.
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
	Datum		values[AUDIT_NPARAMS];
	char		nulls[AUDIT_NPARAMS];
	bool	   *changed = palloc(sizeof(bool) * Max(st->ncols, 1));
	MemoryContext rowcxt;
	MemoryContext oldcxt;
	AuditBatch	batch;

	if (!TRIGGER_FIRED_BY_INSERT(event))
		oldts = trigdata->tg_oldtable;
	if (!TRIGGER_FIRED_BY_DELETE(event))
		newts = trigdata->tg_newtable;
	if (oldts)
		oldslot = transition_reader(oldts, tupdesc, &oldptr);
	if (newts)
		newslot = transition_reader(newts, tupdesc, &newptr);

	memset(&batch, 0, sizeof(batch));
	batch.cxt = AllocSetContextCreate(CurrentMemoryContext, "orm_triggers audit batch",
									  ALLOCSET_DEFAULT_SIZES);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "orm_triggers audit row",
								   ALLOCSET_DEFAULT_SIZES);

	audit_common_params(st, event_op(event), values, nulls);
	for (;;)
	{
		bool		more_old = false;
		bool		more_new = false;
		bool		logged;

		if (oldts)
		{
			tuplestore_select_read_pointer(oldts, oldptr);
			more_old = tuplestore_gettupleslot(oldts, true, false, oldslot);
		}
		if (newts)
		{
			tuplestore_select_read_pointer(newts, newptr);
			more_new = tuplestore_gettupleslot(newts, true, false, newslot);
		}
		if ((oldts && !more_old) || (newts && !more_new))
		{
			if ((oldts && more_old) || (newts && more_new))
				elog(ERROR, "orm_triggers: transition tables of trigger \"%s\" differ in length",
					 entry->tgname);
			break;
		}
		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(rowcxt);
		oldcxt = MemoryContextSwitchTo(rowcxt);
		logged = audit_change(st, oldts ? oldslot : NULL, newts ? newslot : NULL,
							  values, nulls, changed);
		MemoryContextSwitchTo(oldcxt);
		if (!logged)
			continue;
		batch_add(&batch, values, nulls);
		if (batch.n >= AUDIT_BATCH_ROWS || batch.bytes >= AUDIT_BATCH_BYTES)
			batch_flush(entry, st, &batch, values, nulls);
	}
	if (oldts)
	{
		tuplestore_select_read_pointer(oldts, 0);
		ExecDropSingleTupleTableSlot(oldslot);
	}
	if (newts)
	{
		tuplestore_select_read_pointer(newts, 0);
		ExecDropSingleTupleTableSlot(newslot);
	}
	batch_flush(entry, st, &batch, values, nulls);
	MemoryContextDelete(rowcxt);
	MemoryContextDelete(batch.cxt);
}

/* AFTER TRUNCATE: one row, no key and no values. */
static void
audit_truncate(OrmtTriggerEntry *entry, AuditState *st)
{
	Datum		values[AUDIT_NPARAMS];
	char		nulls[AUDIT_NPARAMS];

	audit_common_params(st, "TRUNCATE", values, nulls);
	nulls[10] = nulls[11] = nulls[12] = nulls[14] = 'n';
	values[13] = Int64GetDatum(0);	/* key_hash of a NULL key */
	nulls[13] = ' ';
	audit_write(entry, st, values, nulls, false);
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

	if (TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		audit_row(entry, trigdata, st);
	else if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		audit_truncate(entry, st);
	else
		audit_statement(entry, trigdata, st);
	return PointerGetDatum(NULL);
}
