/*-------------------------------------------------------------------------
 *
 * orm_triggers.h
 *		Shared declarations of the orm_triggers extension.
 *
 * Every trigger function follows the same protocol:
 *
 *	1. ormt_trigger_entry(fcinfo, &spec, build) checks that it was called by
 *	   the trigger manager and returns the per-trigger cache entry.  On the
 *	   first fire of a trigger (and after a relcache invalidation of any
 *	   relation the entry depends on) the entry is (re)built: the firing
 *	   context (timing, level, events, relation kind) is validated against
 *	   the spec, the arguments are parsed into columns and options, and the
 *	   feature's build callback resolves them into whatever it needs per row.
 *	2. The per-row code uses only the resolved state in entry->data.
 *
 * Arguments: a trigger argument of the form name=value, where name is a
 * lower-case word, is an option; any other argument is a column name taken
 * verbatim.  An argument in double quotes is always a column name, with the
 * quoting rules of SQL identifiers ("" for a quote).  List values such as
 * ignore=a,b use the same rules for each comma-separated item.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef ORM_TRIGGERS_H
#define ORM_TRIGGERS_H

#include "postgres.h"

#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"
#include "datatype/timestamp.h"

#include "compat.h"

/* settings (orm_triggers.c) */
extern char *ormt_actor;
extern char *ormt_context;
extern bool ormt_hard_delete;
extern bool ormt_validate_ddl;

/* Kinds of option value. */
typedef enum OrmtOptionType
{
	ORMT_OPT_BOOL,				/* true/false/on/off/yes/no/1/0 */
	ORMT_OPT_ENUM,				/* one of choices[] */
	ORMT_OPT_COLUMNS,			/* comma-separated column names */
	ORMT_OPT_IDENT				/* a single name (a channel, a table) */
} OrmtOptionType;

typedef struct OrmtOptionDef
{
	const char *name;
	OrmtOptionType type;
	const char *const *choices; /* ORMT_OPT_ENUM: NULL-terminated */
} OrmtOptionDef;

/*
 * What a trigger function accepts.  The cache validates a trigger against it
 * once, when the entry is built, so misuse fails on the first fire.
 */
typedef struct OrmtFuncSpec
{
	const char *name;			/* SQL name without schema, for messages */
	int16		timing;			/* TRIGGER_TYPE_BEFORE or TRIGGER_TYPE_AFTER */
	bool		row_ok;			/* FOR EACH ROW allowed */
	bool		statement_ok;	/* FOR EACH STATEMENT allowed */
	int16		events;			/* allowed TRIGGER_TYPE_INSERT|UPDATE|... */
	int16		required_events;	/* events that must all be declared */
	int			min_columns;	/* column-name arguments */
	int			max_columns;	/* -1: unlimited */
	const OrmtOptionDef *options;	/* terminated by a {NULL} entry */
	bool		writes_columns; /* a BEFORE UPDATE row trigger of this
								 * function decides its column arguments'
								 * values itself: other triggers deciding
								 * whether a row changed skip them
								 * (ormt_mark_stamped_columns) */
} OrmtFuncSpec;

/* Arguments of one trigger, parsed. */
typedef struct OrmtOptionValue
{
	const OrmtOptionDef *def;
	char	   *raw;			/* text after '=' */
} OrmtOptionValue;

typedef struct OrmtArgs
{
	int			ncolumns;
	char	  **columns;
	int			noptions;
	OrmtOptionValue *options;
} OrmtArgs;

/*
 * One trigger's resolved state.  An entry is removed from the hash table
 * only at the commit of a transaction that found its trigger dropped, so a
 * pointer to one stays valid for at least the current transaction; that
 * lets the per-row path keep it in fn_extra (which lives as long as the
 * query) and skip the hash lookup.
 */
typedef struct OrmtTriggerEntry OrmtTriggerEntry;

typedef void (*OrmtBuildFunc) (OrmtTriggerEntry *entry, TriggerData *trigdata,
							   const OrmtArgs *args);

#define ORMT_MAX_DEPENDENCIES 8
#define ORMT_MAX_PLANS 8

