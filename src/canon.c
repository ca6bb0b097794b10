/*-------------------------------------------------------------------------
 *
 * canon.c
 *		Canonical row bytes: the exact bytes a ledger row's leaf hash covers.
 *
 * The format is specified byte for byte in docs/canonical-format.md and is
 * versioned (a ledger's row format is recorded in ledger.ledgers).  The invariant
 * that matters: the bytes depend only on the stored values and the column
 * names and types, never on session settings.  So no value goes through a
 * type's output function that reads DateStyle, TimeZone, extra_float_digits,
 * bytea_output, lc_* or client_encoding: integers, floats, dates and
 * timestamps are written as fixed-width big-endian binary, text is converted
 * to UTF-8 (and refused when two stored forms share that UTF-8: see "text
 * with no unique UTF-8 form" below), and the only text renderings used
 * (numeric, jsonb) read no setting.  Nor the database's encoding, in row
 * format 2: jsonb keeps an object's keys sorted by their length and bytes in
 * the server encoding, so in a database that is not UTF-8 (LATIN1) format 2
 * sorts them again by their UTF-8 bytes (canon_jsonb_put_container); format
 * 1 keeps jsonb's own order, as 0.1.0 hashed it.
 *
 * A row is
 *		'L' 'R' version(u8) ncols(u16) column*
 * and a column, present only when its value is not NULL,
 *		namelen(u16) name(UTF-8) tag(u8) len(u32) value
 * NULL is encoded by absence; this keeps old rows' bytes unchanged when a
 * nullable column is added (see docs/design.md).
 *
 * Memory: canon_row_bytes appends to the caller's StringInfo and allocates
 * only detoasted copies and numeric/jsonb renderings in the current memory
 * context; callers looping over rows reset a private context per row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "canon.h"

/* Numerics up to this size (4-byte header included) are copied on the stack. */
#define CANON_NUMERIC_LOCAL 128

/*
 * Room for n more bytes at the end of buf; returns where they go.  The
 * caller writes them and adds n to buf->len.  (The canonical bytes are
 * written piece by piece without appendBinaryStringInfo's call, checks and
 * terminating NUL for each piece: a row is a few dozen pieces, written once
 * per insert and once per verification.)
 */
static inline char *
canon_reserve(StringInfo buf, int n)
{
	if (buf->len + n >= buf->maxlen)
		enlargeStringInfo(buf, n);
	return buf->data + buf->len;
}

/* Store a big-endian unsigned integer of 1, 2, 4 or 8 bytes at p. */
static inline void
canon_store_be(char *p, uint64 v, int width)
{
	switch (width)
	{
		case 1:
			p[0] = (char) (v & 0xFF);
			break;
		case 2:
			{
				uint16		b = pg_hton16((uint16) v);

				memcpy(p, &b, 2);
				break;
			}
		case 4:
			{
				uint32		b = pg_hton32((uint32) v);

				memcpy(p, &b, 4);
				break;
			}
		default:
			{
				uint64		b = pg_hton64(v);

				Assert(width == 8);
				memcpy(p, &b, 8);
				break;
			}
	}
}

/* Append a big-endian unsigned integer of 1, 2, 4 or 8 bytes. */
static inline void
canon_put_be(StringInfo buf, uint64 v, int width)
{
	canon_store_be(canon_reserve(buf, width), v, width);
	buf->len += width;
}

/* Append a fixed-width value: its length (u32) and width bytes of v. */
static inline void
canon_put_fixed(StringInfo buf, uint64 v, int width)
{
	char	   *p = canon_reserve(buf, 4 + width);

	canon_store_be(p, (uint64) width, 4);
	canon_store_be(p + 4, v, width);
	buf->len += 4 + width;
}

/* Append a length-prefixed value. */
static inline void
canon_put_value(StringInfo buf, const char *data, uint32 len)
{
	char	   *p = canon_reserve(buf, 4 + (int) len);

	canon_store_be(p, len, 4);
	memcpy(p + 4, data, len);
	buf->len += 4 + (int) len;
}

/* ---------- text with no unique UTF-8 form ---------- */

/*
 * Text is hashed in UTF-8 whatever the server encoding, and some server
 * encodings give two byte sequences the same character: in EUC_JP, 0xA2E2
 * (JIS X 0208) and 0xADF0 (its NEC duplicate) are both U+2252, so two
 * different stored values had the same canonical bytes, and a superuser's
 * edit from one to the other still verified (found by a review on
 * 2026-12-06).  A form is unique when UTF-8 converts back to the bytes
 * stored; text whose form is not is refused where a row is hashed (22P05),
 * and reported by verify.  Only text with a byte of 0x80 or more in a
 * database neither UTF-8 nor SQL_ASCII (which hashes its bytes as stored)
 * is converted at all: ASCII is the same in every server encoding.
 */

/* bytes scanned between interrupt checks (a mask) */
#define CANON_CFI_BYTES 0xFFFFF

/* Does s hold a byte of 0x80 or more? */
static inline bool
canon_has_highbit(const char *s, int len)
{
	int			i;

	for (i = 0; i < len; i++)
	{
		/* a value may be up to 1 GB: answer a cancel every 1 MB */
		if ((i & CANON_CFI_BYTES) == 0)
			CHECK_FOR_INTERRUPTS();
		if (IS_HIGHBIT_SET(s[i]))
			return true;
	}
	return false;
}

