/*-------------------------------------------------------------------------
 *
 * crypto.c
 *		All of ledger's use of OpenSSL.
 *
 * No other file includes an OpenSSL header.  Hashing uses OpenSSL's
 * SHA256_Init/Update/Final on a stack context.  They are deprecated in
 * OpenSSL 3 in favour of EVP, but EVP_DigestInit_ex2 allocates and cleanses
 * provider state on every call: measured at about 25 % of the hashing cost
 * of a bulk insert, where every row takes two hashes.  The low-level calls
 * use the same assembly (SHA-NI where the CPU has it), allocate nothing and
 * cannot fail, so hashing never raises an error.
 *
 * Signature verification (the second half of the file) never throws and
 * never uses palloc: results come back as codes plus static sentences, and
 * every OpenSSL object made during a call is freed before it returns, so
 * the caller may ereport() freely afterwards.  Only CryptoPublicKey
 * outlives a call; its owner frees it (sig.c and signed.c tie it to a
 * memory context reset callback or to a cache flushed on invalidation).
 * Keeping this half free of the server lets the fuzz targets in test/fuzz
 * link this file with a stub of elog.  A failure of OpenSSL itself is
 * turned into ERROR 39000 (external_routine_exception, as pgcrypto does) by
 * one function, crypto_report_failure, which only server code calls.
 *
 * Speed.  A parsed key keeps what every verification would otherwise
 * rebuild: for Ed25519 a digest-verify context initialised once, copied
 * per call (EVP_DigestVerifyInit fetches the algorithm and builds a key
 * context: about 20,000 instructions, against a few hundred for the copy);
 * for ECDSA a verify-initialised EVP_PKEY_CTX.  ECDSA takes the message's
 * SHA-256 from the caller when it has one (the signature trigger hashes
 * every message anyway, for replay protection), and DER signatures are
 * parsed and P1363 ones encoded by hand, with no allocation.
 *
 * Strictness.  A key or signature is accepted only in its canonical form:
 *	- Ed25519 keys: y < p, the point decodes (RFC 8032 5.1.3) and is not one
 *	  of the eight points of small order, for which forging is easy;
 *	- Ed25519 signatures: 64 bytes, S < L (RFC 8032 5.1.7), then OpenSSL's
 *	  cofactorless check, which also refuses a non-canonical R;
 *	- P-256 keys: the uncompressed point, or SPKI on the named curve, with
 *	  OpenSSL's full public key check (on the curve, not infinity);
 *	- SPKI of either (bytes or PEM): d2i must consume every byte and i2d of
 *	  the key must give back the same bytes (no BER, no unused bits);
 *	- ECDSA DER signatures: d2i must consume every byte and i2d of the result
 *	  must give back the same bytes, which refuses BER lengths, non-minimal
 *	  and negative integers and trailing bytes; then 1 <= r, s < n;
 *	- P1363 signatures: exactly 64 bytes, 1 <= r, s < n.
 * High-S ECDSA signatures are accepted (FIPS 186-5 does not refuse them), so
 * an ECDSA signature is malleable: never use signature bytes as a replay
 * key.  No key byte is ever put into an error message.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

/* for SHA256_Init and friends; see the header comment */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "crypto.h"


/*
 * Pieces of a short message are joined on the stack and hashed by one
 * SHA256_Update: the hashes of Merkle leaves and nodes are one or two
 * compressions each, and a second SHA256_Update (it buffers a partial
 * block) costs about a tenth of that.
 */
#define CRYPTO_SHA256_JOIN_MAX 256

/* SHA-256 of a || b || c. */
void
crypto_sha256_3(const void *a, size_t alen,
				const void *b, size_t blen,
				const void *c, size_t clen,
				uint8_t out[LEDGER_HASH_LEN])
{
	SHA256_CTX	ctx;

	SHA256_Init(&ctx);
	if ((alen > 0) + (blen > 0) + (clen > 0) > 1 &&
		alen + blen + clen <= CRYPTO_SHA256_JOIN_MAX)
	{
		uint8_t		joined[CRYPTO_SHA256_JOIN_MAX];

		if (alen > 0)
			memcpy(joined, a, alen);
		if (blen > 0)
			memcpy(joined + alen, b, blen);
		if (clen > 0)
			memcpy(joined + alen + blen, c, clen);
		SHA256_Update(&ctx, joined, alen + blen + clen);
	}
	else
	{
		if (alen > 0)
			SHA256_Update(&ctx, a, alen);
		if (blen > 0)
			SHA256_Update(&ctx, b, blen);
		if (clen > 0)
			SHA256_Update(&ctx, c, clen);
	}
	SHA256_Final(out, &ctx);
}

/*
 * Signature verification
 */

