/*-------------------------------------------------------------------------
 *
 * notify.c
 *		notify_change: a NOTIFY with a JSON payload for every change, the
 *		cross-process counterpart of Django/Tortoise post_save and
 *		post_delete signals.
 *
 * Like contrib/tcn, the payload is built in C from the trigger's tuples and
 * queued with Async_Notify (no SPI): PostgreSQL delivers it at commit and
 * drops it on rollback, and merges identical payloads within a transaction.
 * Unlike tcn the payload is JSON, names the partitioned root rather than the
 * leaf, and is shrunk to fit the payload limit instead of failing the
 * user's statement.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

#include "orm_triggers.h"

PG_FUNCTION_INFO_V1(notify_change);

/*
 * Async_Notify rejects payloads of this many bytes or more; the limit is
 * private to async.c (NOTIFY_PAYLOAD_MAX_LENGTH), so it is repeated here.
 */
#define NOTIFY_PAYLOAD_LIMIT (BLCKSZ - NAMEDATALEN - 128)

#define DEFAULT_CHANNEL "orm_triggers"

/* A column in the payload: its value as json_values.c renders it. */
typedef struct JsonColumn
{
	OrmtJsonColumn col;
	char	   *jsonname;		/* "name" escaped, with the quotes */
} JsonColumn;

typedef struct NotifyState
{
	char	   *channel;
	char	   *head;			/* {"schema":..,"table":..,"op": */
	int			nkey;
	JsonColumn *key;			/* primary key columns; none: "key":null */
	int			nvalues;
	JsonColumn *values;			/* columns= */
	int			ncols;
	JsonColumn *cols;			/* every live column, for "changed" */
	bool		statement;
	StringInfoData buf;			/* the row payload, reused */
} NotifyState;

static const OrmtOptionDef notify_options[] = {
	{"channel", ORMT_OPT_IDENT, NULL},
	{"columns", ORMT_OPT_COLUMNS, NULL},
	{NULL}
};

const OrmtFuncSpec ormt_notify_change_spec = {
	.name = "notify_change",
	.timing = TRIGGER_TYPE_AFTER,
	.row_ok = true,
	.statement_ok = true,
	.events = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_DELETE,
	.required_events = 0,
	.min_columns = 0,
	.max_columns = 0,
	.options = notify_options,
};

static void
json_column_init(JsonColumn *jc, Form_pg_attribute att)
{
	StringInfoData buf;

	ormt_json_column_init(&jc->col, att);
	initStringInfo(&buf);
	escape_json(&buf, NameStr(att->attname));
	jc->jsonname = buf.data;
}

void
ormt_notify_change_build(OrmtTriggerEntry *entry, TriggerData *trigdata,
						 const OrmtArgs *args)
{
	Relation	rel = trigdata->tg_relation;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	NotifyState *st = palloc0(sizeof(NotifyState));
	const char *channel = ormt_option(args, "channel");
	List	   *valuecols = ormt_option_columns(args, "columns");
	char	   *nspname;
	char	   *relname;
	AttrNumber *pk;
	StringInfoData buf;
	ListCell   *lc;
	int			i;

	/* payloads name the partition root */
	(void) ormt_partition_root_name(rel, &nspname, &relname);

	/* the statement form reads the keys of the changed rows */
	st->statement = !TRIGGER_FOR_ROW(trigdata->tg_trigger->tgtype);
	if (st->statement)
		ormt_require_transition_tables(entry, trigdata, TRIGGER_TYPE_DELETE,
									   TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE);

	st->channel = pstrdup(channel ? channel : DEFAULT_CHANNEL);
	initStringInfo(&st->buf);

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"schema\":");
	escape_json(&buf, nspname);
	appendStringInfoString(&buf, ",\"table\":");
	escape_json(&buf, relname);
	appendStringInfoString(&buf, ",\"op\":");
	st->head = buf.data;

	st->nkey = ormt_primary_key(rel, &pk);
	st->key = palloc(sizeof(JsonColumn) * Max(st->nkey, 1));
	for (i = 0; i < st->nkey; i++)
		json_column_init(&st->key[i], TupleDescAttr(tupdesc, pk[i] - 1));

	st->nvalues = list_length(valuecols);
	st->values = palloc(sizeof(JsonColumn) * Max(st->nvalues, 1));
	i = 0;
	foreach(lc, valuecols)
	{
		AttrNumber	attnum = ormt_resolve_column(entry, rel, lfirst(lc), true);

		json_column_init(&st->values[i++], TupleDescAttr(tupdesc, attnum - 1));
	}

	st->cols = palloc(sizeof(JsonColumn) * Max(tupdesc->natts, 1));
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped)
			json_column_init(&st->cols[st->ncols++], att);
	}
	entry->data = st;
}

