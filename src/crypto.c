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
 * cannot fail, so an ERROR thrown by a caller leaks nothing.
 *
 * Failures of OpenSSL itself are reported with SQLSTATE 39000
 * (external_routine_exception), as pgcrypto does.
 *
 * Signature verification (the second half of the file) never throws and
 * never uses palloc: results come back as codes plus static sentences, and
 * every OpenSSL object made during a call is freed before it returns, so
 * the caller may ereport() freely afterwards.  Only CryptoPublicKey
 * outlives a call; its owner frees it (sig.c ties it to a memory context
 * reset callback).  Keeping this half free of the server lets the fuzz
 * targets in test/fuzz link this file with a stub of elog.
 *
 * Strictness.  A key or signature is accepted only in its canonical form:
 *	- Ed25519 keys: y < p, the point decodes (RFC 8032 5.1.3) and is not one
 *	  of the eight points of small order, for which forging is easy;
 *	- Ed25519 signatures: 64 bytes, S < L (RFC 8032 5.1.7), then OpenSSL's
 *	  cofactorless check, which also refuses a non-canonical R;
 *	- P-256 keys: the uncompressed point, or SPKI on the named curve, with
 *	  OpenSSL's full public key check (on the curve, not infinity);
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
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "crypto.h"


/* SHA-256 of a || b || c. */
void
crypto_sha256_3(const void *a, size_t alen,
				const void *b, size_t blen,
				const void *c, size_t clen,
				uint8_t out[LEDGER_HASH_LEN])
{
	SHA256_CTX	ctx;

	SHA256_Init(&ctx);
	if (alen > 0)
		SHA256_Update(&ctx, a, alen);
	if (blen > 0)
		SHA256_Update(&ctx, b, blen);
	if (clen > 0)
		SHA256_Update(&ctx, c, clen);
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
	EVP_MD_CTX *mdctx;			/* Ed25519: re-initialised per call */
	size_t		rawlen;
	uint8_t		raw[CRYPTO_MAX_RAW_KEY_LEN];
};

/* SHA-256 for ECDSA, fetched once; unlike sha256_md, fetched without throwing. */
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
void
crypto_take_openssl_error(char *buf, size_t buflen)
{
	unsigned long e = ERR_get_error();

	if (buflen == 0)
		return;
	if (e != 0)
		ERR_error_string_n(e, buf, buflen);
	else
	{
		const char *none = "no error queued";
		size_t		n = strlen(none);

		if (n >= buflen)
			n = buflen - 1;
		memcpy(buf, none, n);
		buf[n] = '\0';
	}
	ERR_clear_error();
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
		key->mdctx = EVP_MD_CTX_new();
		if (key->mdctx == NULL)
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
	ok = crypto_pkey_to_raw(pkey, alg, &got, raw, &rawlen, status, err);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	if (!ok)
		return NULL;
	return crypto_parse_raw(got, raw, rawlen, status, err);
}

/* Parse and check a PEM PUBLIC KEY block. */
CryptoPublicKey *
crypto_parse_public_key_pem(const char *pem, size_t len, CryptoAlgorithm *alg,
							CryptoStatus *status, const char **err)
{
	BIO		   *bio;
	EVP_PKEY   *pkey;
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
	bio = BIO_new_mem_buf(pem, (int) len);
	if (bio == NULL)
	{
		*status = CRYPTO_LIBRARY_ERROR;
		*err = msg_oom;
		return NULL;
	}
	pkey = PEM_read_bio_PUBKEY_ex(bio, NULL, NULL, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey == NULL)
	{
		ERR_clear_error();
		*err = "The text holds no PEM \"PUBLIC KEY\" block that could be decoded.";
		return NULL;
	}
	ok = crypto_pkey_to_raw(pkey, CRYPTO_ALG_INVALID, alg, raw, &rawlen,
							status, err);
	EVP_PKEY_free(pkey);
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
	EVP_MD_CTX_free(key->mdctx);
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
	EVP_MD_CTX_reset(key->mdctx);
	if (EVP_DigestVerifyInit_ex(key->mdctx, NULL, NULL, NULL, NULL,
								key->pkey, NULL) != 1)
	{
		*err = "OpenSSL could not start an Ed25519 verification.";
		return CRYPTO_SIG_ERROR;
	}
	rc = EVP_DigestVerify(key->mdctx, sig, siglen, msg, msglen);
	if (rc == 1)
		return CRYPTO_SIG_VALID;
	/* OpenSSL 3.0 returns 0 for any mismatch, including an R off the curve */
	ERR_clear_error();
	return CRYPTO_SIG_INVALID;
}

