/*-------------------------------------------------------------------------
 *
 * sig.h
 *		SQL-facing signature verification helpers (see sig.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_SIG_H
#define LEDGER_SIG_H

#include "crypto.h"

/* Algorithm named by a text datum; ERROR 22023 if it names none. */
extern CryptoAlgorithm sig_algorithm_from_text(text *name);

/*
 * Parse a public key; ERROR 22023 if unacceptable, 39000 if OpenSSL fails.
 * The caller owns the result: free it with crypto_free_public_key, and make
 * sure nothing can throw before that, or tie it to a memory context reset
 * callback.
 */
extern CryptoPublicKey *sig_parse_public_key(CryptoAlgorithm alg,
											 const uint8 *key, size_t len);

#endif							/* LEDGER_SIG_H */