/*
 * Convert UTF-8 (n bytes) into the server encoding, into out (outsize bytes,
 * NUL-terminated), as far as the room allows and the characters have a form
 * there; returns the UTF-8 bytes converted (0: the first has none).
 */
static int
canon_from_utf8(const char *utf8, int n, unsigned char *out, int outsize)
{
	static Oid	proc = InvalidOid;	/* the database's encoding never changes */
	int			enc = GetDatabaseEncoding();

	if (!OidIsValid(proc))
	{
		proc = FindDefaultConversionProc(PG_UTF8, enc);
		if (!OidIsValid(proc))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("default conversion function for encoding \"%s\" to \"%s\" does not exist",
							pg_encoding_to_char(PG_UTF8), pg_encoding_to_char(enc))));
	}
	return pg_do_encoding_conversion_buf(proc, PG_UTF8, enc,
										 (unsigned char *) utf8, n,
										 out, outsize, true);
}

/* UTF-8 bytes converted back per call (a buffer four times that). */
#define CANON_BACK_CHUNK 4096

/* utf8 converted back chunk bytes at a time: is it s? */
static bool
canon_back_compare(const char *s, int len, const char *utf8, int utf8len, int chunk)
{
	int			outsize = chunk * MAX_CONVERSION_GROWTH + 1;
	unsigned char *out = MemoryContextAllocHuge(CurrentMemoryContext, outsize);
	int			in = 0;
	int			pos = 0;
	bool		same = true;

	while (same && in < utf8len)
	{
		int			done;
		int			outlen;

		CHECK_FOR_INTERRUPTS();
		done = canon_from_utf8(utf8 + in, Min(utf8len - in, chunk),
							   out, outsize);
		outlen = strlen((char *) out);
		same = done > 0 && outlen <= len - pos && memcmp(out, s + pos, outlen) == 0;
		in += done;
		pos += outlen;
	}
	pfree(out);
	return same && pos == len;
}

/* Does utf8, the UTF-8 form of s, convert back to s? */
static bool
canon_utf8_comes_back(const char *s, int len, const char *utf8, int utf8len)
{
	if (utf8len <= CANON_BACK_CHUNK)
		return canon_back_compare(s, len, utf8, utf8len, Max(utf8len, 1));
	if (canon_back_compare(s, len, utf8, utf8len, CANON_BACK_CHUNK))
		return true;

	/*
	 * A chunk's end may have parted a pair that converts as one character
	 * (EUC_JIS_2004's combining sequences): once more, in one piece.
	 */
	return canon_back_compare(s, len, utf8, utf8len,
							  Min(utf8len, (int) (MaxAllocSize / MAX_CONVERSION_GROWTH) - 1));
}

/* "0xad 0xf0", as PostgreSQL's own encoding errors name bytes */
static char *
canon_hex_bytes(const char *s, int len)
{
	StringInfoData b;
	int			i;

	initStringInfo(&b);
	for (i = 0; i < len; i++)
		appendStringInfo(&b, "%s0x%02x", i > 0 ? " " : "", (unsigned char) s[i]);
	return b.data;
}

/*
 * Describe the first character of s whose UTF-8 form does not convert back
 * to it: *what is "with byte sequence 0xad 0xf0 in encoding "EUC_JP" is
 * U+2252 in UTF-8, which converts back to 0xa2 0xe2", *instead the bytes
 * to store instead ("0xa2 0xe2"), or NULL when there are none.
 */
static void
canon_describe_not_unique(const char *s, int len, char **what, char **instead)
{
	int			enc = GetDatabaseEncoding();
	const char *encname = GetDatabaseEncodingName();
	int			pos = 0;

	while (pos < len)
	{
		int			clen = Min(pg_encoding_mblen(enc, s + pos), len - pos);
		char	   *u;
		int			ulen;
		unsigned char *back;
		int			done;
		StringInfoData cp;
		int			k;

		CHECK_FOR_INTERRUPTS();
		if (!IS_HIGHBIT_SET(s[pos]))
		{
			pos += clen;
			continue;
		}
		u = pg_server_to_any(s + pos, clen, PG_UTF8);
		ulen = strlen(u);
		if (canon_utf8_comes_back(s + pos, clen, u, ulen))
		{
			pos += clen;
			continue;
		}
		initStringInfo(&cp);
		for (k = 0; k < ulen; k += pg_utf_mblen((const unsigned char *) u + k))
			appendStringInfo(&cp, "%sU+%04X", k > 0 ? " " : "",
							 (unsigned int) utf8_to_unicode((const unsigned char *) u + k));
		back = palloc(ulen * MAX_CONVERSION_GROWTH + 1);
		done = canon_from_utf8(u, ulen, back, ulen * MAX_CONVERSION_GROWTH + 1);
		if (done == ulen)
		{
			*instead = canon_hex_bytes((char *) back, strlen((char *) back));
			*what = psprintf("with byte sequence %s in encoding \"%s\" is %s in UTF-8, which converts back to %s",
							 canon_hex_bytes(s + pos, clen), encname, cp.data, *instead);
		}
		else
		{
			*instead = NULL;
			*what = psprintf("with byte sequence %s in encoding \"%s\" is %s in UTF-8, which has no form in \"%s\"",
							 canon_hex_bytes(s + pos, clen), encname, cp.data, encname);
		}
		return;
	}
	/* no one character: a sequence of them (combining ones, say) */
	*instead = NULL;
	*what = psprintf("sequence of the text in encoding \"%s\" converts to UTF-8 and back to other bytes",
					 encname);
}

