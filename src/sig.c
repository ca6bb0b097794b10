/*-------------------------------------------------------------------------
 *
 * sig.c
 *		SQL functions for signature verification and public key handling.
 *
 * The cryptography is in crypto.c, which never throws; this file turns its
 * result codes into ereport()s, always after the OpenSSL objects of the
 * call are freed, or while they are owned by a memory context (so an ERROR
 * leaks nothing).
 *
 * ledger.verify_signature keeps the last parsed key in fn_extra, so a query
 * that verifies many rows signed by one key parses it once; the parsed key
 * is released by a reset callback on the function's memory context.
 *
 * Key registry functions (ledger.add_key, ledger.revoke_key) are written in
 * PL/pgSQL in sql/install/20_keys.sql on top of ledger.canonical_public_key
 * here.  No key bytes are ever put into a message.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "crypto.h"
#include "sig.h"

PG_FUNCTION_INFO_V1(ledger_verify_signature);
PG_FUNCTION_INFO_V1(ledger_canonical_public_key);
PG_FUNCTION_INFO_V1(ledger_public_key_from_pem);

/* Per-call-site cache of one parsed key, in fn_extra. */
typedef struct SigKeyCache
{
	CryptoAlgorithm alg;
	Size		keylen;
	uint8	   *keybytes;		/* in fn_mcxt; NULL when empty */
	CryptoPublicKey *key;		/* freed by the reset callback */
	MemoryContextCallback cb;
} SigKeyCache;

/* Longest signature of any supported algorithm (DER P-256). */
#define SIG_MAX_SIGNATURE_LEN 72

/* Bytes of an argument's data, read from its header without detoasting. */
static Size
sig_arg_size(FunctionCallInfo fcinfo, int argno)
{
	return toast_raw_datum_size(PG_GETARG_DATUM(argno)) - VARHDRSZ;
}

/*
 * ERROR 22023 for a key (alg) or a PEM text (alg CRYPTO_ALG_INVALID) too
 * long to be one, before it is read.
 */
static void
sig_refuse_oversized_key(FunctionCallInfo fcinfo, int argno,
						 CryptoAlgorithm alg)
{
	static const char *const too_long =
	"The public key is longer than any supported encoding.";

	if (sig_arg_size(fcinfo, argno) <= CRYPTO_MAX_KEY_INPUT)
		return;
	if (alg == CRYPTO_ALG_INVALID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid PEM public key"),
				 errdetail("%s", too_long)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid public key for algorithm \"%s\"",
					crypto_algorithm_name(alg)),
			 errdetail("%s", too_long)));
}

/* Algorithm named by a text datum; ERROR 22023 if it names none. */
CryptoAlgorithm
sig_algorithm_from_text(text *name)
{
	CryptoAlgorithm alg;
	const char *s = VARDATA_ANY(name);
	int			len = VARSIZE_ANY_EXHDR(name);

	alg = crypto_algorithm_from_name(s, len);
	if (alg == CRYPTO_ALG_INVALID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized signature algorithm \"%.*s%s\"",
						pg_mbcliplen(s, len, 64), s, len > 64 ? "..." : ""),
				 errhint("The supported algorithms are \"ed25519\", \"ecdsa-p256\" and \"ecdsa-p256-p1363\".")));
	return alg;
}

/* Report a failed key parse; the key is already freed (there is none). */
static void
sig_report_key_error(CryptoAlgorithm alg, CryptoStatus status,
					 const char *err)
{
	if (status == CRYPTO_LIBRARY_ERROR)
		crypto_report_failure(CRYPTO_FAILED_PARSE_KEY, NULL, err);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid public key for algorithm \"%s\"",
					crypto_algorithm_name(alg)),
			 errdetail("%s", err)));
}

/* Parse a public key or throw; see sig.h for ownership. */
CryptoPublicKey *
sig_parse_public_key(CryptoAlgorithm alg, const uint8 *key, size_t len)
{
	CryptoPublicKey *k;
	CryptoStatus status = CRYPTO_OK;
	const char *err = NULL;

	k = crypto_parse_public_key(alg, key, len, &status, &err);
	if (k == NULL)
		sig_report_key_error(alg, status, err);
	return k;
}

/* Reset callback: release the cached OpenSSL key. */
static void
sig_key_cache_release(void *arg)
{
	SigKeyCache *cache = (SigKeyCache *) arg;

	crypto_free_public_key(cache->key);
	cache->key = NULL;
}

/* The parsed key for (alg, key), from fn_extra or freshly parsed. */
static CryptoPublicKey *
sig_cached_key(FunctionCallInfo fcinfo, CryptoAlgorithm alg, bytea *key)
{
	SigKeyCache *cache = (SigKeyCache *) fcinfo->flinfo->fn_extra;
	const uint8 *bytes = (const uint8 *) VARDATA_ANY(key);
	Size		len = VARSIZE_ANY_EXHDR(key);
	uint8	   *copy;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
									   sizeof(SigKeyCache));
		cache->cb.func = sig_key_cache_release;
		cache->cb.arg = cache;
		MemoryContextRegisterResetCallback(fcinfo->flinfo->fn_mcxt,
										   &cache->cb);
		fcinfo->flinfo->fn_extra = cache;
	}
	else if (cache->key != NULL && cache->alg == alg &&
			 cache->keylen == len && memcmp(cache->keybytes, bytes, len) == 0)
		return cache->key;

	/* Empty the cache first, then allocate (may throw), then parse. */
	crypto_free_public_key(cache->key);
	cache->key = NULL;
	if (cache->keybytes != NULL)
		pfree(cache->keybytes);
	cache->keybytes = NULL;
	copy = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, Max(len, 1));
	memcpy(copy, bytes, len);
	cache->keybytes = copy;
	cache->keylen = len;
	cache->alg = alg;
	cache->key = sig_parse_public_key(alg, bytes, len);
	return cache->key;
}

