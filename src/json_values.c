/*-------------------------------------------------------------------------
 *
 * json_values.c
 *		Column values as JSON: the one rendering that audit (jsonb in
 *		orm_triggers.audit_log) and notify_change (JSON text in a NOTIFY
 *		payload) share, which is the one to_jsonb() gives.
 *
 * A column is classified once, when a trigger's entry is built, the way
 * to_jsonb classifies a type (through domains to their base type): bool a
 * JSON boolean; int2/int4/int8, float4/float8 and numeric a number, except
 * NaN and the infinities, which are strings; date, timestamp and
 * timestamptz an ISO 8601 string (JsonEncodeDateTime); jsonb as is; json
 * parsed; arrays, composites and types with a cast to json through
 * to_jsonb itself; everything else (oid, bytea, uuid, ...) the string of
 * its output function.  A json value holding the escape \u0000, which
 * jsonb cannot represent, becomes a JSON string with the json text rather
 * than failing the user's statement.
 *
 * audit builds jsonb values (ormt_json_object); notify_change writes the
 * same values as text (ormt_json_append_value): a scalar as the jsonb
 * scalar prints, a nested value as JsonbToCString prints it.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "orm_triggers.h"

/* Is a kind rendered as a jsonb scalar (no nested container)? */
static inline bool
kind_is_scalar(OrmtJsonKind kind)
{
	return kind != ORMT_JSON_JSONB && kind != ORMT_JSON_JSON &&
		kind != ORMT_JSON_GENERIC;
}

/*
 * Classify column att for rendering, as to_jsonb classifies its type, and
 * look up what rendering it needs (an output function, or to_jsonb).
 */
void
ormt_json_column_init(OrmtJsonColumn *col, Form_pg_attribute att)
{
	Oid			base = getBaseType(att->atttypid);
	Oid			fnoid = InvalidOid;
	bool		isvarlena;

	Assert(!att->attisdropped);
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
			col->kind = ORMT_JSON_BOOL;
			break;
		case INT2OID:
		case INT4OID:
		case INT8OID:
			col->kind = ORMT_JSON_INT;
			break;
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			col->kind = ORMT_JSON_NUMBER;
			break;
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			col->kind = ORMT_JSON_DATETIME;
			break;
		case JSONBOID:
			col->kind = ORMT_JSON_JSONB;
			break;
		case JSONOID:
			col->kind = ORMT_JSON_JSON;
			break;
		case TEXTOID:
		case VARCHAROID:
			col->kind = ORMT_JSON_TEXT;
			break;
		default:
			col->kind = ORMT_JSON_STRING;
			if (OidIsValid(get_element_type(base)) ||
				get_typtype(base) == TYPTYPE_COMPOSITE)
				col->kind = ORMT_JSON_GENERIC;
			else if (base >= FirstNormalObjectId)
			{
				Oid			castfunc;

				if (find_coercion_pathway(JSONOID, base, COERCION_EXPLICIT,
										  &castfunc) == COERCION_PATH_FUNC &&
					OidIsValid(castfunc))
					col->kind = ORMT_JSON_GENERIC;
			}
			break;
	}

	if (col->kind == ORMT_JSON_GENERIC)
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
	else if (col->kind == ORMT_JSON_NUMBER || col->kind == ORMT_JSON_STRING)
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

static inline void
string_value(JsonbValue *v, char *s, int len)
{
	v->type = jbvString;
	v->val.string.val = s;
	v->val.string.len = len;
}

/*
 * The jsonb scalar of one non-NULL value of a column of a scalar kind.
 * Values that need no conversion (text, numeric) are used in place, not
 * copied.
 */
static void
scalar_value(const OrmtJsonColumn *col, Datum value, JsonbValue *v)
{
	switch (col->kind)
	{
		case ORMT_JSON_BOOL:
			v->type = jbvBool;
			v->val.boolean = DatumGetBool(value);
			return;
		case ORMT_JSON_INT:
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
		case ORMT_JSON_NUMBER:
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
				s = OutputFunctionCall(unconstify(FmgrInfo *, &col->fn), value);
				/* NaN, Infinity, -Infinity are not JSON numbers */
				if (strpbrk(s, "Nn") != NULL)
					string_value(v, s, strlen(s));
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
		case ORMT_JSON_DATETIME:
			{
				char	   *s = JsonEncodeDateTime(NULL, value, col->basetypid, NULL);

				string_value(v, s, strlen(s));
				return;
			}
		case ORMT_JSON_TEXT:
			{
				text	   *t = DatumGetTextPP(value);

				string_value(v, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
				return;
			}
		case ORMT_JSON_STRING:
			{
				char	   *s = OutputFunctionCall(unconstify(FmgrInfo *, &col->fn), value);

				string_value(v, s, strlen(s));
				return;
			}
		case ORMT_JSON_JSONB:
		case ORMT_JSON_JSON:
		case ORMT_JSON_GENERIC:
			break;
	}
	elog(ERROR, "orm_triggers: column \"%s\" is not of a scalar kind", col->name);
}

/*
 * The jsonb of one non-NULL value of a column of a nested kind (jsonb,
 * json, generic), or NULL when the value is a json text with \u0000 (*s
 * then holds it).
 */
static Jsonb *
nested_value(const OrmtJsonColumn *col, Datum value, char **s)
{
	Assert(!kind_is_scalar(col->kind));
	*s = NULL;
	switch (col->kind)
	{
		case ORMT_JSON_JSONB:
			return DatumGetJsonbP(value);
		case ORMT_JSON_JSON:
			*s = TextDatumGetCString(value);
			if (json_has_nul_escape(*s))
				return NULL;
			return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(*s)));
		default:
			return DatumGetJsonbP(FunctionCall1(unconstify(FmgrInfo *, &col->fn), value));
	}
}