/*
 * Text (not a name) with no unique UTF-8 form in column colname: 22P05, or
 * the first problem into *problem when the caller collects them (verify).
 */
static void
canon_text_not_unique(const char *s, int len, const char *colname, char **problem)
{
	char	   *what;
	char	   *instead;

	canon_describe_not_unique(s, len, &what, &instead);
	if (problem == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
				 errmsg("value of column \"%s\" has no unique UTF-8 form", colname),
				 errdetail("The character %s: a ledger hashes text in UTF-8, where this value could not be told from another.",
						   what),
				 instead ?
				 errhint("Store the character as %s, its canonical form in encoding \"%s\".",
						 instead, GetDatabaseEncodingName()) :
				 errhint("Store text whose every character has one form in encoding \"%s\" and in UTF-8.",
						 GetDatabaseEncodingName())));
	else if (*problem == NULL)
		*problem = psprintf("has a value in column \"%s\" with no unique UTF-8 form: the character %s; a ledger refuses such values, which could not be told from others by their hash",
							colname, what);
}

/*
 * Has a column name, whose UTF-8 form is utf8, a unique one?  If not, *what
 * and *instead are set as canon_describe_not_unique sets them.
 */
static bool
canon_name_unique(const char *name, const char *utf8, char **what, char **instead)
{
	int			len = strlen(name);
	int			enc = GetDatabaseEncoding();

	if (enc == PG_UTF8 || enc == PG_SQL_ASCII || !canon_has_highbit(name, len))
		return true;
	if (canon_utf8_comes_back(name, len, utf8, strlen(utf8)))
		return true;
	canon_describe_not_unique(name, len, what, instead);
	return false;
}

/* 22P05 for a column name with no unique UTF-8 form */
static void
canon_name_not_unique(const char *name, const char *what, const char *instead)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
			 errmsg("column name \"%s\" has no unique UTF-8 form", name),
			 errdetail("The character %s: a ledger hashes each column's name in UTF-8, where this name could not be told from another.",
					   what),
			 instead ?
			 errhint("Name the column with %s for that character, its canonical form in encoding \"%s\".",
					 instead, GetDatabaseEncodingName()) :
			 errhint("Name the column with characters that have one form in encoding \"%s\" and in UTF-8.",
					 GetDatabaseEncodingName())));
}

/*
 * A column name's UTF-8 form (utf8len bytes) must fit in a name
 * (NAMEDATALEN - 1 bytes): the canonical bytes hold it, and a dump of a
 * LATIN1 database restored into a UTF-8 one truncates a longer name (a
 * NOTICE), after which the ledger's triggers were refused and verify failed
 * (a review of 2026-12-06).  Checked where a column comes in
 * (create_ledger, ADD COLUMN), not where rows are hashed: a ledger made
 * before keeps working.
 */
static void
canon_check_name_length(const char *name, int utf8len)
{
	if (utf8len > NAMEDATALEN - 1)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("column name \"%s\" is %d bytes in UTF-8, more than a name holds (%d)",
						name, utf8len, NAMEDATALEN - 1),
				 errdetail("A ledger hashes each column's name in UTF-8; in a UTF-8 database, where a dump of this one may be restored, the name would be truncated and the ledger would no longer verify."),
				 errhint("Choose a name of at most %d bytes in UTF-8.", NAMEDATALEN - 1)));
}

/*
 * Refuse a column name with no unique UTF-8 form (22P05), none at all
 * (22021: in a SQL_ASCII database pg_server_to_any checks that the name is
 * UTF-8; a column added with another name made every later insert and
 * verify of the ledger fail for good) or too long in UTF-8 (42622): the
 * canonical bytes hold every present column's name in UTF-8.
 */
void
canon_check_column_name(const char *name)
{
	char	   *utf8 = pg_server_to_any(name, strlen(name), PG_UTF8);
	char	   *what;
	char	   *instead;

	if (!canon_name_unique(name, utf8, &what, &instead))
		canon_name_not_unique(name, what, instead);
	canon_check_name_length(name, strlen(utf8));
}

/*
 * The same for every column a layout encodes (its conversion to UTF-8 was
 * made, and checked, by canon_layout_init: the header holds the name's
 * UTF-8 length, its bytes and the tag).
 */
void
canon_layout_check_names(const CanonLayout *layout)
{
	int			i;

	for (i = 0; i < layout->ncols; i++)
	{
		if (layout->cols[i].name_what != NULL)
			canon_name_not_unique(layout->cols[i].name,
								  layout->cols[i].name_what,
								  layout->cols[i].name_instead);
		canon_check_name_length(layout->cols[i].name, layout->cols[i].hdrlen - 3);
	}
}

