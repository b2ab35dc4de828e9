/*-------------------------------------------------------------------------
 *
 * tuple.c
 *		Row helpers for BEFORE ROW triggers: a copy of a row with some
 *		columns replaced (ormt_modify_tuple), and whether two values of a
 *		column are the same (ormt_datum_equal).
 *
 * Neither uses SPI or the catalogs; both run once per row.  Where the code
 * mirrors PostgreSQL's own (heap_deform_tuple's walk over the attributes,
 * heap_modify_tuple_by_cols, datum_image_eq) it says so.
 *
 * Copyright (c) 2026, orm_triggers developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "access/tupmacs.h"

#include "orm_triggers.h"

/*
 * Where the value of attribute attnum starts in the data of tuple, or NULL
 * when it is NULL or missing (added to the table after the tuple was
 * written).
 *
 * Mirrors core: the loop is heap_deform_tuple's walk over the attributes
 * (src/backend/access/common/heaptuple.c, without its attcacheoff fast
 * path), stopped at attnum.
 */
static char *
attribute_pointer(HeapTuple tuple, TupleDesc tupdesc, int attnum)
{
	HeapTupleHeader td = tuple->t_data;
	bool		hasnulls = HeapTupleHasNulls(tuple);
	bits8	   *bp = td->t_bits;
	char	   *tp = (char *) td + td->t_hoff;
	uint32		off = 0;

	Assert(attnum > 0 && attnum <= tupdesc->natts);
	if (attnum > HeapTupleHeaderGetNatts(td) ||
		(hasnulls && att_isnull(attnum - 1, bp)))
		return NULL;
	for (int i = 0; i < attnum; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (hasnulls && att_isnull(i, bp))
			continue;
		if (att->attlen == -1)
			off = att_align_pointer(off, att->attalign, -1, tp + off);
		else
			off = att_align_nominal(off, att->attalign);
		if (i == attnum - 1)
			return tp + off;
		off = att_addlength_pointer(off, att->attlen, tp + off);
	}
	return NULL;				/* not reached */
}

/* Replacements the fast path of ormt_modify_tuple takes at most. */
#define ORMT_INPLACE_MAX 8

/*
 * A copy of tuple with n columns replaced, for a BEFORE trigger to return
 * (the stamps, increment_version).  When every replacement is a non-NULL
 * pass-by-value value going where the tuple already holds a non-NULL one
 * (a timestamp over a timestamp, a version over a version: the usual case),
 * the layout does not change, and the copy is the tuple's bytes with those
 * values written over; otherwise heap_modify_tuple_by_cols deforms and
 * forms the whole row.
 *
 * Mirrors core: the fast path gives the bytes heap_modify_tuple_by_cols
 * would form (same header, same null bitmap, each value stored with
 * store_att_byval at the offset heap_fill_tuple gives it), since none of
 * the replaced values changes size, alignment or nullness.
 */
HeapTuple
ormt_modify_tuple(HeapTuple tuple, TupleDesc tupdesc, int n, const int *attnums,
				  const Datum *values, const bool *nulls)
{
	char	   *where[ORMT_INPLACE_MAX];
	int			i;

	Assert(n >= 0);
	for (i = 0; i < n && i < ORMT_INPLACE_MAX; i++)
	{
		Form_pg_attribute att;

		Assert(attnums[i] > 0 && attnums[i] <= tupdesc->natts);
		att = TupleDescAttr(tupdesc, attnums[i] - 1);
		Assert(!att->attisdropped);

		if (nulls[i] || !att->attbyval || att->attlen <= 0 ||
			(where[i] = attribute_pointer(tuple, tupdesc, attnums[i])) == NULL)
			break;
	}
	if (i == n)
	{
		HeapTuple	copy = heap_copytuple(tuple);

		for (i = 0; i < n; i++)
			store_att_byval((char *) copy->t_data + (where[i] - (char *) tuple->t_data),
							values[i], TupleDescAttr(tupdesc, attnums[i] - 1)->attlen);
		return copy;
	}
	return heap_modify_tuple_by_cols(tuple, tupdesc, n, (int *) attnums,
									 (Datum *) values, (bool *) nulls);
}

/*
 * Are two values of one type the same?  Compares stored images, so it needs
 * no equality operator (json has none) and treats 1.0 and 1.00 as different,
 * as a reader of the row would.  Varlena values are compared byte for byte
 * first (an unchanged TOASTed column carries the same pointer in the old and
 * new row, so no detoasting is needed); only when the images differ are
 * they detoasted and compared by content.
 *
 * Mirrors core: datum_image_eq (src/backend/utils/adt/datum.c), with the
 * identical-image shortcut tried before detoasting.
 */
bool
ormt_datum_equal(Datum a, bool anull, Datum b, bool bnull,
				 int16 typlen, bool typbyval)
{
	if (anull || bnull)
		return anull == bnull;
	if (typbyval)
		return a == b;
	if (typlen == -1)
	{
		struct varlena *va = (struct varlena *) DatumGetPointer(a);
		struct varlena *vb = (struct varlena *) DatumGetPointer(b);
		Size		la = VARSIZE_ANY(va);
		bool		result;

		if (la == VARSIZE_ANY(vb) && memcmp(va, vb, la) == 0)
			return true;
		if (toast_raw_datum_size(a) != toast_raw_datum_size(b))
			return false;
		va = pg_detoast_datum_packed(va);
		vb = pg_detoast_datum_packed(vb);
		result = VARSIZE_ANY_EXHDR(va) == VARSIZE_ANY_EXHDR(vb) &&
			memcmp(VARDATA_ANY(va), VARDATA_ANY(vb), VARSIZE_ANY_EXHDR(va)) == 0;
		if ((Pointer) va != DatumGetPointer(a))
			pfree(va);
		if ((Pointer) vb != DatumGetPointer(b))
			pfree(vb);
		return result;
	}
	Assert(typlen > 0 || typlen == -2);
	if (typlen == -2)
		return strcmp(DatumGetCString(a), DatumGetCString(b)) == 0;
	return memcmp(DatumGetPointer(a), DatumGetPointer(b), typlen) == 0;
}
