/*-------------------------------------------------------------------------
 *
 * trigger_cache.c
 *		Per-trigger resolved state: a hash table keyed by trigger OID, its
 *		relcache invalidation callback, the (re)build on lookup, and the
 *		saved SPI plans entries own.
 *
 * A trigger's arguments are parsed, its columns and types resolved and its
 * SPI plans prepared once, on its first fire in a backend (spec.c checks
 * and parses, the feature's build callback resolves).  The result is kept
 * in a hash table keyed by the trigger's OID, in the long-lived memory
 * context "orm_triggers trigger cache", each entry's state in a child
 * context of its own.  A relcache invalidation of the trigger's table
 * (ALTER TABLE, CREATE OR REPLACE TRIGGER, ALTER TRIGGER, DROP TRIGGER) or
 * of any relation the entry registered as a dependency marks the entry
 * stale; the next fire rebuilds it, freeing the old state and plans first.
 * The callback only marks: nothing is freed or looked up there.
 *
 * Entries of dropped triggers: stale entries are candidates.  The next
 * lookup that has to build looks each candidate's trigger up in pg_trigger
 * and flags those that are gone; the flagged entries are freed and removed
 * at the end of the transaction (nothing of theirs can be running then:
 * a trigger can be dropped while its own function is on the stack).
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "orm_triggers.h"

static HTAB *ormt_cache = NULL;
static MemoryContext ormt_cache_cxt = NULL;

/* Some entry was marked stale since the last sweep: its trigger may be gone. */
static bool sweep_pending = false;

/* Some entry is flagged dropped: free it at the end of the transaction. */
static bool free_pending = false;

/*
 * Relcache invalidation: mark every entry that depends on relid stale.
 * InvalidOid means "all relations".  Runs while invalidation messages are
 * processed, so it must not fail, allocate or touch the catalogs.
 */
static void
ormt_relcache_callback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	OrmtTriggerEntry *entry;

	hash_seq_init(&status, ormt_cache);
	while ((entry = (OrmtTriggerEntry *) hash_seq_search(&status)) != NULL)
	{
		bool		match = (relid == InvalidOid || entry->relid == relid);

		for (int i = 0; !match && i < entry->ndeps; i++)
			match = (entry->deps[i] == relid);
		if (match)
		{
			/* also while it is being rebuilt: see ormt_trigger_entry */
			entry->valid = false;
			entry->invalidations++;
			sweep_pending = true;
		}
	}
}

/* Free what an entry owns and leave it empty and invalid. */
static void
entry_release(OrmtTriggerEntry *entry)
{
	entry->valid = false;
	for (int i = 0; i < entry->nplans; i++)
		SPI_freeplan(entry->plans[i]);
	entry->nplans = 0;
	entry->ndeps = 0;
	entry->data = NULL;
	entry->tgname = NULL;
	entry->relname = NULL;
	entry->nspname = NULL;
	if (entry->cxt != NULL)
		MemoryContextDelete(entry->cxt);
	entry->cxt = NULL;
}

/*
 * Flag the stale entries whose trigger no longer exists, except keep (the
 * trigger being looked up).  Catalog lookups here accept invalidations,
 * which only mark entries, so the candidates are collected first.
 */
static void
sweep_dropped(Oid keep)
{
	HASH_SEQ_STATUS status;
	OrmtTriggerEntry *entry;
	List	   *candidates = NIL;
	ListCell   *lc;

	if (!sweep_pending)
		return;
	sweep_pending = false;

	hash_seq_init(&status, ormt_cache);
	while ((entry = (OrmtTriggerEntry *) hash_seq_search(&status)) != NULL)
	{
		if (!entry->valid && !entry->dropped && entry->tgoid != keep)
			candidates = lappend_oid(candidates, entry->tgoid);
	}
	foreach(lc, candidates)
	{
		Oid			tgoid = lfirst_oid(lc);
		HeapTuple	tup = ormt_fetch_trigger(tgoid);

		if (HeapTupleIsValid(tup))
		{
			heap_freetuple(tup);
			continue;
		}
		entry = (OrmtTriggerEntry *) hash_search(ormt_cache, &tgoid, HASH_FIND, NULL);
		if (entry != NULL && !entry->valid)
		{
			entry->dropped = true;
			free_pending = true;
		}
	}
	list_free(candidates);
}

/*
 * At commit, free and remove the entries flagged dropped.  No trigger
 * function runs at this point, and nothing here can fail.  After an abort
 * they wait for the next commit (the trigger may be back, its DROP rolled
 * back: then a fire rebuilds the entry first, which clears the flag).
 */
