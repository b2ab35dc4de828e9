/*-------------------------------------------------------------------------
 *
 * versioning_time.c
 *		The system time of versioning triggers: the setting
 *		orm_triggers.system_time and orm_triggers.set_system_time().
 *
 * set_system_time() sets the setting at session level (SET, not SET
 * LOCAL), so it lasts after the transaction commits and a rollback of the
 * transaction or savepoint that set it undoes it, as any SET.  Its text is
 * a UTC ISO timestamp, read back the same whatever DateStyle and TimeZone;
 * the check hook parses it once, into the setting's extra value.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "orm_triggers.h"

PG_FUNCTION_INFO_V1(ormt_set_system_time);

/* ------------------------------------------------------------------------
 * orm_triggers.system_time
 * ------------------------------------------------------------------------
 */
static char *system_time_text = NULL;
static bool system_time_set = false;
static TimestampTz system_time_value = 0;

static bool
system_time_check(char **newval, void **extra, GucSource source)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	TimestampTz ts = 0;
	bool		ok = true;
	TimestampTz *result;

	if (*newval == NULL || (*newval)[0] == '\0')
	{
		*extra = NULL;
		return true;
	}
	PG_TRY();
	{
		ts = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
													 CStringGetDatum(*newval),
													 ObjectIdGetDatum(InvalidOid),
													 Int32GetDatum(-1)));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		FlushErrorState();
		ok = false;
	}
	PG_END_TRY();
	if (!ok || TIMESTAMP_NOT_FINITE(ts))
	{
		GUC_check_errdetail("orm_triggers.system_time must be a finite timestamp with time zone, or empty.");
		return false;
	}
	result = (TimestampTz *) ormt_guc_extra_alloc(sizeof(TimestampTz));
	if (result == NULL)
		return false;
	*result = ts;
	*extra = result;
	return true;
}

static void
system_time_assign(const char *newval, void *extra)
{
	system_time_set = (extra != NULL);
	system_time_value = extra ? *(TimestampTz *) extra : 0;
}

void
ormt_system_time_init(void)
{
	DefineCustomStringVariable("orm_triggers.system_time",
							   "The system time versioning triggers use instead of the transaction start time.",
							   "Set with orm_triggers.set_system_time(); empty means the transaction start time.",
							   &system_time_text,
							   "",
							   PGC_USERSET,
							   GUC_NOT_IN_SAMPLE,
							   system_time_check, system_time_assign, NULL);
}

/* T: the time set, or the start of the transaction. */
TimestampTz
ormt_system_time(void)
{
	return system_time_set ? system_time_value : GetCurrentTransactionStartTimestamp();
}

/*
 * orm_triggers.set_system_time(timestamptz) -> void
 *
 * Makes versioning triggers use ts as the system time for the rest of the
 * session; NULL goes back to the transaction start time.  A session
 * setting: undone by a rollback of the transaction or savepoint that set it.
 */
Datum
ormt_set_system_time(PG_FUNCTION_ARGS)
{
	const char *value = "";

	if (!PG_ARGISNULL(0))
	{
		TimestampTz ts = PG_GETARG_TIMESTAMPTZ(0);
		struct pg_tm tm;
		fsec_t		fsec;
		char		buf[MAXDATELEN + 1];

		if (TIMESTAMP_NOT_FINITE(ts))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("system time must be finite"),
					 errhint("Pass a finite timestamp, or NULL to use the transaction start time again.")));
		/* in UTC and ISO form: read back the same whatever DateStyle */
		if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("timestamp out of range")));
		tm.tm_isdst = 0;		/* UTC: print its offset */
		EncodeDateTime(&tm, fsec, true, 0, NULL, USE_ISO_DATES, buf);
		value = pstrdup(buf);
	}
	(void) set_config_option("orm_triggers.system_time", value,
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SET,
							 true, 0, false);
	PG_RETURN_VOID();
}
