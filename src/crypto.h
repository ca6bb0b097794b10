/*-------------------------------------------------------------------------
 *
 * crypto.h
 *		The only door to OpenSSL: hashing (and signature verification).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_CRYPTO_H
#define LEDGER_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define LEDGER_HASH_LEN 32		/* SHA-256 */

/*
 * One-shot SHA-256 over up to three buffers concatenated (any may be NULL
 * with length 0).  Used for RFC 6962 leaves (prefix 0x00), nodes (0x01) and
 * block headers.
 */
extern void crypto_sha256_3(const void *a, size_t alen,
							const void *b, size_t blen,
							const void *c, size_t clen,
							uint8_t out[LEDGER_HASH_LEN]);

#endif							/* LEDGER_CRYPTO_H */