static void
push_string(JsonbParseState **ps, JsonbIteratorToken tok, const char *s, int len)
{
	JsonbValue	v;

	string_value(&v, unconstify(char *, s), len);
	pushJsonbValue(ps, tok, &v);
}

/* Push one non-NULL column value. */
static void
push_value(JsonbParseState **ps, const OrmtJsonColumn *col, Datum value)
{
	JsonbValue	v;

	if (kind_is_scalar(col->kind))
		scalar_value(col, value, &v);
	else
	{
		char	   *s;
		Jsonb	   *jb = nested_value(col, value, &s);

		if (jb == NULL)
			string_value(&v, s, strlen(s));
		else
		{
			v.type = jbvBinary;
			v.val.binary.data = &jb->root;
			v.val.binary.len = VARSIZE(jb) - VARHDRSZ;
		}
	}
	pushJsonbValue(ps, WJB_VALUE, &v);
}

/*
 * Fill in set->order with the positions of set->cols[] in the order jsonb
 * keeps object keys (shorter names first, then bytewise), so that an
 * object can be built already sorted, and set->scalar.
 */
void
ormt_json_columns_prepare(OrmtJsonColumnSet *set)
{
	set->order = palloc(sizeof(int) * Max(set->ncols, 1));
	set->scalar = true;
	for (int i = 0; i < set->ncols; i++)
	{
		int			j = i;

		if (!kind_is_scalar(set->cols[i].kind))
			set->scalar = false;
		/* insertion sort: a table has few columns, and this runs once */
		while (j > 0)
		{
			OrmtJsonColumn *p = &set->cols[set->order[j - 1]];

			if (p->namelen < set->cols[i].namelen ||
				(p->namelen == set->cols[i].namelen &&
				 memcmp(p->name, set->cols[i].name, p->namelen) < 0))
				break;
			set->order[j] = set->order[j - 1];
			j--;
		}
		set->order[j] = i;
	}
}

/*
 * A jsonb object of the columns cols[i] of set for which mask is NULL or
 * mask[i] is true, from a slot whose attributes are all deformed.  When
 * every column is a scalar the object is built in one piece, its keys
 * already in jsonb order; otherwise token by token, so that nested jsonb
 * values are unpacked.
 */
Datum
ormt_json_object(const OrmtJsonColumnSet *set, const bool *mask,
				 TupleTableSlot *slot)
{
	JsonbParseState *ps = NULL;
	JsonbValue *res;

	Assert(set->order != NULL);
	if (set->scalar)
	{
		JsonbValue	obj;
		JsonbPair  *pairs = palloc(sizeof(JsonbPair) * Max(set->ncols, 1));
		int			n = 0;

		for (int k = 0; k < set->ncols; k++)
		{
			int			i = set->order[k];
			const OrmtJsonColumn *col = &set->cols[i];
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
	for (int i = 0; i < set->ncols; i++)
	{
		const OrmtJsonColumn *col = &set->cols[i];
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

/* A string as JSON text; s need not end in a NUL. */
static void
append_json_string(StringInfo buf, const char *s, int len)
{
	char	   *copy = pnstrdup(s, len);

	escape_json(buf, copy);
	pfree(copy);
}

/*
 * Append one value as JSON text: the text of the very jsonb value
 * ormt_json_object would store for it.
 */
void
ormt_json_append_value(StringInfo buf, const OrmtJsonColumn *col,
					   Datum value, bool isnull)
{
	JsonbValue	v;

	if (isnull)
	{
		appendStringInfoString(buf, "null");
		return;
	}
	if (col->kind == ORMT_JSON_INT)
	{
		/* an integral numeric prints as the integer does: skip making one */
		char		digits[MAXINT8LEN + 1];
		int64		i = col->typlen == 2 ? DatumGetInt16(value) :
			col->typlen == 4 ? DatumGetInt32(value) : DatumGetInt64(value);

		appendBinaryStringInfo(buf, digits, pg_lltoa(i, digits));
		return;
	}
	if (!kind_is_scalar(col->kind))
	{
		char	   *s;
		Jsonb	   *jb = nested_value(col, value, &s);

		if (jb == NULL)
			escape_json(buf, s);
		else
			(void) JsonbToCString(buf, &jb->root, VARSIZE(jb));
		return;
	}
	scalar_value(col, value, &v);
	switch (v.type)
	{
		case jbvBool:
			appendStringInfoString(buf, v.val.boolean ? "true" : "false");
			break;
		case jbvNumeric:
			appendStringInfoString(buf,
								   DatumGetCString(DirectFunctionCall1(numeric_out,
																	   NumericGetDatum(v.val.numeric))));
			break;
		case jbvString:
			append_json_string(buf, v.val.string.val, v.val.string.len);
			break;
		default:
			elog(ERROR, "orm_triggers: unexpected jsonb scalar type %d", (int) v.type);
	}
}
