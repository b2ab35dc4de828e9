/*-------------------------------------------------------------------------
 *
 * versioning.h
 *		What versioning's build (versioning_build.c) resolves once per trigger
 *		and its per-row code (versioning.c) uses.  Private to those files.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef ORMT_VERSIONING_H
#define ORMT_VERSIONING_H

#include "utils/typcache.h"

#include "orm_triggers.h"

typedef struct VersioningState
{
	bool		truncate_form;	/* BEFORE TRUNCATE FOR EACH STATEMENT */
	bool		range;			/* period is a range column */
	bool		with_tz;		/* timestamptz (tstzrange) or timestamp */
	AttrNumber	period;			/* range: the column */
	AttrNumber	start;			/* start=/end= columns */
	AttrNumber	end;
	TypeCacheEntry *typcache;	/* range: the range type */
	bool		adjust;
	bool		always;
	int			ncompare;		/* columns whose change makes a version */
	AttrNumber *compare;
	Oid			histrelid;
	Oid			histowner;
	int			nparams;		/* INSERT parameters: copied columns */
	AttrNumber *param_src;		/* base attnum of each */
	int			period_param;	/* parameter of the period (range) */
	int			start_param;	/* or of start and end */
	int			end_param;
	SPIPlanPtr	plan;
	/* the write without the executor, when history allows it */
	bool		direct;
	AttrNumber *param_dest;		/* history attnum of each parameter */
	int32	   *param_typmod;	/* typmod of the base column */
	MemoryContext write_cxt;	/* reset after each write */
	Oid			rootid;			/* partition root */
	char	   *tablename;		/* partition root, for messages */
	char	   *histname;		/* schema.table, for messages */
	/* T as the column's type, for one transaction start and system time */
	bool		have_now;
	TimestampTz now_for;
	pg_tz	   *now_tz;
	int64		now;
} VersioningState;

#endif							/* ORMT_VERSIONING_H */