/*
 * Append server-encoded text as UTF-8, length-prefixed; text of column col
 * with no unique UTF-8 form is refused, or reported into *problem.  In a
 * UTF-8 database, and for ASCII text, the bytes are the stored ones.
 */
static void
canon_put_text(StringInfo buf, const char *s, int len, const CanonColumn *col,
			   char **problem)
{
	int			enc = GetDatabaseEncoding();
	char	   *utf8;
	int			utf8len;

	/* (SQL_ASCII: pg_server_to_any checks that the bytes are UTF-8) */
	if (enc == PG_UTF8 || (enc != PG_SQL_ASCII && !canon_has_highbit(s, len)))
	{
		canon_put_value(buf, s, len);
		return;
	}
	utf8 = pg_server_to_any(s, len, PG_UTF8);
	if (utf8 == s)
	{
		canon_put_value(buf, s, len);
		return;
	}
	utf8len = strlen(utf8);
	if (!canon_utf8_comes_back(s, len, utf8, utf8len))
		canon_text_not_unique(s, len, col->name, problem);
	canon_put_value(buf, utf8, utf8len);
	pfree(utf8);
}

/*
 * Tag for a type (domains resolved to their base), 0 if unsupported.
 * Subscriptions of ledgers transfer values in binary (sync.c): a type added
 * here whose binary form carries an OID (arrays, composites, ranges, the reg*
 * aliases) or whose receive function differs by more than the peer's
 * typmod would need that choice made again.
 */
uint8
canon_type_tag(Oid typid)
{
	switch (getBaseType(typid))
	{
		case BOOLOID:
			return CANON_TAG_BOOL;
		case INT2OID:
			return CANON_TAG_INT2;
		case INT4OID:
			return CANON_TAG_INT4;
		case INT8OID:
			return CANON_TAG_INT8;
		case FLOAT4OID:
			return CANON_TAG_FLOAT4;
		case FLOAT8OID:
			return CANON_TAG_FLOAT8;
		case NUMERICOID:
			return CANON_TAG_NUMERIC;
		case TEXTOID:
			return CANON_TAG_TEXT;
		case VARCHAROID:
			return CANON_TAG_VARCHAR;
		case BPCHAROID:
			return CANON_TAG_BPCHAR;
		case BYTEAOID:
			return CANON_TAG_BYTEA;
		case DATEOID:
			return CANON_TAG_DATE;
		case TIMESTAMPOID:
			return CANON_TAG_TIMESTAMP;
		case TIMESTAMPTZOID:
			return CANON_TAG_TIMESTAMPTZ;
		case UUIDOID:
			return CANON_TAG_UUID;
		case JSONBOID:
			return CANON_TAG_JSONB;
		case NAMEOID:
			return CANON_TAG_NAME;
		default:
			return 0;
	}
}

/* Name of a tag, for messages and the shape record. */
const char *
canon_tag_name(uint8 tag)
{
	static const char *const names[] = {
		"?", "bool", "int2", "int4", "int8", "float4", "float8", "numeric",
		"text", "varchar", "bpchar", "bytea", "date", "timestamp",
		"timestamptz", "uuid", "jsonb", "name"
	};

	if (tag < lengthof(names))
		return names[tag];
	return "?";
}

/* Is this attribute one of the columns the ledger itself maintains? */
static int
canon_ledger_column(const char *name)
{
	if (strcmp(name, LEDGER_COL_XACT) == 0)
		return 1;
	if (strcmp(name, LEDGER_COL_SEQ) == 0)
		return 2;
	if (strcmp(name, LEDGER_COL_HASH) == 0)
		return 3;
	return 0;
}

/* Fill a layout for a descriptor, allocating in mcxt. */
void
canon_layout_init(CanonLayout *layout, TupleDesc tupdesc,
				  int exclude_attnum, MemoryContext mcxt)
{
	MemoryContext old = MemoryContextSwitchTo(mcxt);
	int			i;

	memset(layout, 0, sizeof(CanonLayout));
	layout->cols = palloc0(sizeof(CanonColumn) * Max(tupdesc->natts, 1));

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		const char *name = NameStr(att->attname);
		CanonColumn *col;
		StringInfoData hdr;
		char	   *utf8;
		uint8		tag;

		if (att->attisdropped)
			continue;
		switch (canon_ledger_column(name))
		{
			case 1:
				layout->xact_attnum = i + 1;
				continue;
			case 2:
				layout->seq_attnum = i + 1;
				continue;
			case 3:
				layout->hash_attnum = i + 1;
				continue;
			default:
				break;
		}
		if (i + 1 == exclude_attnum)
			continue;

		tag = canon_type_tag(att->atttypid);
		if (tag == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("column \"%s\" has a type a ledger cannot hash: %s",
							name, format_type_be(att->atttypid)),
					 errhint("Supported types are bool, smallint, integer, bigint, real, double precision, numeric, text, varchar, char, name, bytea, date, timestamp, timestamptz, uuid and jsonb, and domains over them.")));
		if (att->attgenerated)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("column \"%s\" is a generated column", name),
					 errdetail("A ledger hashes rows before generated columns are computed."),
					 errhint("Store the value explicitly or compute it in a view.")));

		initStringInfo(&hdr);
		utf8 = pg_server_to_any(name, strlen(name), PG_UTF8);
		canon_put_be(&hdr, strlen(utf8), 2);
		appendBinaryStringInfo(&hdr, utf8, strlen(utf8));
		appendStringInfoChar(&hdr, (char) tag);

		col = &layout->cols[layout->ncols++];
		col->attidx = i;
		col->name = pstrdup(name);
		/* refused where a row with a value in it is hashed */
		if (canon_name_unique(name, utf8, &col->name_what, &col->name_instead))
			col->name_what = col->name_instead = NULL;
		col->tag = tag;
		col->hdr = hdr.data;
		col->hdrlen = hdr.len;
	}
	MemoryContextSwitchTo(old);
}