struct OrmtTriggerEntry
{
	Oid			tgoid;			/* hash key: pg_trigger OID */
	bool		valid;			/* false: rebuild before use */
	uint32		invalidations;	/* counts matching invalidations, so one
								 * arriving during a rebuild is not lost */
	const OrmtFuncSpec *spec;	/* the function this entry was built for */
	Oid			relid;			/* relation the trigger fires on */
	int			ndeps;
	Oid			deps[ORMT_MAX_DEPENDENCIES];	/* relations whose
												 * invalidation makes this
												 * entry stale */
	int			nplans;
	SPIPlanPtr	plans[ORMT_MAX_PLANS];	/* saved plans, freed on rebuild */
	MemoryContext cxt;			/* owns everything below */
	char	   *tgname;			/* trigger name, for messages */
	char	   *relname;		/* for messages: the table the trigger was
								 * created on (for a partition, the
								 * partitioned table whose trigger was
								 * cloned), not necessarily relid */
	void	   *data;			/* the feature's resolved state */
	char	   *nspname;		/* schema of relname, for messages */
	bool		dropped;		/* trigger is gone: free at commit */
};

/* trigger_cache.c */
extern OrmtTriggerEntry *ormt_trigger_entry(FunctionCallInfo fcinfo,
											const OrmtFuncSpec *spec,
											OrmtBuildFunc build);
extern void ormt_cache_add_dependency(OrmtTriggerEntry *entry, Oid relid);
extern void ormt_cache_keep_plan(OrmtTriggerEntry *entry, SPIPlanPtr plan);
extern SPIPlanPtr ormt_cache_prepare(OrmtTriggerEntry *entry, const char *sql,
									 int nargs, Oid *argtypes,
									 int cursor_options);
extern void ormt_cache_init(void);

/* argument helpers, for build callbacks (spec.c) */
extern const char *ormt_option(const OrmtArgs *args, const char *name);
extern bool ormt_option_bool(OrmtTriggerEntry *entry, const OrmtArgs *args,
							 const char *name, bool dflt);
extern List *ormt_option_columns(const OrmtArgs *args, const char *name);
extern AttrNumber ormt_resolve_column(OrmtTriggerEntry *entry, Relation rel,
									  const char *colname,
									  bool allow_generated);
extern int	ormt_mark_option_columns(OrmtTriggerEntry *entry, Relation rel,
									 const OrmtArgs *args, const char *name,
									 bool *mark);
extern void ormt_mark_stamped_columns(Relation rel, Oid self, bool *skip);
extern ORMT_NORETURN void ormt_column_type_error(OrmtTriggerEntry *entry,
												 Relation rel,
												 AttrNumber attnum,
												 const char *expected);

/* firing context and arguments, for trigger_cache.c (spec.c) */
extern void ormt_check_firing_context(const OrmtTriggerEntry *entry,
									  TriggerData *trigdata);
extern void ormt_parse_args(const OrmtTriggerEntry *entry,
							TriggerData *trigdata, OrmtArgs *args);

/* relations and error fields (relations.c) */
extern Oid	ormt_partition_root(Relation rel);
extern Oid	ormt_partition_root_name(Relation rel, char **nspname,
									 char **relname);
extern void ormt_relation_names(Oid relid, char **nspname, char **relname);
extern Oid	ormt_trigger_table(Relation rel, Oid tgoid);
extern HeapTuple ormt_fetch_trigger(Oid tgoid);
extern int	ormt_primary_key(Relation rel, AttrNumber **attnums);
extern int	ormt_errtable(const OrmtTriggerEntry *entry);
extern int	ormt_errtablecol(const OrmtTriggerEntry *entry,
							 const char *colname);

/* target.c: tables named in arguments, writes as their owner */
typedef struct OrmtUserSave
{
	Oid			userid;
	int			sec_context;
} OrmtUserSave;

extern Oid	ormt_table_argument(OrmtTriggerEntry *entry, Relation rel,
								const char *optname, const char *value);
extern void ormt_become_owner(Oid owner, OrmtUserSave *save);
extern void ormt_restore_user(const OrmtUserSave *save);
extern Oid	ormt_relation_owner(Oid relid);

