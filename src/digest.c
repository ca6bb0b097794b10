/*-------------------------------------------------------------------------
 *
 * digest.c
 *		Digests kept outside the database: reading them back.
 *
 * A digest is the small JSON document ledger.digest() returns, meant to be
 * stored outside the database and handed back to ledger.verify() (and the
 * proof functions) later.  It comes back from outside, so nothing in it is
 * trusted: every field is checked for presence, JSON type and form, and a
 * malformed one is refused with 22023 naming the field.  Hashes are compared
 * as bytes, so upper- and lower-case hex are the same digest.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "digest.h"

/* Value of one key of a jsonb object, or NULL when absent. */
static JsonbValue *
digest_field(Jsonb *jb, const char *key, JsonbValue *val)
{
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("digest must be a JSON object"),
				 errhint("Pass a digest returned by ledger.digest().")));
	return getKeyJsonValueFromContainer(&jb->root, key, strlen(key), val);
}

/* Refuse a digest whose field is missing or malformed. */
static void
digest_bad_field(const char *key, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("digest field \"%s\" is missing or malformed", key),
			 errdetail("The field must be %s.", what),
			 errhint("Pass a digest returned by ledger.digest().")));
}

/* A string field as a NUL-terminated copy, or an error. */
static char *
digest_string(Jsonb *jb, const char *key, const char *what)
{
	JsonbValue	v;

	if (digest_field(jb, key, &v) == NULL || v.type != jbvString)
		digest_bad_field(key, what);
	return pnstrdup(v.val.string.val, v.val.string.len);
}

/* Parse 2*len hex digits (either case) into out; false if malformed. */
bool
digest_hex_decode(const char *hex, int hexlen, uint8 *out, int len)
{
	int			i;

	if (hexlen != 2 * len)
		return false;
	for (i = 0; i < 2 * len; i++)
	{
		char		c = hex[i];
		int			v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return false;
		if (i % 2 == 0)
			out[i / 2] = (uint8) (v << 4);
		else
			out[i / 2] |= (uint8) v;
	}
	return true;
}

/* A non-negative integer field, or an error. */
static int64
digest_int(Jsonb *jb, const char *key)
{
	JsonbValue	v;
	char	   *num;
	char	   *end;
	int64		result;

	if (digest_field(jb, key, &v) == NULL || v.type != jbvNumeric)
		digest_bad_field(key, "a non-negative integer");
	num = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric)));
	errno = 0;
	result = strtoi64(num, &end, 10);
	if (errno != 0 || *end != '\0' || end == num || result < 0)
		digest_bad_field(key, "a non-negative integer");
	return result;
}

/*
 * Parse a digest as ledger.digest() returns it: ledger_uuid (canonical
 * 8-4-4-4-12 form), block (a non-negative integer) and block_hash (64 hex
 * digits).  Other fields are ignored here.
 */
void
digest_parse(Jsonb *jb, LedgerDigest *out)
{
	static const char uuid_what[] = "a UUID in the form 8-4-4-4-12 hexadecimal digits";
	char	   *s;
	char		hex[32];
	int			n = 0;
	int			i;
	JsonbValue	v;

	/* ledger_uuid */
	s = digest_string(jb, "ledger_uuid", uuid_what);
	if (strlen(s) != 36)
		digest_bad_field("ledger_uuid", uuid_what);
	for (i = 0; i < 36; i++)
	{
		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (s[i] != '-')
				digest_bad_field("ledger_uuid", uuid_what);
		}
		else
			hex[n++] = s[i];
	}
	if (!digest_hex_decode(hex, 32, out->uuid.data, UUID_LEN))
		digest_bad_field("ledger_uuid", uuid_what);

	/* block */
	out->block = digest_int(jb, "block");

	/* block_hash */
	s = digest_string(jb, "block_hash", "64 hexadecimal digits");
	if (!digest_hex_decode(s, strlen(s), out->block_hash, LEDGER_HASH_LEN))
		digest_bad_field("block_hash", "64 hexadecimal digits");

	/* tree_size and tree_root: digests of 0.2.0 on, null for a 0.1.0 block */
	out->has_tree = false;
	if (digest_field(jb, "tree_root", &v) != NULL && v.type != jbvNull)
	{
		s = digest_string(jb, "tree_root", "64 hexadecimal digits, or null");
		if (!digest_hex_decode(s, strlen(s), out->tree_root, LEDGER_HASH_LEN))
			digest_bad_field("tree_root", "64 hexadecimal digits, or null");
		out->tree_size = digest_int(jb, "tree_size");
		out->has_tree = true;
	}
}