/*
 * jsonb text with every object's keys in UTF-8 order (row format 2).
 *
 * jsonb stores an object's keys sorted by length, then bytes, in the server
 * encoding, and JsonbToCString writes them in that order.  In a UTF-8 (or
 * SQL_ASCII, where the stored bytes are the UTF-8 ones) database that is the
 * canonical order: the byte length of the key's UTF-8 form, then its bytes.
 * Elsewhere a key with a non-ASCII character is longer in UTF-8 than in, say,
 * LATIN1 ('\xe9' is one byte, U+00E9 two), so the order can differ, and with
 * it the row's hash in a LATIN1 database and in a UTF-8 one.  Only then is the
 * text written here instead, the same tokens and separators as
 * JsonbToCString (", " and ": ", no indentation, a raw scalar bare) with the
 * keys of every object sorted again; it stays in the server encoding, which
 * the caller converts to UTF-8 as it does JsonbToCString's text.
 */
typedef struct CanonJsonbPair
{
	JsonbValue	key;			/* a jbvString in the server encoding */
	JsonbValue	value;			/* a scalar or jbvBinary (a container) */
	char	   *utf8;			/* the key in UTF-8 (may be key's bytes) */
	int			utf8len;
} CanonJsonbPair;

/* Order of two keys: UTF-8 byte length, then UTF-8 bytes (no two equal). */
static int
canon_jsonb_pair_cmp(const void *a, const void *b)
{
	const CanonJsonbPair *pa = (const CanonJsonbPair *) a;
	const CanonJsonbPair *pb = (const CanonJsonbPair *) b;

	if (pa->utf8len != pb->utf8len)
		return pa->utf8len < pb->utf8len ? -1 : 1;
	return memcmp(pa->utf8, pb->utf8, pa->utf8len);
}

/*
 * Does jsonb's stored key order possibly differ from the UTF-8 one?  Not in
 * a UTF-8 or SQL_ASCII database, nor when every key is ASCII (the same bytes
 * in every server encoding).
 */
static bool
canon_jsonb_needs_sort(JsonbContainer *root)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			enc = GetDatabaseEncoding();

	if (enc == PG_UTF8 || enc == PG_SQL_ASCII)
		return false;
	it = JsonbIteratorInit(root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		CHECK_FOR_INTERRUPTS();
		if (tok == WJB_KEY)
		{
			int			i;

			/* (a return leaves the iterator's few bytes to the context) */
			for (i = 0; i < v.val.string.len; i++)
				if (IS_HIGHBIT_SET(v.val.string.val[i]))
					return true;
		}
	}
	return false;
}

/* A scalar as JsonbToCString writes it (jsonb.c, jsonb_put_escaped_value). */
static void
canon_jsonb_put_scalar(StringInfo out, const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			appendBinaryStringInfo(out, "null", 4);
			break;
		case jbvString:
			{
				char	   *s = pnstrdup(v->val.string.val, v->val.string.len);

				escape_json(out, s);
				pfree(s);
				break;
			}
		case jbvNumeric:
			{
				char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out,
																	NumericGetDatum(v->val.numeric)));

				appendStringInfoString(out, s);
				pfree(s);
				break;
			}
		case jbvBool:
			if (v->val.boolean)
				appendBinaryStringInfo(out, "true", 4);
			else
				appendBinaryStringInfo(out, "false", 5);
			break;
		default:
			elog(ERROR, "unexpected jsonb scalar type %d", (int) v->type);
	}
}

static void canon_jsonb_put_container(StringInfo out, JsonbContainer *c);

/* A value of an array or object: a scalar, or a nested container. */
static void
canon_jsonb_put_value(StringInfo out, const JsonbValue *v)
{
	if (v->type == jbvBinary)
		canon_jsonb_put_container(out, v->val.binary.data);
	else
		canon_jsonb_put_scalar(out, v);
}