struct CryptoPublicKey
{
	CryptoAlgorithm alg;
	EVP_PKEY   *pkey;
	EVP_PKEY_CTX *vctx;			/* ECDSA: verify-initialised, reused */
	EVP_MD_CTX *tmpl;			/* Ed25519: verify-initialised once, never
								 * used itself */
	EVP_MD_CTX *work;			/* Ed25519: a copy of tmpl per call */
	size_t		rawlen;
	uint8_t		raw[CRYPTO_MAX_RAW_KEY_LEN];
};

/* SHA-256 for ECDSA's verify context, fetched once per process. */
static EVP_MD *verify_md = NULL;

/* Big-endian order n of the P-256 group. */
static const uint8_t p256_order[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};

/* Little-endian order L of the Ed25519 base point, 2^252 + 2774...8493. */
static const uint8_t ed25519_order_le[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
	0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10
};

/* Big-endian p = 2^255 - 19, d = -121665/121666 and (p - 1) / 2. */
static const uint8_t ed25519_p_be[32] = {
	0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xed
};
static const uint8_t ed25519_d_be[32] = {
	0x52, 0x03, 0x6c, 0xee, 0x2b, 0x6f, 0xfe, 0x73,
	0x8c, 0xc7, 0x40, 0x79, 0x77, 0x79, 0xe8, 0x98,
	0x00, 0x70, 0x0a, 0x4d, 0x41, 0x41, 0xd8, 0xab,
	0x75, 0xeb, 0x4d, 0xca, 0x13, 0x59, 0x78, 0xa3
};
static const uint8_t ed25519_half_pm1_be[32] = {
	0x3f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf6
};

/*
 * Canonical encodings of the eight Ed25519 points of small order (orders 1,
 * 2, 4 and 8); checked with the curve formulas when this list was written.
 */
static const uint8_t ed25519_small_order[8][32] = {
	{0x01},
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	{0x00},
	{[31] = 0x80},
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0,
		0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39,
	0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0,
		0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39,
	0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x85},
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f,
		0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
		0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6,
	0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f,
		0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
		0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6,
	0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0xfa}
};

/* Messages: full sentences, for errdetail; none mentions key bytes. */
static const char *const msg_oom = "OpenSSL could not allocate memory.";
static const char *const msg_key_too_long =
"The public key is longer than any supported encoding.";
static const char *const msg_der_not_der =
"The ECDSA signature is not DER, or has trailing bytes.";
static const char *const msg_der_not_strict =
"The ECDSA signature is not in strict DER.";
static const char *const msg_der_range =
"The ECDSA signature's r or s is out of range.";

/* SQL name to algorithm. */
CryptoAlgorithm
crypto_algorithm_from_name(const char *name, size_t len)
{
	if (len == 7 && memcmp(name, "ed25519", 7) == 0)
		return CRYPTO_ALG_ED25519;
	if (len == 10 && memcmp(name, "ecdsa-p256", 10) == 0)
		return CRYPTO_ALG_ECDSA_P256;
	if (len == 16 && memcmp(name, "ecdsa-p256-p1363", 16) == 0)
		return CRYPTO_ALG_ECDSA_P256_P1363;
	return CRYPTO_ALG_INVALID;
}

/* Algorithm to SQL name. */
const char *
crypto_algorithm_name(CryptoAlgorithm alg)
{
	switch (alg)
	{
		case CRYPTO_ALG_ED25519:
			return "ed25519";
		case CRYPTO_ALG_ECDSA_P256:
			return "ecdsa-p256";
		case CRYPTO_ALG_ECDSA_P256_P1363:
			return "ecdsa-p256-p1363";
		default:
			return "invalid";
	}
}

/* Pop the oldest queued OpenSSL error as text and clear the queue. */
static void
crypto_take_openssl_error(char *buf, size_t buflen)
{
	unsigned long e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, buf, buflen);
	else
		strlcpy(buf, "no error queued", buflen);
	ERR_clear_error();
}

/* ERROR 39000 for a failure of OpenSSL itself; see crypto.h. */
void
crypto_report_failure(CryptoFailure what, const char *relname,
					  const char *reason)
{
	char		buf[256];

	crypto_take_openssl_error(buf, sizeof(buf));
	if (reason == NULL)
		reason = "";
	if (what == CRYPTO_FAILED_PARSE_KEY)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not parse public key"),
				 errdetail_internal("%s OpenSSL: %s", reason, buf)));
	if (relname != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not verify signature of row in ledger table \"%s\"",
						relname),
				 errdetail_internal("%s OpenSSL: %s", reason, buf)));
	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("could not verify signature"),
			 errdetail_internal("%s OpenSSL: %s", reason, buf)));
	pg_unreachable();
}

/* Is the 32-byte big-endian a less than the 32-byte big-endian b? */
static bool
crypto_be32_less(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 32) < 0;
}