/* stamps.c */
extern Datum ormt_now_as(Oid basetype);

/* soft_delete.c: the executor hook that tells row movement from DELETE */
extern void ormt_soft_delete_init(void);
extern void ormt_audit_init(void);

/* values (tuple.c) */
extern bool ormt_datum_equal(Datum a, bool anull, Datum b, bool bnull,
							 int16 typlen, bool typbyval);
extern HeapTuple ormt_modify_tuple(HeapTuple tuple, TupleDesc tupdesc, int n,
								   const int *attnums, const Datum *values,
								   const bool *nulls);

/* ---- audit and notify_change's shared machinery (restructure, issue 9) ---- */

/* target.c: the owner switch with more security-context flags */
extern void ormt_become_owner_with(Oid owner, int sec_flags,
								   OrmtUserSave *save);

/*
 * json_values.c: column values as JSON, rendered as to_jsonb renders them
 * (audit's jsonb and notify_change's text alike).
 */
typedef enum OrmtJsonKind
{
	ORMT_JSON_BOOL,				/* true/false */
	ORMT_JSON_INT,				/* int2/int4/int8: a number */
	ORMT_JSON_NUMBER,			/* float, numeric: a number, or a string for
								 * NaN and the infinities */
	ORMT_JSON_DATETIME,			/* date, timestamp, timestamptz: ISO 8601 */
	ORMT_JSON_JSONB,			/* as is */
	ORMT_JSON_JSON,				/* parsed (a string if it holds \u0000) */
	ORMT_JSON_STRING,			/* the output function's text */
	ORMT_JSON_TEXT,				/* text, varchar: the value itself */
	ORMT_JSON_GENERIC			/* arrays, composites, json casts: to_jsonb */
} OrmtJsonKind;

typedef struct OrmtJsonColumn
{
	AttrNumber	attnum;
	char	   *name;
	int			namelen;
	Oid			typid;
	Oid			basetypid;		/* typid, or the domain's base type */
	int16		typlen;
	bool		typbyval;
	OrmtJsonKind kind;
	FmgrInfo	fn;				/* output function, or to_jsonb */
} OrmtJsonColumn;

/* Columns rendered together as one JSON object. */
typedef struct OrmtJsonColumnSet
{
	int			ncols;
	OrmtJsonColumn *cols;
	int		   *order;			/* cols[] positions in jsonb key order */
	bool		scalar;			/* no column of a nested kind */
} OrmtJsonColumnSet;

extern void ormt_json_column_init(OrmtJsonColumn *col, Form_pg_attribute att);
extern void ormt_json_columns_prepare(OrmtJsonColumnSet *set);
extern Datum ormt_json_object(const OrmtJsonColumnSet *set, const bool *mask,
							  TupleTableSlot *slot);
extern void ormt_json_append_value(StringInfo buf, const OrmtJsonColumn *col,
								   Datum value, bool isnull);

/* actor.c: who acts, in what context (set_actor, audit) */
extern Name ormt_session_user_name(void);
extern bool ormt_actor_is_setting(void);
extern const char *ormt_actor_name(void);
extern Datum ormt_actor_text(void);
extern Datum ormt_context_jsonb(bool *isnull);

/* transition.c: statement triggers' transition tables */
extern void ormt_require_transition_tables(OrmtTriggerEntry *entry,
										   TriggerData *trigdata,
										   int16 old_events, int16 new_events);
extern TupleTableSlot *ormt_transition_reader(Tuplestorestate *ts,
											  TupleDesc tupdesc, int *ptr);
extern bool ormt_transition_next(Tuplestorestate *ts, int ptr,
								 TupleTableSlot *slot);
extern void ormt_transition_done(Tuplestorestate *ts, TupleTableSlot *slot);

typedef struct OrmtTransitionPairs
{
	Tuplestorestate *ts[2];		/* old, new; NULL where the event has none */
	TupleTableSlot *slot[2];
	int			ptr[2];
} OrmtTransitionPairs;

extern void ormt_transition_pairs_begin(OrmtTransitionPairs *p,
										TriggerData *trigdata);
extern bool ormt_transition_pairs_next(OrmtTransitionPairs *p,
									   HeapTuple *oldtup, HeapTuple *newtup);
