/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Every difference between the PostgreSQL major versions orm_triggers
 *		builds against (13 to 18), as macros.  Function bodies never test
 *		PG_VERSION_NUM themselves.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef ORMT_COMPAT_H
#define ORMT_COMPAT_H

#if PG_VERSION_NUM < 130000
#error "orm_triggers requires PostgreSQL 13 or later"
#endif

/*
 * Reserving the "orm_triggers." prefix for our settings: PostgreSQL 15
 * renamed EmitWarningsOnPlaceholders and made it reject unknown names.
 */
#if PG_VERSION_NUM >= 150000
#define ormt_reserve_guc_prefix(prefix) MarkGUCPrefixReserved(prefix)
#else
#define ormt_reserve_guc_prefix(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/*
 * MERGE (PostgreSQL 15) keeps a list of actions per result relation; before
 * it there is no MERGE, so no actions.
 */
#if PG_VERSION_NUM >= 150000
#define ormt_merge_actions(mt, i) \
	((mt)->operation == CMD_MERGE ? (List *) list_nth((mt)->mergeActionLists, (i)) : NIL)
#define ormt_merge_action_type(lc) (((MergeAction *) lfirst(lc))->commandType)
#else
#define ormt_merge_actions(mt, i) NIL
#define ormt_merge_action_type(lc) CMD_UNKNOWN
#endif

/*
 * ProcessUtility_hook: PostgreSQL 14 added readOnlyTree.  A hook is
 * declared with ORMT_PROCESS_UTILITY_PARAMS and passes them on with
 * ORMT_PROCESS_UTILITY_ARGS.
 */
#if PG_VERSION_NUM >= 140000
#define ORMT_PROCESS_UTILITY_PARAMS \
	PlannedStmt *pstmt, const char *queryString, bool readOnlyTree, \
	ProcessUtilityContext context, ParamListInfo params, \
	QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc
#define ORMT_PROCESS_UTILITY_ARGS \
	pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc
#else
#define ORMT_PROCESS_UTILITY_PARAMS \
	PlannedStmt *pstmt, const char *queryString, \
	ProcessUtilityContext context, ParamListInfo params, \
	QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc
#define ORMT_PROCESS_UTILITY_ARGS \
	pstmt, queryString, context, params, queryEnv, dest, qc
#endif

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
 * A function that does not return: PostgreSQL 18 replaced
 * pg_attribute_noreturn(), written after the declarator, with pg_noreturn,
 * written before the declaration.  Write ORMT_NORETURN before it.
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
#define ORMT_EXECUTOR_RUN_ARGS queryDesc, direction, count
#else
#define ORMT_EXECUTOR_RUN_PARAMS \
	QueryDesc *queryDesc, ScanDirection direction, uint64 count, bool execute_once
#define ORMT_EXECUTOR_RUN_ARGS queryDesc, direction, count, execute_once
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