/* Is a 32-byte big-endian scalar in [1, n-1] for P-256? */
static bool
crypto_p256_scalar_ok(const uint8_t *be)
{
	int			i;
	uint8_t		any = 0;

	for (i = 0; i < 32; i++)
		any |= be[i];
	return any != 0 && crypto_be32_less(be, p256_order);
}

/* Is the little-endian Ed25519 scalar S below L? */
static bool
crypto_ed25519_scalar_ok(const uint8_t *s)
{
	int			i;

	for (i = 31; i >= 0; i--)
	{
		if (s[i] < ed25519_order_le[i])
			return true;
		if (s[i] > ed25519_order_le[i])
			return false;
	}
	return false;				/* S == L */
}

/*
 * RFC 8032 5.1.3 decoding of an Ed25519 point, without computing x: y must
 * be below p, and (y^2 - 1) / (d y^2 + 1) must be a square mod p (zero only
 * with the sign bit clear).  Returns NULL if the point is acceptable, else
 * the reason.  *status is set to CRYPTO_LIBRARY_ERROR if OpenSSL failed.
 */
static const char *
crypto_ed25519_check_point(const uint8_t enc[32], CryptoStatus *status)
{
	uint8_t		be[32];
	bool		sign = (enc[31] & 0x80) != 0;
	BN_CTX	   *bnctx = NULL;
	BIGNUM	   *p,
			   *d,
			   *e,
			   *y,
			   *u,
			   *v,
			   *t;
	const char *reason = NULL;
	int			i;

	for (i = 0; i < 32; i++)
		be[i] = enc[31 - i];
	be[0] &= 0x7f;
	if (!crypto_be32_less(be, ed25519_p_be))
		return "The Ed25519 point encoding is not canonical.";

	for (i = 0; i < 8; i++)
		if (memcmp(enc, ed25519_small_order[i], 32) == 0)
			return "The point has small order; such a key lets anyone forge signatures.";

	bnctx = BN_CTX_new();
	if (bnctx == NULL)
		goto oom;
	BN_CTX_start(bnctx);
	p = BN_CTX_get(bnctx);
	d = BN_CTX_get(bnctx);
	e = BN_CTX_get(bnctx);
	y = BN_CTX_get(bnctx);
	u = BN_CTX_get(bnctx);
	v = BN_CTX_get(bnctx);
	t = BN_CTX_get(bnctx);
	if (t == NULL ||
		BN_bin2bn(ed25519_p_be, 32, p) == NULL ||
		BN_bin2bn(ed25519_d_be, 32, d) == NULL ||
		BN_bin2bn(ed25519_half_pm1_be, 32, e) == NULL ||
		BN_bin2bn(be, 32, y) == NULL ||
		!BN_mod_sqr(t, y, p, bnctx) ||	/* t = y^2 */
		!BN_mod_sub(u, t, BN_value_one(), p, bnctx) ||	/* u = y^2 - 1 */
		!BN_mod_mul(v, d, t, p, bnctx) ||
		!BN_mod_add(v, v, BN_value_one(), p, bnctx))	/* v = d y^2 + 1 */
		goto oom;

	if (BN_is_zero(u))
	{
		/* x = 0: the sign bit must be clear */
		if (sign)
			reason = "The point is not on the curve.";
	}
	else
	{
		/* v is never zero, d being a non-square */
		if (BN_mod_inverse(t, v, p, bnctx) == NULL ||
			!BN_mod_mul(t, t, u, p, bnctx) ||
			!BN_mod_exp(t, t, e, p, bnctx)) /* Euler's criterion */
			goto oom;
		if (!BN_is_one(t))
			reason = "The point is not on the curve.";
	}
	BN_CTX_end(bnctx);
	BN_CTX_free(bnctx);
	return reason;

oom:
	if (bnctx != NULL)
	{
		BN_CTX_end(bnctx);
		BN_CTX_free(bnctx);
	}
	*status = CRYPTO_LIBRARY_ERROR;
	return msg_oom;
}

/* Fetch SHA-256 for ECDSA once per process, without throwing. */
static bool
crypto_verify_md_setup(void)
{
	if (verify_md == NULL)
		verify_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	return verify_md != NULL;
}