/*
 * ledger.verify_signature(algorithm text, public_key bytea, message bytea,
 *						   signature bytea) RETURNS boolean
 *
 * True if signature is a valid signature of message under public_key; false
 * if it is not, including any malformed or non-canonical signature.  ERROR
 * 22023 for an unsupported algorithm or an unacceptable public key.
 */
Datum
ledger_verify_signature(PG_FUNCTION_ARGS)
{
	text	   *algname = PG_GETARG_TEXT_PP(0);
	bytea	   *key;
	bytea	   *msg;
	bytea	   *sig;
	CryptoAlgorithm alg;
	CryptoPublicKey *k;
	CryptoVerifyResult res;
	const char *err = NULL;

	alg = sig_algorithm_from_text(algname);
	sig_refuse_oversized_key(fcinfo, 1, alg);
	key = PG_GETARG_BYTEA_PP(1);
	k = sig_cached_key(fcinfo, alg, key);
	/* no signature is longer: malformed, without reading it */
	if (sig_arg_size(fcinfo, 3) > SIG_MAX_SIGNATURE_LEN)
		PG_RETURN_BOOL(false);
	msg = PG_GETARG_BYTEA_PP(2);
	sig = PG_GETARG_BYTEA_PP(3);
	res = crypto_verify(k,
						(const uint8 *) VARDATA_ANY(msg), VARSIZE_ANY_EXHDR(msg),
						(const uint8 *) VARDATA_ANY(sig), VARSIZE_ANY_EXHDR(sig),
						&err);
	if (res == CRYPTO_SIG_ERROR)
		crypto_report_failure(CRYPTO_FAILED_VERIFY, NULL, err);
	PG_RETURN_BOOL(res == CRYPTO_SIG_VALID);
}

/* Copy a parsed key's canonical encoding out, free it, return a bytea. */
static bytea *
sig_take_raw(CryptoPublicKey *k)
{
	uint8		raw[CRYPTO_MAX_RAW_KEY_LEN];
	const uint8 *p;
	size_t		len;
	bytea	   *result;

	p = crypto_public_key_raw(k, &len);
	Assert(len <= sizeof(raw));
	memcpy(raw, p, len);
	crypto_free_public_key(k);

	result = (bytea *) palloc(VARHDRSZ + len);
	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), raw, len);
	return result;
}

/*
 * ledger.canonical_public_key(algorithm text, public_key bytea)
 *		RETURNS bytea
 *
 * The checked canonical form of a public key: 32 raw bytes for Ed25519, the
 * 65-byte uncompressed point for ECDSA P-256, from either that form or a DER
 * SubjectPublicKeyInfo.  ERROR 22023 if the key is not acceptable.
 */
Datum
ledger_canonical_public_key(PG_FUNCTION_ARGS)
{
	text	   *algname = PG_GETARG_TEXT_PP(0);
	bytea	   *key;
	CryptoAlgorithm alg;
	CryptoPublicKey *k;

	alg = sig_algorithm_from_text(algname);
	sig_refuse_oversized_key(fcinfo, 1, alg);
	key = PG_GETARG_BYTEA_PP(1);
	k = sig_parse_public_key(alg, (const uint8 *) VARDATA_ANY(key),
							 VARSIZE_ANY_EXHDR(key));
	PG_RETURN_BYTEA_P(sig_take_raw(k));
}

/*
 * ledger.public_key_from_pem(pem text) RETURNS bytea
 *
 * The canonical form (as ledger.canonical_public_key) of the key in a PEM
 * "PUBLIC KEY" block, Ed25519 or ECDSA P-256.  ERROR 22023 if there is no
 * acceptable key.
 */
Datum
ledger_public_key_from_pem(PG_FUNCTION_ARGS)
{
	text	   *pem;
	CryptoAlgorithm alg = CRYPTO_ALG_INVALID;
	CryptoStatus status = CRYPTO_OK;
	const char *err = NULL;
	CryptoPublicKey *k;

	sig_refuse_oversized_key(fcinfo, 0, CRYPTO_ALG_INVALID);
	pem = PG_GETARG_TEXT_PP(0);
	k = crypto_parse_public_key_pem(VARDATA_ANY(pem), VARSIZE_ANY_EXHDR(pem),
									&alg, &status, &err);
	if (k == NULL)
	{
		if (status == CRYPTO_LIBRARY_ERROR)
			sig_report_key_error(alg, status, err);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid PEM public key"),
				 errdetail("%s", err)));
	}
	PG_RETURN_BYTEA_P(sig_take_raw(k));
}