static void
ormt_cache_xact_callback(XactEvent event, void *arg)
{
	HASH_SEQ_STATUS status;
	OrmtTriggerEntry *entry;

	if (!free_pending || event != XACT_EVENT_COMMIT)
		return;
	free_pending = false;
	hash_seq_init(&status, ormt_cache);
	while ((entry = (OrmtTriggerEntry *) hash_seq_search(&status)) != NULL)
	{
		if (!entry->dropped)
			continue;
		Assert(!entry->valid);
		entry_release(entry);
		/* removing the element just returned is allowed during a scan */
		if (hash_search(ormt_cache, &entry->tgoid, HASH_REMOVE, NULL) == NULL)
			elog(WARNING, "orm_triggers: trigger cache corrupted");
	}
}

void
ormt_cache_init(void)
{
	HASHCTL		ctl;

	if (ormt_cache != NULL)
		return;

	ormt_cache_cxt = AllocSetContextCreate(TopMemoryContext,
										   "orm_triggers trigger cache",
										   ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(OrmtTriggerEntry);
	ctl.hcxt = ormt_cache_cxt;
	ormt_cache = hash_create("orm_triggers trigger cache", 64, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(ormt_relcache_callback, (Datum) 0);
	RegisterXactCallback(ormt_cache_xact_callback, NULL);
}

/*
 * Validate the trigger and resolve its arguments into entry, allocating in
 * the current memory context.  Messages name the table the trigger was
 * created on (for the clone of a partitioned table's trigger, that table),
 * so the entry follows that table's invalidations too (a rename).
 */
static void
build_entry(OrmtTriggerEntry *entry, const OrmtFuncSpec *spec,
			OrmtBuildFunc build, TriggerData *trigdata)
{
	Relation	rel = trigdata->tg_relation;
	Oid			table;
	OrmtArgs	args;

	Assert(spec != NULL && spec->name != NULL);
	Assert(spec->timing == TRIGGER_TYPE_BEFORE || spec->timing == TRIGGER_TYPE_AFTER);
	Assert(spec->row_ok || spec->statement_ok);
	Assert(spec->max_columns < 0 || spec->max_columns >= spec->min_columns);

	entry->spec = spec;
	entry->relid = RelationGetRelid(rel);
	entry->tgname = pstrdup(trigdata->tg_trigger->tgname);
	table = ormt_trigger_table(rel, trigdata->tg_trigger->tgoid);
	if (table == entry->relid)
	{
		entry->relname = pstrdup(RelationGetRelationName(rel));
		entry->nspname = get_namespace_name(RelationGetNamespace(rel));
		if (entry->nspname == NULL)
			elog(ERROR, "cache lookup failed for namespace %u",
				 RelationGetNamespace(rel));
	}
	else
	{
		ormt_relation_names(table, &entry->nspname, &entry->relname);
		ormt_cache_add_dependency(entry, table);
	}

	ormt_check_firing_context(entry, trigdata);
	ormt_parse_args(entry, trigdata, &args);
	Assert(args.ncolumns >= spec->min_columns);
	if (build)
		build(entry, trigdata, &args);
}

/*
 * Check a trigger as its first fire would, without firing it and without
 * touching the cache: everything is built into a throwaway entry.  Raises
 * the same errors.
 */
void
ormt_validate(const OrmtFuncSpec *spec, OrmtBuildFunc build,
			  TriggerData *trigdata)
{
	/* allocated before PG_TRY and not reassigned: no volatile needed */
	OrmtTriggerEntry *entry = palloc0(sizeof(OrmtTriggerEntry));
	MemoryContext cxt;
	MemoryContext oldcxt;

	entry->tgoid = trigdata->tg_trigger->tgoid;
	cxt = AllocSetContextCreate(CurrentMemoryContext,
								"orm_triggers validation",
								ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		build_entry(entry, spec, build, trigdata);
	}
	PG_FINALLY();
	{
		/* saved plans live outside cxt: free them, also after an error */
		for (int i = 0; i < entry->nplans; i++)
			SPI_freeplan(entry->plans[i]);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
	pfree(entry);
}

/*
 * Return the cache entry of the trigger being fired, building it on first
 * use and after invalidation.  The entry pointer is also kept in fn_extra,
 * so within one statement the per-row cost is a few comparisons.  fn_extra
 * lives no longer than the query, and entries are freed only at commit,
 * so the pointer cannot outlive its entry.
 */
OrmtTriggerEntry *
ormt_trigger_entry(FunctionCallInfo fcinfo, const OrmtFuncSpec *spec,
				   OrmtBuildFunc build)
{
	TriggerData *trigdata;
	OrmtTriggerEntry *entry;
	Oid			tgoid;
	bool		found;
	MemoryContext buildcxt;
	MemoryContext oldcxt;
	uint32		invalidations;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"orm_triggers.%s\" was not called by trigger manager",
						spec->name),
				 errhint("Attach it with CREATE TRIGGER ... EXECUTE FUNCTION orm_triggers.%s(...).",
						 spec->name)));

	trigdata = (TriggerData *) fcinfo->context;
	tgoid = trigdata->tg_trigger->tgoid;

	entry = (OrmtTriggerEntry *) fcinfo->flinfo->fn_extra;
	if (likely(entry != NULL && entry->valid && entry->tgoid == tgoid &&
			   entry->spec == spec))
	{
		Assert(entry->cxt != NULL && entry->tgname != NULL && !entry->dropped);
		return entry;
	}

	ormt_cache_init();
	sweep_dropped(tgoid);
	entry = (OrmtTriggerEntry *) hash_search(ormt_cache, &tgoid, HASH_ENTER, &found);
	if (!found)
	{
		entry->valid = false;
		entry->dropped = false;
		entry->invalidations = 0;
		entry->spec = NULL;
		entry->relid = InvalidOid;
		entry->ndeps = 0;
		entry->nplans = 0;
		entry->cxt = NULL;
		entry->tgname = NULL;
		entry->relname = NULL;
		entry->nspname = NULL;
		entry->data = NULL;
	}
	Assert(entry->tgoid == tgoid);
	if (entry->valid && entry->spec == spec)
	{
		Assert(entry->cxt != NULL && !entry->dropped);
		fcinfo->flinfo->fn_extra = entry;
		return entry;
	}

	/*
	 * (Re)build.  Forget the old state first, so that if anything below
	 * fails the entry is left invalid and empty, never half-built.
	 */
	entry_release(entry);
	entry->dropped = false;

	/*
	 * Build in a context under the current (transaction-lifetime) one: an
	 * error frees it with the transaction.  Only on success is it moved under
	 * the long-lived cache context.
	 */
	buildcxt = AllocSetContextCreate(CurrentMemoryContext,
									 "orm_triggers trigger entry",
									 ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(buildcxt);

	invalidations = entry->invalidations;
	build_entry(entry, spec, build, trigdata);
	MemoryContextSetIdentifier(buildcxt, entry->tgname);

	MemoryContextSwitchTo(oldcxt);
	MemoryContextSetParent(buildcxt, ormt_cache_cxt);
	entry->cxt = buildcxt;

	/*
	 * Catalog lookups during the build accept invalidation messages.  One
	 * that concerned this entry may have come after part of it was read:
	 * use what was built for this call, and rebuild at the next.
	 */
	entry->valid = (entry->invalidations == invalidations);
	fcinfo->flinfo->fn_extra = entry;
	return entry;
}

/* Rebuild the entry when relid is invalidated too (a target table, say). */
void
ormt_cache_add_dependency(OrmtTriggerEntry *entry, Oid relid)
{
	Assert(OidIsValid(relid));
	if (relid == entry->relid)
		return;
	for (int i = 0; i < entry->ndeps; i++)
		if (entry->deps[i] == relid)
			return;
	if (entry->ndeps >= ORMT_MAX_DEPENDENCIES)
		elog(ERROR, "orm_triggers: too many dependencies for trigger \"%s\"",
			 entry->tgname);
	entry->deps[entry->ndeps++] = relid;
}

/* Take ownership of a plan: SPI_keepplan it, free it on rebuild. */
void
ormt_cache_keep_plan(OrmtTriggerEntry *entry, SPIPlanPtr plan)
{
	if (entry->nplans >= ORMT_MAX_PLANS)
		elog(ERROR, "orm_triggers: too many plans for trigger \"%s\"",
			 entry->tgname);
	Assert(plan != NULL);
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	entry->plans[entry->nplans++] = plan;
}

/*
 * Prepare sql in its own SPI connection and keep the plan in the entry
 * (freed on rebuild).  For build callbacks.
 */
SPIPlanPtr
ormt_cache_prepare(OrmtTriggerEntry *entry, const char *sql, int nargs,
				   Oid *argtypes, int cursor_options)
{
	SPIPlanPtr	plan;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare_cursor(sql, nargs, argtypes, cursor_options);
	if (plan == NULL)
		elog(ERROR, "orm_triggers: could not prepare \"%s\" for trigger \"%s\": %s",
			 sql, entry->tgname, SPI_result_code_string(SPI_result));
	ormt_cache_keep_plan(entry, plan);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	return plan;
}