/* Build a key from a canonical raw encoding that passed the format checks. */
static CryptoPublicKey *
crypto_key_from_raw(CryptoAlgorithm alg, const uint8_t *raw, size_t rawlen,
					CryptoStatus *status, const char **err)
{
	CryptoPublicKey *key;
	EVP_PKEY_CTX *fctx = NULL;

	key = OPENSSL_zalloc(sizeof(CryptoPublicKey));
	if (key == NULL)
		goto oom;
	key->alg = alg;
	key->rawlen = rawlen;
	memcpy(key->raw, raw, rawlen);

	if (alg == CRYPTO_ALG_ED25519)
	{
		key->pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL,
												   raw, rawlen);
		if (key->pkey == NULL)
			goto oom;
		key->tmpl = EVP_MD_CTX_new();
		key->work = EVP_MD_CTX_new();
		if (key->tmpl == NULL || key->work == NULL ||
			EVP_DigestVerifyInit_ex(key->tmpl, NULL, NULL, NULL, NULL,
									key->pkey, NULL) != 1)
			goto oom;
	}
	else
	{
		OSSL_PARAM	params[3];
		int			rc;

		if (!crypto_verify_md_setup())
			goto oom;
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
													 (char *) "prime256v1", 0);
		params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
													  (void *) raw, rawlen);
		params[2] = OSSL_PARAM_construct_end();
		fctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (fctx == NULL || EVP_PKEY_fromdata_init(fctx) != 1)
			goto oom;
		if (EVP_PKEY_fromdata(fctx, &key->pkey, EVP_PKEY_PUBLIC_KEY,
							  params) != 1)
		{
			/* oct2point refuses points off the curve */
			ERR_clear_error();
			EVP_PKEY_CTX_free(fctx);
			crypto_free_public_key(key);
			*status = CRYPTO_BAD_INPUT;
			*err = "The point is not on the curve.";
			return NULL;
		}
		EVP_PKEY_CTX_free(fctx);
		fctx = NULL;

		key->vctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
		if (key->vctx == NULL)
			goto oom;
		rc = EVP_PKEY_public_check(key->vctx);
		if (rc != 1)
		{
			ERR_clear_error();
			crypto_free_public_key(key);
			*status = CRYPTO_BAD_INPUT;
			*err = "The point is not a valid P-256 public key.";
			return NULL;
		}
		if (EVP_PKEY_verify_init(key->vctx) != 1 ||
			EVP_PKEY_CTX_set_signature_md(key->vctx, verify_md) != 1)
			goto oom;
	}
	*status = CRYPTO_OK;
	return key;

oom:
	EVP_PKEY_CTX_free(fctx);
	crypto_free_public_key(key);
	*status = CRYPTO_LIBRARY_ERROR;
	*err = "OpenSSL could not set up the public key.";
	return NULL;
}

/*
 * Extract the canonical raw encoding and algorithm from a decoded SPKI key.
 * want is the algorithm asked for, or CRYPTO_ALG_INVALID to take the key's
 * own (PEM).  Returns false with *err set if the key is not acceptable.
 */
static bool
crypto_pkey_to_raw(EVP_PKEY *pkey, CryptoAlgorithm want,
				   CryptoAlgorithm *alg, uint8_t *raw, size_t *rawlen,
				   CryptoStatus *status, const char **err)
{
	*status = CRYPTO_BAD_INPUT;
	if (EVP_PKEY_is_a(pkey, "ED25519"))
	{
		size_t		len = CRYPTO_ED25519_KEY_LEN;

		if (want != CRYPTO_ALG_INVALID && want != CRYPTO_ALG_ED25519)
		{
			*err = "The SubjectPublicKeyInfo holds an Ed25519 key, not an ECDSA P-256 key.";
			return false;
		}
		if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 ||
			len != CRYPTO_ED25519_KEY_LEN)
		{
			*err = "The Ed25519 key in the SubjectPublicKeyInfo could not be read.";
			return false;
		}
		*alg = CRYPTO_ALG_ED25519;
		*rawlen = len;
		return true;
	}
	if (EVP_PKEY_is_a(pkey, "EC"))
	{
		char		group[64];
		int			explicit_params = 0;
		BIGNUM	   *x = NULL,
				   *y = NULL;
		bool		ok;

		if (want == CRYPTO_ALG_ED25519)
		{
			*err = "The SubjectPublicKeyInfo holds an ECDSA key, not an Ed25519 key.";
			return false;
		}
		if (EVP_PKEY_get_int_param(pkey,
								   OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS,
								   &explicit_params) == 1 &&
			explicit_params != 0)
		{
			*err = "The SubjectPublicKeyInfo gives explicit curve parameters; only the named curve P-256 is accepted.";
			return false;
		}
		if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
										   group, sizeof(group), NULL) != 1 ||
			strcmp(group, "prime256v1") != 0)
		{
			*err = "The SubjectPublicKeyInfo holds a key on a curve other than P-256.";
			return false;
		}
		ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
			EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
			BN_bn2binpad(x, raw + 1, 32) == 32 &&
			BN_bn2binpad(y, raw + 33, 32) == 32;
		BN_free(x);
		BN_free(y);
		if (!ok)
		{
			*err = "The point in the SubjectPublicKeyInfo could not be read.";
			return false;
		}
		raw[0] = 0x04;
		*rawlen = CRYPTO_P256_POINT_LEN;
		*alg = (want == CRYPTO_ALG_INVALID) ? CRYPTO_ALG_ECDSA_P256 : want;
		return true;
	}
	*err = "The SubjectPublicKeyInfo holds a key of an unsupported algorithm.";
	return false;
}

