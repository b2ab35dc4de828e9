/*-------------------------------------------------------------------------
 *
 * orm_triggers.c
 *		Module initialisation: the extension's settings.
 *
 *	orm_triggers.actor		who is acting, as the application asserts it
 *							(SET LOCAL orm_triggers.actor = '42'); empty means
 *							"use the session user"
 *	orm_triggers.context	application context for the audit log, as JSON
 *	orm_triggers.hard_delete	on: soft_delete triggers let DELETEs through
 *	orm_triggers.validate_ddl	off: the DDL event trigger does not check
 *							orm_triggers triggers (read by validate_ddl())
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "orm_triggers.h"

PG_MODULE_MAGIC;

char	   *ormt_actor = NULL;
char	   *ormt_context = NULL;
bool		ormt_hard_delete = false;
bool		ormt_validate_ddl = true;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomStringVariable("orm_triggers.actor",
							   "The acting application user, recorded by set_actor and audit.",
							   "An assertion by the client, not authentication: the session user is always recorded as well. Empty means the session user.",
							   &ormt_actor,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("orm_triggers.context",
							   "Application context (a JSON value) recorded with each audit log row.",
							   NULL,
							   &ormt_context,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);
	DefineCustomBoolVariable("orm_triggers.hard_delete",
							 "Makes DELETE remove rows even from tables with a soft_delete trigger.",
							 NULL,
							 &ormt_hard_delete,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("orm_triggers.validate_ddl",
							 "Checks orm_triggers triggers at CREATE TRIGGER and ALTER TABLE time.",
							 NULL,
							 &ormt_validate_ddl,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	ormt_versioning_init();
	MarkGUCPrefixReserved("orm_triggers");
	ormt_soft_delete_init();
	ormt_stmt_batch_init();
	ormt_audit_init();
	ormt_parent_batch_init();
}