/* A container (the root too) with its objects' keys in UTF-8 order. */
static void
canon_jsonb_put_container(StringInfo out, JsonbContainer *c)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	check_stack_depth();
	it = JsonbIteratorInit(c);
	tok = JsonbIteratorNext(&it, &v, true);
	if (tok == WJB_BEGIN_ARRAY)
	{
		bool		raw = v.val.array.rawScalar;
		bool		first = true;

		if (!raw)
			appendStringInfoChar(out, '[');
		while ((tok = JsonbIteratorNext(&it, &v, true)) == WJB_ELEM)
		{
			CHECK_FOR_INTERRUPTS();
			if (!first)
				appendBinaryStringInfo(out, ", ", 2);
			first = false;
			canon_jsonb_put_value(out, &v);
		}
		Assert(tok == WJB_END_ARRAY);
		if (!raw)
			appendStringInfoChar(out, ']');
	}
	else if (tok == WJB_BEGIN_OBJECT)
	{
		int			n = v.val.object.nPairs;
		CanonJsonbPair *pairs = palloc(sizeof(CanonJsonbPair) * Max(n, 1));
		int			i;

		for (i = 0; (tok = JsonbIteratorNext(&it, &v, true)) == WJB_KEY; i++)
		{
			CanonJsonbPair *p = &pairs[i];

			CHECK_FOR_INTERRUPTS();
			if (i >= n)
				elog(ERROR, "jsonb object has more keys than its header says");
			p->key = v;
			p->utf8 = pg_server_to_any(v.val.string.val, v.val.string.len, PG_UTF8);
			p->utf8len = p->utf8 == v.val.string.val ? v.val.string.len :
				(int) strlen(p->utf8);
			tok = JsonbIteratorNext(&it, &p->value, true);
			Assert(tok == WJB_VALUE);
		}
		Assert(tok == WJB_END_OBJECT && i == n);
		n = i;
		qsort(pairs, n, sizeof(CanonJsonbPair), canon_jsonb_pair_cmp);
		appendStringInfoChar(out, '{');
		for (i = 0; i < n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (i > 0)
				appendBinaryStringInfo(out, ", ", 2);
			canon_jsonb_put_scalar(out, &pairs[i].key);
			appendBinaryStringInfo(out, ": ", 2);
			canon_jsonb_put_value(out, &pairs[i].value);
			if (pairs[i].utf8 != pairs[i].key.val.string.val)
				pfree(pairs[i].utf8);
		}
		appendStringInfoChar(out, '}');
		pfree(pairs);
	}
	else
		elog(ERROR, "unexpected jsonb iterator token %d", (int) tok);
}

/*
 * Append the canonical encoding of one non-NULL value of column col.
 * utf8_keys: jsonb objects' keys in UTF-8 order (row format 2), else in
 * jsonb's (format 1).  problem: see canon_row_bytes_checked.
 */
static void
canon_put_datum(StringInfo buf, const CanonColumn *col, Datum d, bool utf8_keys,
				char **problem)
{
	switch (col->tag)
	{
		case CANON_TAG_BOOL:
			canon_put_fixed(buf, DatumGetBool(d) ? 1 : 0, 1);
			break;
		case CANON_TAG_INT2:
			canon_put_fixed(buf, (uint16) DatumGetInt16(d), 2);
			break;
		case CANON_TAG_INT4:
			canon_put_fixed(buf, (uint32) DatumGetInt32(d), 4);
			break;
		case CANON_TAG_INT8:
			canon_put_fixed(buf, (uint64) DatumGetInt64(d), 8);
			break;
		case CANON_TAG_FLOAT4:
			{
				float4		f = DatumGetFloat4(d);
				uint32		bits;

				if (isnan(f))
					bits = (uint32) 0x7fc00000;
				else
					memcpy(&bits, &f, 4);
				canon_put_fixed(buf, bits, 4);
				break;
			}
		case CANON_TAG_FLOAT8:
			{
				float8		f = DatumGetFloat8(d);
				uint64		bits;

				if (isnan(f))
					bits = UINT64CONST(0x7ff8000000000000);
				else
					memcpy(&bits, &f, 8);
				canon_put_fixed(buf, bits, 8);
				break;
			}
		case CANON_TAG_NUMERIC:
			{
				/*
				 * A stored numeric has a 1-byte header; numeric_out would
				 * copy it to a palloc'd 4-byte-header value first.  Small
				 * ones get that copy here, on the stack.
				 */
				struct varlena *v = (struct varlena *) DatumGetPointer(d);
				union
				{
					int64		align;
					char		bytes[CANON_NUMERIC_LOCAL];
				}			local;
				char	   *s;

				/*
				 * (not a TOAST pointer, which also has a 1-byte header: a
				 * numeric of thousands of digits stored out of line, until
				 * 2026-12-05 copied here with a wrapped length, which crashed
				 * the server; numeric_out detoasts it)
				 */
				if (VARATT_IS_SHORT(v) && !VARATT_IS_EXTERNAL(v) &&
					VARSIZE_SHORT(v) - VARHDRSZ_SHORT + VARHDRSZ <= CANON_NUMERIC_LOCAL)
				{
					Size		len = VARSIZE_SHORT(v) - VARHDRSZ_SHORT;

					SET_VARSIZE(local.bytes, len + VARHDRSZ);
					memcpy(VARDATA(local.bytes), VARDATA_SHORT(v), len);
					d = PointerGetDatum(local.bytes);
				}
				s = DatumGetCString(DirectFunctionCall1(numeric_out, d));
				canon_put_value(buf, s, strlen(s));
				pfree(s);
				break;
			}
		case CANON_TAG_TEXT:
		case CANON_TAG_VARCHAR:
		case CANON_TAG_BPCHAR:
			{
				struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(d));

				canon_put_text(buf, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), col, problem);
				if ((Pointer) v != DatumGetPointer(d))
					pfree(v);
				break;
			}
		case CANON_TAG_NAME:
			{
				const char *s = NameStr(*DatumGetName(d));

				canon_put_text(buf, s, strlen(s), col, problem);
				break;
			}
		case CANON_TAG_BYTEA:
			{
				struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(d));

				canon_put_value(buf, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
				if ((Pointer) v != DatumGetPointer(d))
					pfree(v);
				break;
			}
		case CANON_TAG_DATE:
			canon_put_fixed(buf, (uint32) DatumGetDateADT(d), 4);
			break;
		case CANON_TAG_TIMESTAMP:
		case CANON_TAG_TIMESTAMPTZ:
			canon_put_fixed(buf, (uint64) DatumGetInt64(d), 8);
			break;
		case CANON_TAG_UUID:
			canon_put_value(buf, (const char *) DatumGetUUIDP(d)->data,
							UUID_LEN);
			break;
		case CANON_TAG_JSONB:
			{
				Jsonb	   *jb = DatumGetJsonbP(d);
				char	   *s;

				if (utf8_keys && canon_jsonb_needs_sort(&jb->root))
				{
					StringInfoData out;

					initStringInfo(&out);
					canon_jsonb_put_container(&out, &jb->root);
					s = out.data;
				}
				else
					s = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
				canon_put_text(buf, s, strlen(s), col, problem);
				pfree(s);
				if ((Pointer) jb != DatumGetPointer(d))
					pfree(jb);
				break;
			}
		default:
			elog(ERROR, "unexpected canonical type tag %d", col->tag);
	}
}

