/*-------------------------------------------------------------------------
 *
 * crypto.c
 *		All of ledger's use of OpenSSL.
 *
 * No other file includes an OpenSSL header.  Hashing keeps one EVP_MD_CTX
 * and one fetched EVP_MD for the life of the backend: EVP_MD_fetch is costly
 * and a leaf hash is computed for every inserted and every verified row.
 * Nothing here allocates per call, so an ERROR thrown by a caller between
 * calls leaks nothing.
 *
 * Failures of OpenSSL itself are reported with SQLSTATE 39000
 * (external_routine_exception), as pgcrypto does.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/evp.h>
#include <openssl/err.h>

#include "crypto.h"

static EVP_MD *sha256_md = NULL;
static EVP_MD_CTX *sha256_ctx = NULL;

/* Report the newest OpenSSL error for a failed step. */
static void
crypto_openssl_error(const char *what)
{
	unsigned long e = ERR_get_error();
	char		buf[256];

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		strlcpy(buf, "no error queued", sizeof(buf));
	ERR_clear_error();
	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("could not %s", what),
			 errdetail_internal("OpenSSL: %s", buf)));
}

/* Fetch the digest and context once per backend. */
static void
crypto_sha256_setup(void)
{
	if (sha256_md == NULL)
	{
		sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
		if (sha256_md == NULL)
			crypto_openssl_error("load the SHA-256 digest");
	}
	if (sha256_ctx == NULL)
	{
		sha256_ctx = EVP_MD_CTX_new();
		if (sha256_ctx == NULL)
			crypto_openssl_error("allocate a digest context");
	}
}

/* SHA-256 of a || b || c. */
void
crypto_sha256_3(const void *a, size_t alen,
				const void *b, size_t blen,
				const void *c, size_t clen,
				uint8_t out[LEDGER_HASH_LEN])
{
	unsigned int outlen = 0;

	crypto_sha256_setup();
	if (EVP_DigestInit_ex2(sha256_ctx, sha256_md, NULL) != 1 ||
		(alen > 0 && EVP_DigestUpdate(sha256_ctx, a, alen) != 1) ||
		(blen > 0 && EVP_DigestUpdate(sha256_ctx, b, blen) != 1) ||
		(clen > 0 && EVP_DigestUpdate(sha256_ctx, c, clen) != 1) ||
		EVP_DigestFinal_ex(sha256_ctx, out, &outlen) != 1 ||
		outlen != LEDGER_HASH_LEN)
		crypto_openssl_error("compute a SHA-256 digest");
}
