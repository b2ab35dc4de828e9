/*-------------------------------------------------------------------------
 *
 * audit.h
 *		Declarations shared by the files of orm_triggers.audit: the trigger
 *		(audit.c), the log writer (audit_log.c), its heap-and-index insert
 *		path (audit_heap.c) and the rows that wait for the end of their
 *		statement (audit_batch.c).
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef ORMT_AUDIT_H
#define ORMT_AUDIT_H

#include "orm_triggers.h"

/*
 * The values of one log entry, by name: the INSERT's parameters in this
 * order (id, taken from the log's identity sequence, comes apart).  The
 * first AUDIT_P_KEY are the same for every row of a statement; the rest
 * differ per row.  audit_log.c describes each (column name, type).
 */
typedef enum AuditParam
{
	AUDIT_P_TXID,
	AUDIT_P_TX_TIME,
	AUDIT_P_LOGGED_AT,
	AUDIT_P_ACTOR,
	AUDIT_P_SESSION_USER,
	AUDIT_P_CONTEXT,
	AUDIT_P_TABLE,				/* table_oid: a regclass */
	AUDIT_P_SCHEMA_NAME,
	AUDIT_P_TABLE_NAME,
	AUDIT_P_OP,
	/* per row: */
	AUDIT_P_KEY,
	AUDIT_P_OLD_VALUES,
	AUDIT_P_NEW_VALUES,
	AUDIT_P_KEY_HASH,
	AUDIT_P_OLD_KEY_HASH,
	AUDIT_NPARAMS
} AuditParam;

#define AUDIT_FIRST_PER_ROW AUDIT_P_KEY
#define AUDIT_NPER_ROW (AUDIT_NPARAMS - AUDIT_FIRST_PER_ROW)

/* One log entry's values (id apart). */
typedef struct AuditRow
{
	Datum		values[AUDIT_NPARAMS];
	bool		nulls[AUDIT_NPARAMS];
} AuditRow;

/* What a write needs to know of the log; copied into rows that wait. */
typedef struct AuditTarget
{
	Oid			log_relid;
	Oid			log_owner;
	Oid			seq_relid;		/* the identity sequence of id */
	bool		direct;			/* written by audit_heap.c, not SPI */
	int			log_natts;		/* attributes of the log, dropped ones too */
	AttrNumber	id_attnum;
	AttrNumber	attnum[AUDIT_NPARAMS];	/* where each parameter goes */
} AuditTarget;

/*
 * Rows handed to a write: row r's values, and its id (0: take one from the
 * sequence).
 */
typedef void (*AuditRowFn) (void *arg, int r, AuditRow *row, int64 *id);

/* audit_log.c */
extern Oid	ormt_audit_log_target(OrmtTriggerEntry *entry, Relation rel,
								  AuditTarget *target);
extern bool ormt_audit_target_equal(const AuditTarget *a, const AuditTarget *b);
extern void ormt_audit_log_common(AuditRow *row, Oid table, Name schema_name,
								  Name table_name, TriggerEvent event);
extern SPIPlanPtr ormt_audit_log_prepare(OrmtTriggerEntry *entry, bool arrays);
extern void ormt_audit_log_write_row(const AuditTarget *t, SPIPlanPtr plan,
									 const AuditRow *row, bool direct);
extern void ormt_audit_log_write_arrays(const AuditTarget *t, SPIPlanPtr plan,
										AuditRow *common, int n,
										Datum **arr, bool **arrnull,
										MemoryContext cxt);
extern void ormt_audit_log_write_kept(const AuditTarget *t, int n,
									  const Datum *values, const bool *nulls,
									  const int64 *ids, CommandId cid);
extern void ormt_audit_param_copy(AuditParam p, Datum value, Datum *copy,
								  Size *bytes);
extern bool ormt_audit_param_equal(AuditParam p, Datum a, Datum b);

/* audit_heap.c: the write without SPI */
extern bool ormt_audit_heap_insert(const AuditTarget *t, int n,
								   AuditRowFn getrow, void *arg, CommandId cid);
extern bool ormt_audit_heap_usable(Relation rel, AuditTarget *t);

/* audit_batch.c */
extern bool ormt_audit_keep(const AuditTarget *t, const AuditRow *row);

#endif							/* ORMT_AUDIT_H */