extern void ormt_transition_pairs_end(OrmtTransitionPairs *p);

/*
 * stmt_batch.c: work row triggers keep until the end of their statement.
 * A feature declares one static OrmtStmtBatch with its name and callbacks,
 * registers it once, calls ormt_stmt_batch_begin() before keeping work
 * (in batch->cxt; false: do the work at once) and is called back:
 * flush() to do all the work kept (take it off first: an error must leave
 * nothing behind), forget() to drop it on (sub)transaction abort without
 * freeing.  When: see stmt_batch.c.
 */
typedef struct OrmtStmtBatch OrmtStmtBatch;

struct OrmtStmtBatch
{
	const char *name;			/* for messages, and cxt's identifier */
	void		(*flush) (OrmtStmtBatch *batch);
	void		(*forget) (OrmtStmtBatch *batch);
	/* kept by stmt_batch.c; read-only for the feature */
	bool		registered;
	bool		active;			/* holds work */
	SubTransactionId subxid;	/* made in this subtransaction */
	CommandId	cid;			/* by this command */
	MemoryContext cxt;			/* where the work is kept */
	OrmtStmtBatch *next;
};

extern void ormt_stmt_batch_init(void);
extern void ormt_stmt_batch_register(OrmtStmtBatch *batch);
extern bool ormt_stmt_batch_begin(OrmtStmtBatch *batch);
extern void ormt_stmt_batch_flush(OrmtStmtBatch *batch);

/* ---- end of audit and notify_change's shared machinery ---- */

/*
 * Every trigger function exports its spec and build callback, so that
 * registry.c can validate a trigger without firing it (at CREATE TRIGGER /
 * ALTER TABLE time, and in orm_triggers.check_triggers()).
 */
#define ORMT_DECLARE_TRIGGER_FUNCTION(fname) \
	extern const OrmtFuncSpec ormt_##fname##_spec; \
	extern void ormt_##fname##_build(OrmtTriggerEntry *entry, \
									 TriggerData *trigdata, \
									 const OrmtArgs *args)

ORMT_DECLARE_TRIGGER_FUNCTION(update_last_modified);
ORMT_DECLARE_TRIGGER_FUNCTION(set_created_at);
ORMT_DECLARE_TRIGGER_FUNCTION(protect_columns);
ORMT_DECLARE_TRIGGER_FUNCTION(set_actor);
ORMT_DECLARE_TRIGGER_FUNCTION(increment_version);
ORMT_DECLARE_TRIGGER_FUNCTION(soft_delete);
ORMT_DECLARE_TRIGGER_FUNCTION(notify_change);
ORMT_DECLARE_TRIGGER_FUNCTION(audit);

/* events as text (spec.c) */
extern char *ormt_events_text(int16 events, const char *sep);
extern const char *ormt_event_name(TriggerEvent event);
extern const char *ormt_first_event_name(int16 events);

/* registry.c: the spec of an orm_triggers function, NULL for another */
extern const OrmtFuncSpec *ormt_lookup_spec(Oid funcoid);

/*
 * counter_cache and touch_parent (counters.c, touch.c, parent_batch.c):
 * a child table's fk columns paired with its parent table's key, and
 * writes to parent rows applied in key order.
 */
typedef struct OrmtParentLink
{
	int			nkeys;
	AttrNumber	fkattnums[INDEX_MAX_KEYS];	/* in the table fired on */
	Oid			parent_relid;
	Oid			parent_owner;
	AttrNumber	keyattnums[INDEX_MAX_KEYS]; /* in the parent */
	Oid			keytypes[INDEX_MAX_KEYS];	/* base types, the parameters' */
	int16		keylen[INDEX_MAX_KEYS];
	bool		keybyval[INDEX_MAX_KEYS];
	Oid			keycollations[INDEX_MAX_KEYS];
	Oid			cmpproc[INDEX_MAX_KEYS];	/* btree order, for sorting */
} OrmtParentLink;

typedef enum OrmtApplyKind
{
	ORMT_APPLY_ADD_INT8,		/* counter += int8 delta */
	ORMT_APPLY_ADD_NUMERIC,		/* counter += numeric delta */
	ORMT_APPLY_TOUCH			/* column = transaction time, never backwards */
} OrmtApplyKind;