/* Check a raw encoding's format, then build the key. */
static CryptoPublicKey *
crypto_parse_raw(CryptoAlgorithm alg, const uint8_t *raw, size_t rawlen,
				 CryptoStatus *status, const char **err)
{
	if (alg == CRYPTO_ALG_ED25519)
	{
		const char *reason;

		Assert(rawlen == CRYPTO_ED25519_KEY_LEN);
		*status = CRYPTO_BAD_INPUT;
		reason = crypto_ed25519_check_point(raw, status);
		if (reason != NULL)
		{
			*err = reason;
			return NULL;
		}
	}
	else if (raw[0] != 0x04)
	{
		*status = CRYPTO_BAD_INPUT;
		*err = "An uncompressed P-256 point starts with the byte 0x04.";
		return NULL;
	}
	return crypto_key_from_raw(alg, raw, rawlen, status, err);
}

/*
 * A decoded SubjectPublicKeyInfo must be the DER encoding of its key:
 * i2d_PUBKEY of what d2i_PUBKEY made of der must give back der exactly.
 * OpenSSL's decoder also takes BER (long-form lengths) and a BIT STRING
 * whose first byte declares unused bits, which it clears: an Ed25519 key
 * ending in an odd byte, declared with one unused bit, became another key
 * (found by fuzzing on 2026-12-06).  Call it after crypto_pkey_to_raw, so
 * that a key of another algorithm or curve gets its own message.
 */
static bool
crypto_spki_is_der(EVP_PKEY *pkey, const uint8_t *der, size_t len,
				   CryptoStatus *status, const char **err)
{
	unsigned char *again = NULL;
	int			againlen = i2d_PUBKEY(pkey, &again);
	bool		same;

	if (againlen < 0)
	{
		*status = CRYPTO_LIBRARY_ERROR;
		*err = "OpenSSL could not encode the public key.";
		return false;
	}
	same = (size_t) againlen == len && memcmp(again, der, len) == 0;
	OPENSSL_free(again);
	if (!same)
	{
		*status = CRYPTO_BAD_INPUT;
		*err = "The SubjectPublicKeyInfo is not in DER: it has a long-form length where a short one fits, or a bit string with unused bits.";
		return false;
	}
	return true;
}

/* Parse and check a public key given as raw bytes or DER SPKI. */
CryptoPublicKey *
crypto_parse_public_key(CryptoAlgorithm alg, const uint8_t *key, size_t len,
						CryptoStatus *status, const char **err)
{
	size_t		rawlen = (alg == CRYPTO_ALG_ED25519) ?
	CRYPTO_ED25519_KEY_LEN : CRYPTO_P256_POINT_LEN;
	uint8_t		raw[CRYPTO_MAX_RAW_KEY_LEN];
	const unsigned char *p = key;
	EVP_PKEY   *pkey;
	CryptoAlgorithm got;
	bool		ok;

	*status = CRYPTO_BAD_INPUT;
	if (alg == CRYPTO_ALG_INVALID)
	{
		*err = "The signature algorithm is not supported.";
		return NULL;
	}
	if (len > CRYPTO_MAX_KEY_INPUT)
	{
		*err = msg_key_too_long;
		return NULL;
	}
	if (len == rawlen)
		return crypto_parse_raw(alg, key, len, status, err);

	/* Anything else must be a DER SubjectPublicKeyInfo (starts SEQUENCE). */
	if (len < 2 || key[0] != 0x30)
	{
		*err = (alg == CRYPTO_ALG_ED25519) ?
			"An Ed25519 public key is 32 raw bytes or a DER SubjectPublicKeyInfo." :
			"An ECDSA P-256 public key is a 65-byte uncompressed point or a DER SubjectPublicKeyInfo.";
		return NULL;
	}
	pkey = d2i_PUBKEY_ex(NULL, &p, (long) len, NULL, NULL);
	if (pkey == NULL || p != key + len)
	{
		EVP_PKEY_free(pkey);
		ERR_clear_error();
		*err = "The public key is not a valid DER SubjectPublicKeyInfo, or has trailing bytes.";
		return NULL;
	}
	ok = crypto_pkey_to_raw(pkey, alg, &got, raw, &rawlen, status, err) &&
		crypto_spki_is_der(pkey, key, len, status, err);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	if (!ok)
		return NULL;
	return crypto_parse_raw(got, raw, rawlen, status, err);
}

/*
 * The text must hold exactly one PEM block, a "PUBLIC KEY" one: OpenSSL
 * would silently take the first PUBLIC KEY block and skip blocks of other
 * kinds (a private key, a certificate), so a text holding two keys, or a
 * private key, would register something its sender did not mean.  Returns
 * NULL or the reason.
 */
