/*-------------------------------------------------------------------------
 *
 * actor.c
 *		Who is acting and in what context, as set_actor and audit record
 *		it: the session user's name, the actor (the setting
 *		orm_triggers.actor when it is set and not empty, else the session
 *		user), and the setting orm_triggers.context as jsonb.
 *
 * The session user's name is looked up once per session user and kept
 * until pg_authid changes: a syscache invalidation callback on AUTHOID
 * forgets it, so that ALTER ROLE ... RENAME in another session is seen by
 * the next statement of this one, by every function alike.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "orm_triggers.h"

static Oid	session_user_oid = InvalidOid;	/* InvalidOid: look it up */
static NameData session_user_name;

/* pg_authid changed (a role renamed, maybe ours): look the name up again. */
static void
session_user_inval(Datum arg, int cacheid, uint32 hashvalue)
{
	session_user_oid = InvalidOid;
}

/* The session user's name (static storage: copy it to keep it). */
Name
ormt_session_user_name(void)
{
	static bool callback_registered = false;
	Oid			userid = GetSessionUserId();

	if (!callback_registered)
	{
		CacheRegisterSyscacheCallback(AUTHOID, session_user_inval, (Datum) 0);
		callback_registered = true;
	}
	if (userid != session_user_oid)
	{
		char	   *name = GetUserNameFromId(userid, false);

		namestrcpy(&session_user_name, name);
		pfree(name);
		session_user_oid = userid;
	}
	Assert(OidIsValid(session_user_oid));
	return &session_user_name;
}

/* Is the actor the setting orm_triggers.actor (not the session user)? */
bool
ormt_actor_is_setting(void)
{
	return ormt_actor != NULL && ormt_actor[0] != '\0';
}

/* The actor's name: orm_triggers.actor when set, else the session user. */
const char *
ormt_actor_name(void)
{
	return ormt_actor_is_setting() ? ormt_actor :
		NameStr(*ormt_session_user_name());
}

/*
 * The actor as a text Datum.  The text of the last actor is kept, so rows
 * after the first of a statement (or of a request that sets it once) build
 * nothing.  Valid until the next call.
 */
Datum
ormt_actor_text(void)
{
	static char *last_actor = NULL;
	static text *last_text = NULL;
	const char *actor = ormt_actor_name();

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
 * and its value are kept, so a request that sets it once pays once.  Valid
 * until the next call.
 */
Datum
ormt_context_jsonb(bool *isnull)
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