static void canon_put_columns(StringInfo buf, const CanonLayout *layout,
							  Datum *values, bool *isnull, bool utf8_keys,
							  char **problem);
static void canon_row_v1(StringInfo buf, int key_format, const CanonLayout *layout,
						 Datum *values, bool *isnull, char **problem);
static void canon_row_v2(StringInfo buf, const CanonLayout *layout, Datum *values,
						 bool *isnull, int64 xact, int64 seq, char **problem);

/* Append the canonical bytes of one row to buf (which is reset first). */
void
canon_row_bytes(StringInfo buf, const CanonLayout *layout,
				TupleDesc tupdesc, Datum *values, bool *isnull)
{
	canon_row_v1(buf, CANON_ROW_FORMAT_1, layout, values, isnull, NULL);
}

/*
 * The row as format 1 lays it out (version byte 1, no transaction or
 * sequence number), its jsonb keys in the order of row format key_format:
 * what a row signature covers in a ledger of that row format (signed.c).
 */
void
canon_row_bytes_signing(StringInfo buf, int key_format, const CanonLayout *layout,
						TupleDesc tupdesc, Datum *values, bool *isnull)
{
	canon_row_v1(buf, key_format, layout, values, isnull, NULL);
}

static void
canon_row_v1(StringInfo buf, int key_format, const CanonLayout *layout,
			 Datum *values, bool *isnull, char **problem)
{
	char	   *p;

	resetStringInfo(buf);
	p = canon_reserve(buf, 3);
	p[0] = 'L';
	p[1] = 'R';
	p[2] = CANON_ROW_FORMAT_1;
	buf->len += 3;
	canon_put_columns(buf, layout, values, isnull,
					  key_format != CANON_ROW_FORMAT_1, problem);
}

/*
 * Canonical bytes of a row in format 2: format 1 with the version byte 2 and
 * the row's transaction and sequence number before the column count, so a
 * row's hash binds it to its place in the ledger, and jsonb keys in UTF-8
 * order whatever the database's encoding.
 */
void
canon_row_bytes_v2(StringInfo buf, const CanonLayout *layout, TupleDesc tupdesc,
				   Datum *values, bool *isnull, int64 xact, int64 seq)
{
	canon_row_v2(buf, layout, values, isnull, xact, seq, NULL);
}

static void
canon_row_v2(StringInfo buf, const CanonLayout *layout, Datum *values,
			 bool *isnull, int64 xact, int64 seq, char **problem)
{
	char	   *p;

	resetStringInfo(buf);
	p = canon_reserve(buf, 19);
	p[0] = 'L';
	p[1] = 'R';
	p[2] = CANON_ROW_FORMAT_2;
	canon_store_be(p + 3, (uint64) xact, 8);
	canon_store_be(p + 11, (uint64) seq, 8);
	buf->len += 19;
	canon_put_columns(buf, layout, values, isnull, true, problem);
}

/* Canonical bytes of a row in the given row format (1 or 2). */
void
canon_row_bytes_format(StringInfo buf, int format, const CanonLayout *layout,
					   TupleDesc tupdesc, Datum *values, bool *isnull,
					   int64 xact, int64 seq)
{
	canon_row_bytes_checked(buf, format, layout, tupdesc, values, isnull,
							xact, seq, NULL);
}

/*
 * The same, but a text value with no unique UTF-8 form is described in
 * *problem (the first; NULL: raise 22P05), its bytes written as converted.
 */