static const char *
crypto_pem_one_public_key(const char *pem, size_t len)
{
	static const char begin[] = "-----BEGIN ";
	static const char pubkey[] = "PUBLIC KEY-----";
	const size_t blen = sizeof(begin) - 1;
	const size_t plen = sizeof(pubkey) - 1;
	size_t		i;
	size_t		first = 0;
	int			nblocks = 0;

	for (i = 0; i + blen <= len; i++)
	{
		if (pem[i] == '-' && memcmp(pem + i, begin, blen) == 0)
		{
			if (nblocks++ == 0)
				first = i + blen;
			i += blen - 1;
		}
	}
	if (nblocks == 0)
		return "The text holds no PEM \"PUBLIC KEY\" block that could be decoded.";
	if (nblocks > 1)
		return "The text holds more than one PEM block; give exactly one \"PUBLIC KEY\" block.";
	if (len - first < plen || memcmp(pem + first, pubkey, plen) != 0)
		return "The PEM block is not a \"PUBLIC KEY\" block; only a public key (SubjectPublicKeyInfo) is accepted.";
	return NULL;
}

/*
 * Passphrase callback of a PEM block that says it is encrypted (a public
 * key never is): no passphrase, never OpenSSL's default, which would read
 * one from a terminal.
 */
static int
crypto_pem_no_password(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* Parse and check a PEM PUBLIC KEY block. */
CryptoPublicKey *
crypto_parse_public_key_pem(const char *pem, size_t len, CryptoAlgorithm *alg,
							CryptoStatus *status, const char **err)
{
	BIO		   *bio;
	EVP_PKEY   *pkey;
	unsigned char *der = NULL;
	const unsigned char *p;
	long		derlen = 0;
	uint8_t		raw[CRYPTO_MAX_RAW_KEY_LEN];
	size_t		rawlen = 0;
	bool		ok;

	*status = CRYPTO_BAD_INPUT;
	*alg = CRYPTO_ALG_INVALID;
	if (len > CRYPTO_MAX_KEY_INPUT)
	{
		*err = msg_key_too_long;
		return NULL;
	}
	if ((*err = crypto_pem_one_public_key(pem, len)) != NULL)
		return NULL;
	bio = BIO_new_mem_buf(pem, (int) len);
	if (bio == NULL)
	{
		*status = CRYPTO_LIBRARY_ERROR;
		*err = msg_oom;
		return NULL;
	}

	/*
	 * The block's bytes, then the key: PEM_read_bio_PUBKEY would decode a
	 * SubjectPublicKeyInfo followed by trailing bytes, or in BER
	 */
	if (PEM_bytes_read_bio(&der, &derlen, NULL, PEM_STRING_PUBLIC, bio,
						   crypto_pem_no_password, NULL) != 1)
	{
		BIO_free(bio);
		ERR_clear_error();
		*err = "The text holds no PEM \"PUBLIC KEY\" block that could be decoded.";
		return NULL;
	}
	BIO_free(bio);
	p = der;
	pkey = d2i_PUBKEY_ex(NULL, &p, derlen, NULL, NULL);
	if (pkey == NULL || p != der + derlen)
	{
		EVP_PKEY_free(pkey);
		OPENSSL_free(der);
		ERR_clear_error();
		*err = "The PEM block does not hold a valid DER SubjectPublicKeyInfo, or has trailing bytes.";
		return NULL;
	}
	ok = crypto_pkey_to_raw(pkey, CRYPTO_ALG_INVALID, alg, raw, &rawlen,
							status, err) &&
		crypto_spki_is_der(pkey, der, (size_t) derlen, status, err);
	EVP_PKEY_free(pkey);
	OPENSSL_free(der);
	ERR_clear_error();
	if (!ok)
		return NULL;
	return crypto_parse_raw(*alg, raw, rawlen, status, err);
}

/* The key's algorithm. */
CryptoAlgorithm
crypto_public_key_algorithm(const CryptoPublicKey *key)
{
	return key->alg;
}

/* The key's canonical raw encoding. */
const uint8_t *
crypto_public_key_raw(const CryptoPublicKey *key, size_t *len)
{
	*len = key->rawlen;
	return key->raw;
}

/* Free a key and its OpenSSL objects. */
void
crypto_free_public_key(CryptoPublicKey *key)
{
	if (key == NULL)
		return;
	EVP_MD_CTX_free(key->work);
	EVP_MD_CTX_free(key->tmpl);
	EVP_PKEY_CTX_free(key->vctx);
	EVP_PKEY_free(key->pkey);
	OPENSSL_clear_free(key, sizeof(CryptoPublicKey));
}

/* Ed25519 verification (RFC 8032 5.1.7). */
static CryptoVerifyResult
crypto_verify_ed25519(CryptoPublicKey *key, const uint8_t *msg, size_t msglen,
					  const uint8_t *sig, size_t siglen, const char **err)
{
	int			rc;

	if (siglen != 64)
	{
		*err = "An Ed25519 signature is 64 bytes.";
		return CRYPTO_SIG_MALFORMED;
	}
	if (!crypto_ed25519_scalar_ok(sig + 32))
	{
		*err = "The Ed25519 signature's S is not below the group order.";
		return CRYPTO_SIG_MALFORMED;
	}
	/* a fresh copy of the initialised context: no fetch, no key setup */
	if (EVP_MD_CTX_copy_ex(key->work, key->tmpl) != 1)
	{
		*err = "OpenSSL could not start an Ed25519 verification.";
		return CRYPTO_SIG_ERROR;
	}
	rc = EVP_DigestVerify(key->work, sig, siglen, msg, msglen);
	if (rc == 1)
		return CRYPTO_SIG_VALID;
	/* OpenSSL 3.0 returns 0 for any mismatch, including an R off the curve */
	ERR_clear_error();
	return CRYPTO_SIG_INVALID;
}

/*
 * ECDSA P-256 verification of a strict DER signature (already checked)
 * over the SHA-256 digest of the message.
 */
static CryptoVerifyResult
crypto_verify_ecdsa_digest(CryptoPublicKey *key, const uint8_t *digest,
						   const uint8_t *der, size_t derlen, const char **err)
{
	int			rc;

	rc = EVP_PKEY_verify(key->vctx, der, derlen, digest, LEDGER_HASH_LEN);
	if (rc == 1)
		return CRYPTO_SIG_VALID;
	if (rc == 0)
	{
		ERR_clear_error();
		return CRYPTO_SIG_INVALID;
	}
	*err = "OpenSSL could not verify an ECDSA signature.";
	return CRYPTO_SIG_ERROR;
}

/*
 * Read one DER INTEGER at *p (before end) holding a non-negative value of at
 * most 32 bytes, minimally encoded, into a 32-byte big-endian out; advance
 * *p.  Returns NULL or the reason it is refused.
 */
static const char *
crypto_der_read_scalar(const uint8_t **p, const uint8_t *end, uint8_t out[32])
{
	const uint8_t *q = *p;
	size_t		len;

	if (end - q < 2 || q[0] != 0x02)
		return msg_der_not_der;
	if (q[1] & 0x80)
		return msg_der_not_strict;	/* long form: never minimal here */
	len = q[1];
	q += 2;
	if (len == 0 || (size_t) (end - q) < len)
		return msg_der_not_der;
	if (q[0] & 0x80)
		return msg_der_range;	/* negative */
	if (len > 1 && q[0] == 0x00 && (q[1] & 0x80) == 0)
		return msg_der_not_strict;	/* a leading zero it does not need */
	*p = q + len;
	if (len > 1 && q[0] == 0x00)
	{
		q++;
		len--;
	}
	if (len > 32)
		return msg_der_range;
	memset(out, 0, 32 - len);
	memcpy(out + 32 - len, q, len);
	return NULL;
}

/*
 * Strict DER ECDSA-Sig-Value: SEQUENCE { r INTEGER, s INTEGER } in short
 * form lengths, minimal non-negative integers, nothing after; then
 * 1 <= r, s < n.  VALID (well formed) or MALFORMED with *err.
 */
static CryptoVerifyResult
crypto_ecdsa_der_check(const uint8_t *sig, size_t siglen, const char **err)
{
	const uint8_t *p = sig + 2;
	const uint8_t *end = sig + siglen;
	uint8_t		r[32];
	uint8_t		s[32];
	const char *reason;

	/* SEQUENCE of two INTEGERs of at most 33 bytes: 72 bytes at most */
	if (siglen < 8 || siglen > 72)
	{
		*err = "The ECDSA signature's length cannot be that of a DER P-256 signature.";
		return CRYPTO_SIG_MALFORMED;
	}
	if (sig[0] != 0x30)
		reason = msg_der_not_der;
	else if (sig[1] & 0x80)
		reason = msg_der_not_strict;	/* long form */
	else if (sig[1] != siglen - 2)
		reason = msg_der_not_der;
	else if ((reason = crypto_der_read_scalar(&p, end, r)) == NULL &&
			 (reason = crypto_der_read_scalar(&p, end, s)) == NULL &&
			 p != end)
		reason = msg_der_not_der;
	if (reason != NULL)
	{
		*err = reason;
		return CRYPTO_SIG_MALFORMED;
	}
	if (!crypto_p256_scalar_ok(r))
	{
		*err = "The ECDSA signature's r is not in [1, n-1].";
		return CRYPTO_SIG_MALFORMED;
	}
	if (!crypto_p256_scalar_ok(s))
	{
		*err = "The ECDSA signature's s is not in [1, n-1].";
		return CRYPTO_SIG_MALFORMED;
	}
	return CRYPTO_SIG_VALID;
}

/*
 * Append the minimal DER INTEGER of a 32-byte big-endian non-zero scalar at
 * out; returns the bytes written (3 to 35).
 */
static size_t
crypto_der_put_scalar(uint8_t *out, const uint8_t be[32])
{
	size_t		skip = 0;
	size_t		len;
	size_t		n = 0;

	while (skip < 31 && be[skip] == 0)
		skip++;
	len = 32 - skip;
	out[n++] = 0x02;
	out[n++] = (uint8_t) (len + ((be[skip] & 0x80) ? 1 : 0));
	if (be[skip] & 0x80)
		out[n++] = 0x00;
	memcpy(out + n, be + skip, len);
	return n + len;
}

/* The SHA-256 digest of msg: the caller's, or computed here. */
static const uint8_t *
crypto_message_digest(const uint8_t *msg, size_t msglen,
					  const uint8_t *digest, uint8_t buf[LEDGER_HASH_LEN])
{
	if (digest != NULL)
		return digest;
	crypto_sha256_3(msg, msglen, NULL, 0, NULL, 0, buf);
	return buf;
}

/* ECDSA with a DER signature: strict DER, scalars in range, then verify. */
static CryptoVerifyResult
crypto_verify_ecdsa(CryptoPublicKey *key, const uint8_t *msg, size_t msglen,
					const uint8_t *digest, const uint8_t *sig, size_t siglen,
					const char **err)
{
	uint8_t		buf[LEDGER_HASH_LEN];
	CryptoVerifyResult res;

	res = crypto_ecdsa_der_check(sig, siglen, err);
	if (res != CRYPTO_SIG_VALID)
		return res;
	return crypto_verify_ecdsa_digest(key,
									  crypto_message_digest(msg, msglen, digest, buf),
									  sig, siglen, err);
}

/* ECDSA with a raw r || s signature, encoded as DER here. */
static CryptoVerifyResult
crypto_verify_ecdsa_p1363(CryptoPublicKey *key, const uint8_t *msg,
						  size_t msglen, const uint8_t *digest,
						  const uint8_t *sig, size_t siglen, const char **err)
{
	uint8_t		der[72];
	uint8_t		buf[LEDGER_HASH_LEN];
	size_t		n;

	if (siglen != 64)
	{
		*err = "An IEEE P1363 P-256 signature is 64 bytes, r then s.";
		return CRYPTO_SIG_MALFORMED;
	}
	if (!crypto_p256_scalar_ok(sig))
	{
		*err = "The ECDSA signature's r is not in [1, n-1].";
		return CRYPTO_SIG_MALFORMED;
	}
	if (!crypto_p256_scalar_ok(sig + 32))
	{
		*err = "The ECDSA signature's s is not in [1, n-1].";
		return CRYPTO_SIG_MALFORMED;
	}
	n = 2;
	n += crypto_der_put_scalar(der + n, sig);
	n += crypto_der_put_scalar(der + n, sig + 32);
	der[0] = 0x30;
	der[1] = (uint8_t) (n - 2);
	return crypto_verify_ecdsa_digest(key,
									  crypto_message_digest(msg, msglen, digest, buf),
									  der, n, err);
}

/* Verify sig over msg with key (digest: SHA-256 of msg, or NULL). */
CryptoVerifyResult
crypto_verify_digested(CryptoPublicKey *key, const uint8_t *msg, size_t msglen,
					   const uint8_t *digest, const uint8_t *sig,
					   size_t siglen, const char **err)
{
	static const uint8_t empty[1] = {0};
	const char *dummy;

	if (err == NULL)
		err = &dummy;
	*err = NULL;
	if (msg == NULL)
	{
		msg = empty;
		msglen = 0;
	}
	if (sig == NULL)
	{
		sig = empty;
		siglen = 0;
	}
	switch (key->alg)
	{
		case CRYPTO_ALG_ED25519:
			return crypto_verify_ed25519(key, msg, msglen, sig, siglen, err);
		case CRYPTO_ALG_ECDSA_P256:
			return crypto_verify_ecdsa(key, msg, msglen, digest, sig, siglen,
									   err);
		case CRYPTO_ALG_ECDSA_P256_P1363:
			return crypto_verify_ecdsa_p1363(key, msg, msglen, digest, sig,
											 siglen, err);
		default:
			*err = "The signature algorithm is not supported.";
			return CRYPTO_SIG_ERROR;
	}
}

/* Verify sig over msg with key. */
CryptoVerifyResult
crypto_verify(CryptoPublicKey *key, const uint8_t *msg, size_t msglen,
			  const uint8_t *sig, size_t siglen, const char **err)
{
	return crypto_verify_digested(key, msg, msglen, NULL, sig, siglen, err);
}
