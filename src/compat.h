/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Every difference between the PostgreSQL major versions orm_triggers
 *		builds against (15 to 18), as macros.  Function bodies never test
 *		PG_VERSION_NUM themselves.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef ORMT_COMPAT_H
#define ORMT_COMPAT_H

#if PG_VERSION_NUM < 150000
#error "orm_triggers requires PostgreSQL 15 or later"
#endif

/*
 * A function that never returns, written before the declaration
 * ("extern ORMT_NORETURN void f(...)"): PostgreSQL 18 replaced the trailing
 * pg_attribute_noreturn() with a leading pg_noreturn; before 18 the GCC
 * attribute is accepted in front as well.
 */
#if PG_VERSION_NUM >= 180000
#define ORMT_NORETURN pg_noreturn
#else
#define ORMT_NORETURN pg_attribute_noreturn()
#endif

/*
 * ExecutorRun_hook: PostgreSQL 18 dropped execute_once.  A hook is declared
 * with ORMT_EXECUTOR_RUN_PARAMS and passes them on with
 * ORMT_EXECUTOR_RUN_ARGS.
 */
#if PG_VERSION_NUM >= 180000
#define ORMT_EXECUTOR_RUN_PARAMS \
	QueryDesc *queryDesc, ScanDirection direction, uint64 count
#define ORMT_EXECUTOR_RUN_ARGS \
	queryDesc, direction, count
#else
#define ORMT_EXECUTOR_RUN_PARAMS \
	QueryDesc *queryDesc, ScanDirection direction, uint64 count, \
	bool execute_once
#define ORMT_EXECUTOR_RUN_ARGS \
	queryDesc, direction, count, execute_once
#endif

/*
 * ProcessUtility_hook's parameters (unchanged from 15 to 18): a hook is
 * declared with ORMT_PROCESS_UTILITY_PARAMS and passes them on with
 * ORMT_PROCESS_UTILITY_ARGS, so a change in a later major stays here.
 */
#define ORMT_PROCESS_UTILITY_PARAMS \
	PlannedStmt *pstmt, const char *queryString, bool readOnlyTree, \
	ProcessUtilityContext context, ParamListInfo params, \
	QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc
#define ORMT_PROCESS_UTILITY_ARGS \
	pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc

/*
 * A possibly qualified SQL name as a list of String nodes: PostgreSQL 16
 * gave stringToQualifiedNameList a soft-error context.  NIL on bad syntax.
 */
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#define ormt_parse_qualified_name(s) \
	stringToQualifiedNameList((s), (Node *) &(ErrorSaveContext) {T_ErrorSaveContext})
#else
#define ormt_parse_qualified_name(s) stringToQualifiedNameList(s)
#endif

/*
 * Virtual generated columns (PostgreSQL 18, its default kind of generated
 * column) are computed when a query reads them, never for a trigger: a
 * trigger's tuples hold no value for them.  Before 18 there are none.
 */
#if PG_VERSION_NUM >= 180000
#define ormt_attr_is_virtual(att) \
	((att)->attgenerated == ATTRIBUTE_GENERATED_VIRTUAL)
#else
#define ormt_attr_is_virtual(att) false
#endif

/*
 * The identity sequence of a column: PostgreSQL 17 made getIdentitySequence
 * take the relation (a partition's identity is its parent's).  InvalidOid
 * when the column has none.
 */
#if PG_VERSION_NUM >= 170000
#define ormt_identity_sequence(rel, attnum) \
	getIdentitySequence((rel), (attnum), true)
#else
#define ormt_identity_sequence(rel, attnum) \
	getIdentitySequence(RelationGetRelid(rel), (attnum), true)
#endif

/*
 * ExecInsertIndexTuples for a new row (no UPDATE, no ON CONFLICT):
 * PostgreSQL 16 added onlySummarizing.
 */
#if PG_VERSION_NUM >= 160000
#define ormt_insert_index_tuples(rri, slot, estate) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, false, NULL, NIL, false)
#else
#define ormt_insert_index_tuples(rri, slot, estate) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, false, NULL, NIL)
#endif

/*
 * The backend's local transaction id: PostgreSQL 17 moved it into
 * MyProc->vxid.
 */
#if PG_VERSION_NUM >= 170000
#define ormt_my_lxid() (MyProc->vxid.lxid)
#else
#define ormt_my_lxid() (MyProc->lxid)
#endif

/*
 * An index access method that keeps state between inserts (BRIN's revmap
 * buffer pins, from PostgreSQL 17 on) until index_insert_cleanup(); the
 * executor calls that at the end of every statement.  Before 17 no access
 * method does.
 */
#if PG_VERSION_NUM >= 170000
#define ormt_index_keeps_insert_state(idx) ((idx)->rd_indam->aminsertcleanup != NULL)
#else
#define ormt_index_keeps_insert_state(idx) false
#endif

/*
 * The "extra" value of a setting's check hook: PostgreSQL 16 frees it with
 * guc_free(), so it must come from guc_malloc(); before 16 guc.c free()s it.
 */
#if PG_VERSION_NUM >= 160000
#define ormt_guc_extra_alloc(size) guc_malloc(LOG, (size))
#else
#define ormt_guc_extra_alloc(size) malloc(size)
#endif

/*
 * make_range: PostgreSQL 16 added a soft-error context (NULL: errors are
 * thrown).
 */
#if PG_VERSION_NUM >= 160000
#define ormt_make_range(tc, l, u, e) make_range((tc), (l), (u), (e), NULL)
#else
#define ormt_make_range(tc, l, u, e) make_range((tc), (l), (u), (e))
#endif

/*
 * PostgreSQL 16 moved the varlena macros to varatt.h (postgres.h still
 * includes it); nothing to do here, listed so the next reader need not look.
 */

#endif							/* ORMT_COMPAT_H */