void
canon_row_bytes_checked(StringInfo buf, int format, const CanonLayout *layout,
						TupleDesc tupdesc, Datum *values, bool *isnull,
						int64 xact, int64 seq, char **problem)
{
	if (format == CANON_ROW_FORMAT_1)
		canon_row_v1(buf, CANON_ROW_FORMAT_1, layout, values, isnull, problem);
	else
		canon_row_v2(buf, layout, values, isnull, xact, seq, problem);
}

/* Append the column count and the present columns. */
static void
canon_put_columns(StringInfo buf, const CanonLayout *layout, Datum *values,
				  bool *isnull, bool utf8_keys, char **problem)
{
	int			i;
	int			present = 0;
	int			countpos;

	countpos = buf->len;
	canon_put_be(buf, 0, 2);

	for (i = 0; i < layout->ncols; i++)
	{
		const CanonColumn *col = &layout->cols[i];

		if (isnull[col->attidx])
			continue;
		if (unlikely(col->name_what != NULL))
		{
			if (problem == NULL)
				canon_name_not_unique(col->name, col->name_what, col->name_instead);
			else if (*problem == NULL)
				*problem = psprintf("has a value in column \"%s\", whose name has no unique UTF-8 form: the character %s; a ledger refuses such names, which could not be told from others by their hash",
									col->name, col->name_what);
		}
		memcpy(canon_reserve(buf, col->hdrlen), col->hdr, col->hdrlen);
		buf->len += col->hdrlen;
		canon_put_datum(buf, col, values[col->attidx], utf8_keys, problem);
		present++;
	}
	buf->data[countpos] = (char) ((present >> 8) & 0xFF);
	buf->data[countpos + 1] = (char) (present & 0xFF);
	/* a StringInfo ends in NUL (canon_reserve keeps room for it) */
	buf->data[buf->len] = '\0';
}

/* The row trigger's buffer (canon.h); lives in TopMemoryContext. */
static StringInfo canon_row_buf = NULL;

StringInfo
canon_row_buffer(void)
{
	if (canon_row_buf == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		canon_row_buf = makeStringInfo();
		MemoryContextSwitchTo(old);
	}
	return canon_row_buf;
}

void
canon_row_buffer_trim(void)
{
	if (canon_row_buf != NULL)
		canon_buffer_trim(canon_row_buf);
}

/* Give back a buffer a very large row made large (canon.h). */
void
canon_buffer_trim(StringInfo buf)
{
	if (buf->maxlen > CANON_BUF_KEEP)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		pfree(buf->data);
		initStringInfo(buf);
		MemoryContextSwitchTo(old);
	}
}

/*
 * A collation's name for the shape record: schema-qualified unless in
 * pg_catalog, whatever the search_path (generate_collation_name qualifies
 * only what the path does not show, so a ledger made with its schema on the
 * path recorded a name that the DDL guard, which runs with pg_catalog only,
 * then saw differently, and refused every later ALTER TABLE).
 */
char *
canon_collation_name(Oid collid)
{
	HeapTuple	tp = SearchSysCache1(COLLOID, ObjectIdGetDatum(collid));
	Form_pg_collation coll;
	char	   *name;

	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for collation %u", collid);
	coll = (Form_pg_collation) GETSTRUCT(tp);
	if (coll->collnamespace == PG_CATALOG_NAMESPACE)
		name = pstrdup(quote_identifier(NameStr(coll->collname)));
	else
		name = quote_qualified_identifier(get_namespace_name(coll->collnamespace),
										  NameStr(coll->collname));
	ReleaseSysCache(tp);
	return name;
}

/* The shape record of a relation, as a text[]. */
ArrayType *
canon_shape(TupleDesc tupdesc)
{
	Datum	   *elems = palloc(sizeof(Datum) * (tupdesc->natts + 1));
	int			n = 0;
	int			i;

	elems[n++] = CStringGetTextDatum(CANON_SHAPE_V2);
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		StringInfoData def;

		if (att->attisdropped)
			continue;
		initStringInfo(&def);
		appendStringInfo(&def, "%s %s", quote_identifier(NameStr(att->attname)),
						 format_type_extended(att->atttypid, att->atttypmod,
											  FORMAT_TYPE_TYPEMOD_GIVEN |
											  FORMAT_TYPE_FORCE_QUALIFY));
		if (OidIsValid(att->attcollation) &&
			att->attcollation != get_typcollation(att->atttypid))
			appendStringInfo(&def, " COLLATE %s",
							 canon_collation_name(att->attcollation));
		elems[n++] = CStringGetTextDatum(def.data);
	}
	return construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
}

/* The shape as ledger 0.1.0 recorded it: "name:tag" per column. */
ArrayType *
canon_shape_v1(TupleDesc tupdesc)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(tupdesc->natts, 1));
	int			n = 0;
	int			i;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		uint8		tag;

		if (att->attisdropped)
			continue;
		tag = canon_type_tag(att->atttypid);
		elems[n++] = CStringGetTextDatum(psprintf("%s:%s",
												  NameStr(att->attname),
												  tag ? canon_tag_name(tag) :
												  format_type_be(att->atttypid)));
	}
	return construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
}