/* {"a":1,"b":"x"} of the columns, from slot. */
static void
append_json_object(StringInfo buf, JsonColumn *cols, int n,
				   TupleTableSlot *slot)
{
	appendStringInfoChar(buf, '{');
	for (int i = 0; i < n; i++)
	{
		bool		isnull;
		Datum		value = slot_getattr(slot, cols[i].col.attnum, &isnull);

		if (i > 0)
			appendStringInfoChar(buf, ',');
		appendStringInfoString(buf, cols[i].jsonname);
		appendStringInfoChar(buf, ':');
		ormt_json_append_value(buf, &cols[i].col, value, isnull);
	}
	appendStringInfoChar(buf, '}');
}

static bool
columns_equal(TupleTableSlot *a, TupleTableSlot *b, JsonColumn *cols, int n)
{
	for (int i = 0; i < n; i++)
	{
		const OrmtJsonColumn *col = &cols[i].col;
		bool		anull;
		bool		bnull;
		Datum		av = slot_getattr(a, col->attnum, &anull);
		Datum		bv = slot_getattr(b, col->attnum, &bnull);

		if (!ormt_datum_equal(av, anull, bv, bnull, col->typlen, col->typbyval))
			return false;
	}
	return true;
}

/* "op":"INSERT" and so on: the event's name as a JSON string. */
static void
append_op(StringInfo buf, TriggerEvent event)
{
	appendStringInfoChar(buf, '"');
	appendStringInfoString(buf, ormt_event_name(event));
	appendStringInfoChar(buf, '"');
}

/*
 * One row's payload: head, op, key, old_key (UPDATE of the key), changed
 * (UPDATE), values (columns=).  When it would reach the limit, drop values,
 * then the keys, then the changed list, and say "truncated":true.  Built in
 * one buffer kept with the trigger, so a row costs no allocation of its own
 * beyond the output functions'.
 */
static void
notify_row(NotifyState *st, TriggerData *trigdata)
{
	TriggerEvent event = trigdata->tg_event;
	TupleTableSlot *row;		/* the row as it is now (old for DELETE) */
	StringInfo	buf = &st->buf;
	static const char truncated[] = ",\"truncated\":true";
	bool		is_update = TRIGGER_FIRED_BY_UPDATE(event);
	int			key_start;
	int			changed_start;
	int			values_start;

	row = is_update ? trigdata->tg_newslot : trigdata->tg_trigslot;

	resetStringInfo(buf);
	appendStringInfoString(buf, st->head);
	append_op(buf, event);

	key_start = buf->len;
	appendStringInfoString(buf, ",\"key\":");
	if (st->nkey > 0)
		append_json_object(buf, st->key, st->nkey, row);
	else
		appendStringInfoString(buf, "null");

	changed_start = buf->len;
	if (is_update)
	{
		bool		first = true;

		if (st->nkey > 0 &&
			!columns_equal(trigdata->tg_trigslot, trigdata->tg_newslot,
						   st->key, st->nkey))
		{
			appendStringInfoString(buf, ",\"old_key\":");
			append_json_object(buf, st->key, st->nkey, trigdata->tg_trigslot);
			changed_start = buf->len;
		}
		appendStringInfoString(buf, ",\"changed\":[");
		for (int i = 0; i < st->ncols; i++)
		{
			if (columns_equal(trigdata->tg_trigslot, trigdata->tg_newslot,
							  &st->cols[i], 1))
				continue;
			if (!first)
				appendStringInfoChar(buf, ',');
			appendStringInfoString(buf, st->cols[i].jsonname);
			first = false;
		}
		appendStringInfoChar(buf, ']');
	}

	values_start = buf->len;
	if (st->nvalues > 0)
	{
		appendStringInfoString(buf, ",\"values\":");
		append_json_object(buf, st->values, st->nvalues, row);
	}

	if (buf->len + 1 >= NOTIFY_PAYLOAD_LIMIT)
	{
		int			room = NOTIFY_PAYLOAD_LIMIT - 1 - (int) (sizeof(truncated) - 1) - 1;

		/* shrink: values first, then the keys, then the changed list */
		buf->len = values_start;
		if (buf->len > room)
		{
			int			changed_len = values_start - changed_start;

			memmove(buf->data + key_start, buf->data + changed_start, changed_len);
			buf->len = key_start + changed_len;
			if (buf->len > room)
				buf->len = key_start;
		}
		buf->data[buf->len] = '\0';
		appendStringInfoString(buf, truncated);
	}
	appendStringInfoChar(buf, '}');

	Async_Notify(st->channel, buf->data);
}