/* ECDSA P-256 with SHA-256 over a DER signature already checked strict. */
static CryptoVerifyResult
crypto_verify_ecdsa_der(CryptoPublicKey *key, const uint8_t *msg,
						size_t msglen, const uint8_t *der, size_t derlen,
						const char **err)
{
	uint8_t		digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	int			rc;

	if (EVP_Digest(msg, msglen, digest, &dlen, verify_md, NULL) != 1 ||
		dlen != 32)
	{
		*err = "OpenSSL could not compute a SHA-256 digest.";
		return CRYPTO_SIG_ERROR;
	}
	rc = EVP_PKEY_verify(key->vctx, der, derlen, digest, dlen);
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

/* Check that an ECDSA_SIG's r and s are in [1, n-1]: VALID or MALFORMED. */
static CryptoVerifyResult
crypto_ecdsa_sig_scalars(const ECDSA_SIG *es, const char **err)
{
	const BIGNUM *r = NULL;
	const BIGNUM *s = NULL;
	uint8_t		buf[32];

	ECDSA_SIG_get0(es, &r, &s);
	if (r == NULL || s == NULL ||
		BN_is_negative(r) || BN_is_negative(s) ||
		BN_num_bytes(r) > 32 || BN_num_bytes(s) > 32)
	{
		*err = "The ECDSA signature's r or s is out of range.";
		return CRYPTO_SIG_MALFORMED;
	}
	if (BN_bn2binpad(r, buf, 32) != 32 || !crypto_p256_scalar_ok(buf))
	{
		*err = "The ECDSA signature's r is not in [1, n-1].";
		return CRYPTO_SIG_MALFORMED;
	}
	if (BN_bn2binpad(s, buf, 32) != 32 || !crypto_p256_scalar_ok(buf))
	{
		*err = "The ECDSA signature's s is not in [1, n-1].";
		return CRYPTO_SIG_MALFORMED;
	}
	return CRYPTO_SIG_VALID;
}

/* ECDSA with a DER signature: strict DER, scalars in range, then verify. */
static CryptoVerifyResult
crypto_verify_ecdsa(CryptoPublicKey *key, const uint8_t *msg, size_t msglen,
					const uint8_t *sig, size_t siglen, const char **err)
{
	const unsigned char *p = sig;
	unsigned char *der = NULL;
	ECDSA_SIG  *es;
	int			derlen;
	CryptoVerifyResult res;

	/* SEQUENCE of two INTEGERs of at most 33 bytes: 72 bytes at most */
	if (siglen < 8 || siglen > 72)
	{
		*err = "The ECDSA signature's length cannot be that of a DER P-256 signature.";
		return CRYPTO_SIG_MALFORMED;
	}
	es = d2i_ECDSA_SIG(NULL, &p, (long) siglen);
	if (es == NULL || p != sig + siglen)
	{
		ECDSA_SIG_free(es);
		ERR_clear_error();
		*err = "The ECDSA signature is not DER, or has trailing bytes.";
		return CRYPTO_SIG_MALFORMED;
	}
	res = crypto_ecdsa_sig_scalars(es, err);
	if (res != CRYPTO_SIG_VALID)
	{
		ECDSA_SIG_free(es);
		return res;
	}
	derlen = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (derlen <= 0)
	{
		*err = "OpenSSL could not encode an ECDSA signature.";
		return CRYPTO_SIG_ERROR;
	}
	if ((size_t) derlen != siglen || memcmp(der, sig, siglen) != 0)
	{
		OPENSSL_free(der);
		*err = "The ECDSA signature is not in strict DER.";
		return CRYPTO_SIG_MALFORMED;
	}
	OPENSSL_free(der);
	return crypto_verify_ecdsa_der(key, msg, msglen, sig, siglen, err);
}

/* ECDSA with a raw r || s signature, converted to DER. */
static CryptoVerifyResult
crypto_verify_ecdsa_p1363(CryptoPublicKey *key, const uint8_t *msg,
						  size_t msglen, const uint8_t *sig, size_t siglen,
						  const char **err)
{
	ECDSA_SIG  *es;
	BIGNUM	   *r,
			   *s;
	unsigned char *der = NULL;
	int			derlen;
	CryptoVerifyResult res;

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
	es = ECDSA_SIG_new();
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1)
	{
		ECDSA_SIG_free(es);
		BN_free(r);
		BN_free(s);
		*err = msg_oom;
		return CRYPTO_SIG_ERROR;
	}
	derlen = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);			/* frees r and s */
	if (derlen <= 0)
	{
		*err = "OpenSSL could not encode an ECDSA signature.";
		return CRYPTO_SIG_ERROR;
	}
	res = crypto_verify_ecdsa_der(key, msg, msglen, der, derlen, err);
	OPENSSL_free(der);
	return res;
}

/* Verify sig over msg with key. */
CryptoVerifyResult
crypto_verify(CryptoPublicKey *key, const uint8_t *msg, size_t msglen,
			  const uint8_t *sig, size_t siglen, const char **err)
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
			return crypto_verify_ecdsa(key, msg, msglen, sig, siglen, err);
		case CRYPTO_ALG_ECDSA_P256_P1363:
			return crypto_verify_ecdsa_p1363(key, msg, msglen, sig, siglen,
											 err);
		default:
			*err = "The signature algorithm is not supported.";
			return CRYPTO_SIG_ERROR;
	}
}
