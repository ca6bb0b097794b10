/*-------------------------------------------------------------------------
 *
 * crypto.h
 *		The only door to OpenSSL: hashing and signature verification.
 *
 * Hashing cannot fail.  The signature half never throws: every function
 * reports failure through its return value and a static, key-free
 * explanation, and frees every OpenSSL object it made before returning.
 * Callers in the server turn those results into ereport()s, OpenSSL's own
 * failures through crypto_report_failure; fuzz targets link this file with
 * a tiny stub of the error functions, which none of their calls reach.
 *
 * A CryptoPublicKey is allocated with OpenSSL's allocator, not palloc, so
 * its lifetime is the caller's choice: a backend-lifetime cache is fine.  A
 * caller that keeps one across code that may throw must own it through a
 * memory context reset callback or a ResourceOwner, as sig.c does.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_CRYPTO_H
#define LEDGER_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEDGER_HASH_LEN 32		/* SHA-256 */

/* Canonical ("raw") public key encodings kept in ledger.keys. */
#define CRYPTO_ED25519_KEY_LEN 32
#define CRYPTO_P256_POINT_LEN 65	/* 0x04 || X || Y */
#define CRYPTO_MAX_RAW_KEY_LEN 65

/* Longest key or PEM text looked at; anything longer is refused unread. */
#define CRYPTO_MAX_KEY_INPUT 4096

/* Signature algorithms, by their SQL names. */
typedef enum CryptoAlgorithm
{
	CRYPTO_ALG_INVALID = 0,
	CRYPTO_ALG_ED25519,			/* "ed25519": RFC 8032 pure Ed25519 */
	CRYPTO_ALG_ECDSA_P256,		/* "ecdsa-p256": SHA-256, DER signature */
	CRYPTO_ALG_ECDSA_P256_P1363 /* "ecdsa-p256-p1363": SHA-256, r || s */
} CryptoAlgorithm;

/* Outcome of parsing a key. */
typedef enum CryptoStatus
{
	CRYPTO_OK = 0,
	CRYPTO_BAD_INPUT,			/* caller's bytes are not acceptable: 22023 */
	CRYPTO_LIBRARY_ERROR		/* OpenSSL itself failed: 39000 */
} CryptoStatus;

/* Outcome of verifying a signature. */
typedef enum CryptoVerifyResult
{
	CRYPTO_SIG_VALID = 0,
	CRYPTO_SIG_INVALID,			/* well formed, but does not verify */
	CRYPTO_SIG_MALFORMED,		/* wrong length, not strict DER, scalar out of
								 * range: rejected before any curve math */
	CRYPTO_SIG_ERROR			/* OpenSSL itself failed: 39000 */
} CryptoVerifyResult;

/* A parsed, checked public key, ready to verify; opaque. */
typedef struct CryptoPublicKey CryptoPublicKey;

/*
 * One-shot SHA-256 over up to three buffers concatenated (any may be NULL
 * with length 0).  Used for RFC 6962 leaves (prefix 0x00), nodes (0x01),
 * block headers and signed messages.  Cannot fail.
 */
extern void crypto_sha256_3(const void *a, size_t alen,
							const void *b, size_t blen,
							const void *c, size_t clen,
							uint8_t out[LEDGER_HASH_LEN]);

/* SQL name to algorithm (exact, case-sensitive); CRYPTO_ALG_INVALID if none. */
extern CryptoAlgorithm crypto_algorithm_from_name(const char *name,
												  size_t len);

/* Algorithm to its SQL name; "invalid" for CRYPTO_ALG_INVALID. */
extern const char *crypto_algorithm_name(CryptoAlgorithm alg);

/*
 * Parse and check a public key.  Accepted encodings: Ed25519, 32 raw bytes;
 * ECDSA P-256, the 65-byte uncompressed point; both, a DER
 * SubjectPublicKeyInfo with no trailing bytes.  Checks: canonical encoding,
 * point on the curve, not of small order, named curve P-256 only.  On
 * failure returns NULL, sets *status and points *err at a static sentence
 * (never containing key bytes).  Free the result with
 * crypto_free_public_key.
 */
extern CryptoPublicKey *crypto_parse_public_key(CryptoAlgorithm alg,
												const uint8_t *key,
												size_t len,
												CryptoStatus *status,
												const char **err);

/*
 * Parse a text holding exactly one PEM block, a "PUBLIC KEY" block
 * (SubjectPublicKeyInfo); text around it is allowed (RFC 7468).  *alg is
 * set to CRYPTO_ALG_ED25519 or CRYPTO_ALG_ECDSA_P256 from the key itself.
 * Same checks and error reporting as crypto_parse_public_key.
 */
extern CryptoPublicKey *crypto_parse_public_key_pem(const char *pem,
													size_t len,
													CryptoAlgorithm *alg,
													CryptoStatus *status,
													const char **err);

/* The key's algorithm and canonical raw encoding (32 or 65 bytes). */
extern CryptoAlgorithm crypto_public_key_algorithm(const CryptoPublicKey *key);
extern const uint8_t *crypto_public_key_raw(const CryptoPublicKey *key,
											size_t *len);

/*
 * Verify a signature over msg with key, strictly: Ed25519 per RFC 8032
 * (S < L), ECDSA with strict DER (re-encoded and compared) or exactly 64
 * bytes of r || s, with 1 <= r, s < n.  High-S ECDSA signatures are valid,
 * as FIPS 186-5 says.  On CRYPTO_SIG_MALFORMED or CRYPTO_SIG_ERROR, *err
 * (if not NULL) points at a static sentence.  The key is not modified in
 * any visible way, but it keeps reusable OpenSSL contexts, so it is not
 * const and must not be shared between threads.
 */
extern CryptoVerifyResult crypto_verify(CryptoPublicKey *key,
										const uint8_t *msg, size_t msglen,
										const uint8_t *sig, size_t siglen,
										const char **err);

/*
 * crypto_verify for a caller that already has digest, the SHA-256 of msg
 * (or NULL): ECDSA then does not hash the message again.  The digest must
 * be that of msg; Ed25519 ignores it (it hashes R || A || msg itself).
 */
extern CryptoVerifyResult crypto_verify_digested(CryptoPublicKey *key,
												 const uint8_t *msg,
												 size_t msglen,
												 const uint8_t *digest,
												 const uint8_t *sig,
												 size_t siglen,
												 const char **err);

/* Free a key from crypto_parse_public_key*; NULL is allowed. */
extern void crypto_free_public_key(CryptoPublicKey *key);

/* What failed, for crypto_report_failure. */
typedef enum CryptoFailure
{
	CRYPTO_FAILED_PARSE_KEY,	/* after CRYPTO_LIBRARY_ERROR */
	CRYPTO_FAILED_VERIFY		/* after CRYPTO_SIG_ERROR */
} CryptoFailure;

/*
 * Raise ERROR 39000 for a failure of OpenSSL itself: "could not parse
 * public key", "could not verify signature" or, given relname, "could not
 * verify signature of row in ledger table", with reason (the static
 * sentence the failed call returned) and OpenSSL's oldest queued error in
 * the detail; the queue is cleared.  Server code only.
 */
#ifdef PG_VERSION_NUM
extern void crypto_report_failure(CryptoFailure what, const char *relname,
								  const char *reason) pg_attribute_noreturn();
#endif

#endif							/* LEDGER_CRYPTO_H */