/*
 * One payload per statement: {"schema","table","op","count":N,"keys":[...]}
 * with as many keys as fit ("truncated":true when not all do).  Tables
 * without a primary key send "keys":null.  Nothing is sent when the
 * statement changed no row.
 */
static void
notify_statement(NotifyState *st, TriggerData *trigdata)
{
	TriggerEvent event = trigdata->tg_event;
	Tuplestorestate *ts = TRIGGER_FIRED_BY_DELETE(event) ?
		trigdata->tg_oldtable : trigdata->tg_newtable;
	int64		count;
	StringInfoData payload;
	StringInfoData key;
	static const char tail_truncated[] = "],\"truncated\":true}";
	bool		truncated = false;

	if (ts == NULL)
		elog(ERROR, "transition table of trigger \"%s\" is missing",
			 trigdata->tg_trigger->tgname);
	count = tuplestore_tuple_count(ts);
	if (count == 0)
		return;

	initStringInfo(&payload);
	appendStringInfoString(&payload, st->head);
	append_op(&payload, event);
	appendStringInfo(&payload, ",\"count\":" INT64_FORMAT ",\"keys\":", count);

	if (st->nkey == 0)
		appendStringInfoString(&payload, "null}");
	else
	{
		TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(trigdata->tg_relation),
														&TTSOpsMinimalTuple);
		bool		first = true;

		appendStringInfoChar(&payload, '[');
		initStringInfo(&key);
		tuplestore_select_read_pointer(ts, 0);
		tuplestore_rescan(ts);
		while (tuplestore_gettupleslot(ts, true, false, slot))
		{
			resetStringInfo(&key);
			append_json_object(&key, st->key, st->nkey, slot);
			/* room for this key, its comma and the longest ending */
			if (payload.len + key.len + 1 + (int) sizeof(tail_truncated) > NOTIFY_PAYLOAD_LIMIT - 1)
			{
				truncated = true;
				break;
			}
			if (!first)
				appendStringInfoChar(&payload, ',');
			appendBinaryStringInfo(&payload, key.data, key.len);
			first = false;
		}
		ExecDropSingleTupleTableSlot(slot);
		appendStringInfoString(&payload, truncated ? tail_truncated : "]}");
	}
	Async_Notify(st->channel, payload.data);
}

/* ------------------------------------------------------------------------
 * notify_change(['channel=name'] [, 'columns=c1,c2'])
 *
 * AFTER INSERT / UPDATE / DELETE; FOR EACH ROW, or FOR EACH STATEMENT with
 * the transition table of its event (REFERENCING NEW TABLE for INSERT and
 * UPDATE, OLD TABLE for DELETE).
 *
 * Row form: {"schema","table","op","key":{pk},"changed":[cols]} (changed on
 * UPDATE only), "old_key" when an UPDATE changed the key, "values" with the
 * columns= columns (new row; old row for DELETE).  No primary key:
 * "key":null.  Partitions notify under the partitioned root's name.
 * Default channel: orm_triggers.
 * ------------------------------------------------------------------------
 */
Datum
notify_change(PG_FUNCTION_ARGS)
{
	OrmtTriggerEntry *entry = ORMT_ENTRY(ormt_notify_change_spec, ormt_notify_change_build);
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	NotifyState *st = (NotifyState *) entry->data;

	if (st->statement)
		notify_statement(st, trigdata);
	else
		notify_row(st, trigdata);
	return PointerGetDatum(NULL);
}
