/*-------------------------------------------------------------------------
 *
 * canon.h
 *		Canonical row bytes (format version 1, docs/canonical-format.md).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_CANON_H
#define LEDGER_CANON_H

#include "access/tupdesc.h"
#include "lib/stringinfo.h"
#include "utils/array.h"

/*
 * Row formats (docs/canonical-format.md).  A ledger's rows use the format
 * recorded for it in ledger.ledgers.format_version: 1 for ledgers made by
 * 0.1.0, 2 (the row's transaction and sequence number bound in its bytes)
 * for ledgers made since.
 */
#define CANON_ROW_FORMAT_1 1
#define CANON_ROW_FORMAT_2 2
#define CANON_ROW_FORMAT_CURRENT CANON_ROW_FORMAT_2

/* Names of the columns a ledger adds to its table; never hashed. */
#define LEDGER_COL_XACT "ledger_xact"
#define LEDGER_COL_SEQ	"ledger_seq"
#define LEDGER_COL_HASH "ledger_hash"

/* Stable type tags: part of the format, never renumbered. */
typedef enum CanonTag
{
	CANON_TAG_BOOL = 1,
	CANON_TAG_INT2 = 2,
	CANON_TAG_INT4 = 3,
	CANON_TAG_INT8 = 4,
	CANON_TAG_FLOAT4 = 5,
	CANON_TAG_FLOAT8 = 6,
	CANON_TAG_NUMERIC = 7,
	CANON_TAG_TEXT = 8,
	CANON_TAG_VARCHAR = 9,
	CANON_TAG_BPCHAR = 10,
	CANON_TAG_BYTEA = 11,
	CANON_TAG_DATE = 12,
	CANON_TAG_TIMESTAMP = 13,
	CANON_TAG_TIMESTAMPTZ = 14,
	CANON_TAG_UUID = 15,
	CANON_TAG_JSONB = 16,
	CANON_TAG_NAME = 17
} CanonTag;

/*
 * What the encoder needs to know about one relation, computed once per
 * tuple descriptor: which attributes are encoded, with which tag.
 */
typedef struct CanonColumn
{
	int			attidx;			/* 0-based attribute index */
	char	   *name;			/* its name (server encoding), for messages */
	char	   *name_what;		/* NULL, or why the name has no unique UTF-8
								 * form: then a row with a value in it is
								 * refused (22P05) or reported */
	char	   *name_instead;	/* the bytes to name it with, or NULL */
	uint8		tag;
	int			hdrlen;			/* bytes in hdr */
	char	   *hdr;			/* name length, UTF-8 name, tag: precomputed */
} CanonColumn;

typedef struct CanonLayout
{
	int			ncols;			/* encoded columns, in attribute order */
	CanonColumn *cols;
	int			xact_attnum;	/* 1-based, 0 if absent */
	int			seq_attnum;
	int			hash_attnum;
} CanonLayout;

/* Tag for a type (domains resolved to their base), 0 if unsupported. */
extern uint8 canon_type_tag(Oid typid);

/* Name of a tag, for messages and the shape record. */
extern const char *canon_tag_name(uint8 tag);

/*
 * Fill a layout for a descriptor, allocating in mcxt.  An unsupported column
 * type raises an error naming the column; a column name with no unique UTF-8
 * form is noted (name_what), and raised or reported where a row with a value
 * in that column is hashed.  exclude_attnum (1-based, 0 for
 * none) leaves one more column out (the signature column of signed ledgers).
 */
extern void canon_layout_init(CanonLayout *layout, TupleDesc tupdesc,
							  int exclude_attnum, MemoryContext mcxt);

/* The canonical bytes of one row, format 1, into buf (which is reset first). */
extern void canon_row_bytes(StringInfo buf, const CanonLayout *layout,
							TupleDesc tupdesc, Datum *values, bool *isnull);

/*
 * The row as format 1 lays it out, with jsonb keys ordered as row format
 * key_format orders them (UTF-8 order from format 2 on): the row bytes a
 * signature covers in a signed ledger of that row format.
 */
extern void canon_row_bytes_signing(StringInfo buf, int key_format,
									const CanonLayout *layout,
									TupleDesc tupdesc, Datum *values,
									bool *isnull);

/*
 * The same in format 2, for transaction xact, sequence seq; jsonb keys in
 * UTF-8 order whatever the database's encoding (format 1: jsonb's order in
 * the server encoding).
 */
extern void canon_row_bytes_v2(StringInfo buf, const CanonLayout *layout,
							   TupleDesc tupdesc, Datum *values, bool *isnull,
							   int64 xact, int64 seq);

/*
 * The same in row format format (1 or 2).  Every function here raises 22P05
 * for a text value with no unique UTF-8 form, or a value in a column whose
 * name has none (docs/canonical-format.md, "Text with no unique UTF-8
 * form"): two different stored rows would have the same bytes.
 */
extern void canon_row_bytes_format(StringInfo buf, int format,
								   const CanonLayout *layout, TupleDesc tupdesc,
								   Datum *values, bool *isnull,
								   int64 xact, int64 seq);

/*
 * canon_row_bytes_format for verification: such a value is described in
 * *problem instead (the first one, palloc'd, "has a value in column ...";
 * *problem is left alone when already set), and the row's bytes written.
 */
extern void canon_row_bytes_checked(StringInfo buf, int format,
									const CanonLayout *layout, TupleDesc tupdesc,
									Datum *values, bool *isnull,
									int64 xact, int64 seq, char **problem);

/*
 * Raise 22P05 for a column name with no unique UTF-8 form: one name (the DDL
 * guard, for added columns), or any a layout encodes (create_ledger).
 */
extern void canon_check_column_name(const char *name);
extern void canon_layout_check_names(const CanonLayout *layout);

/*
 * Give back a session-long buffer (in TopMemoryContext) that a very large row
 * made larger than CANON_BUF_KEEP, so that one such row does not hold its
 * size until disconnect.
 */
#define CANON_BUF_KEEP (64 * 1024)
extern void canon_buffer_trim(StringInfo buf);

/*
 * The row trigger's session-long buffer for canonical bytes (made on first
 * use, trimmed after each row), and its trim at the end of every
 * transaction (pending.c), where an error in the middle of a very large
 * row left it at that row's size until the session's next ledger insert
 * (also an error a savepoint or an EXCEPTION block caught).
 */
extern StringInfo canon_row_buffer(void);
extern void canon_row_buffer_trim(void);

/*
 * The shape record of a relation, what ledger._check_ledger compares to
 * refuse DDL that would change a ledger's columns: CANON_SHAPE_V2, then the
 * definition of every column (the ledger columns too) in attribute order,
 * "name type(typmod) [COLLATE c]", as format_type prints it.
 */
#define CANON_SHAPE_V2 "shape-v2"
extern ArrayType *canon_shape(TupleDesc tupdesc);
extern char *canon_collation_name(Oid collid);

/* The shape as ledger 0.1.0 recorded it: "name:tag" per column. */
extern ArrayType *canon_shape_v1(TupleDesc tupdesc);

#endif							/* LEDGER_CANON_H */