typedef enum OrmtBatchKind
{
	ORMT_BATCH_STATEMENT,		/* applied at the statement's end */
	ORMT_BATCH_COMMIT			/* applied once, before commit */
} OrmtBatchKind;

typedef struct OrmtParentTarget
{
	MemoryContext cxt;			/* owns this */
	Oid			tgoid;
	char	   *tgname;
	bool		retired;		/* replaced by a newer target of tgoid */
	OrmtParentLink link;
	OrmtApplyKind kind;
	Oid			valuetype;		/* type of the last plan parameter */
	int32		valuetypmod;	/* TOUCH: the column's precision, or -1 */
	NameData	valuecol;		/* TOUCH: the column's name */
	FmgrInfo	cmp[INDEX_MAX_KEYS];
	SPIPlanPtr	plan;			/* keys $1..$n, value $n+1 */
} OrmtParentTarget;

typedef struct ParentItem OrmtParentItem;

/* parent_batch.c */
extern void ormt_parent_batch_init(void);
extern OrmtParentTarget *ormt_parent_target_create(OrmtTriggerEntry *entry,
												   const OrmtParentLink *link,
												   OrmtApplyKind kind,
												   Oid valuetype,
												   const char *sql);
extern MemoryContext ormt_parent_batch_context(OrmtBatchKind kind);
extern OrmtParentItem *ormt_parent_item(MemoryContext cxt, OrmtParentTarget *t,
										const Datum *keys);
extern void ormt_parent_item_set_count(OrmtParentItem *it, int64 count);
extern void ormt_parent_item_set_sum(MemoryContext cxt, OrmtParentItem *it,
									 Datum sum);
extern void ormt_parent_keep(OrmtBatchKind kind, OrmtParentItem *it);
extern void ormt_parent_apply(OrmtParentItem **items, int n);
extern bool ormt_parent_touching(Relation rel, AttrNumber attnum);

/* parent_link.c: the fk/parent pairing both functions share */
extern char *ormt_parent_link_build(OrmtTriggerEntry *entry, Relation rel,
									const OrmtArgs *args, OrmtParentLink *link,
									Relation *parent);
extern AttrNumber ormt_parent_column(OrmtTriggerEntry *entry, Relation parent,
									 const char *optname, const char *colname);
extern bool ormt_parent_key_of(const OrmtParentLink *link, HeapTuple tuple,
							   TupleDesc tupdesc, Datum *keys);
extern void ormt_parent_key_where(StringInfo buf, const OrmtParentLink *link,
								  Relation parent, const char *alias);
extern void ormt_check_parent_events(OrmtTriggerEntry *entry, TriggerData *trigdata,
									 bool row_needs_all);
extern bool ormt_parent_keys_equal(const OrmtParentLink *link, const Datum *a,
								   const Datum *b);
extern char *ormt_eq_operator_text(Oid type);

ORMT_DECLARE_TRIGGER_FUNCTION(counter_cache);
ORMT_DECLARE_TRIGGER_FUNCTION(touch_parent);

/* versioning.c: versioning() and the orm_triggers.system_time setting */
ORMT_DECLARE_TRIGGER_FUNCTION(versioning);
extern void ormt_versioning_init(void);

/* versioning_time.c: the system time versioning uses */
extern void ormt_system_time_init(void);
extern TimestampTz ormt_system_time(void);

/* versioning_write.c: history rows without the executor */
extern void ormt_history_writer_init(void);
extern bool ormt_history_write(Oid relid, int n, const AttrNumber *dest,
							   const Datum *values, const char *nulls,
							   MemoryContext rowcxt);

/* trigger_cache.c: validate and build into a throwaway entry */
extern void ormt_validate(const OrmtFuncSpec *spec, OrmtBuildFunc build,
						  TriggerData *trigdata);

/* Shorthand for the first two lines of every trigger function. */
#define ORMT_ENTRY(spec, build) ormt_trigger_entry(fcinfo, &(spec), (build))

#endif							/* ORM_TRIGGERS_H */
