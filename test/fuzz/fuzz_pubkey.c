/*-------------------------------------------------------------------------
 *
 * fuzz_pubkey.c
 *		libFuzzer target: the public key parsers of crypto.c.
 *
 * The first input byte picks the parser (Ed25519, ECDSA P-256, P-256 for
 * P1363, PEM); the rest is the key.  Beyond not crashing, an accepted key's
 * canonical encoding must parse again to the same encoding, and a parse
 * must never report an OpenSSL failure for any input.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse one input and check the round trip. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	CryptoAlgorithm alg;
	CryptoStatus status = CRYPTO_OK;
	const char *err = NULL;
	CryptoPublicKey *key;
	CryptoPublicKey *again;
	const uint8_t *raw;
	size_t		rawlen;

	if (size < 1)
		return 0;
	switch (data[0] & 3)
	{
		case 0:
			alg = CRYPTO_ALG_ED25519;
			key = crypto_parse_public_key(alg, data + 1, size - 1, &status, &err);
			break;
		case 1:
			alg = CRYPTO_ALG_ECDSA_P256;
			key = crypto_parse_public_key(alg, data + 1, size - 1, &status, &err);
			break;
		case 2:
			alg = CRYPTO_ALG_ECDSA_P256_P1363;
			key = crypto_parse_public_key(alg, data + 1, size - 1, &status, &err);
			break;
		default:
			key = crypto_parse_public_key_pem((const char *) data + 1, size - 1,
											  &alg, &status, &err);
			break;
	}
	if (key == NULL)
	{
		if (status != CRYPTO_BAD_INPUT || err == NULL)
		{
			fprintf(stderr, "parse failed with status %d: %s\n", (int) status,
					err ? err : "(no reason)");
			abort();
		}
		return 0;
	}
	raw = crypto_public_key_raw(key, &rawlen);
	again = crypto_parse_public_key(crypto_public_key_algorithm(key), raw,
									rawlen, &status, &err);
	if (again == NULL)
	{
		fprintf(stderr, "canonical key does not parse again: %s\n", err);
		abort();
	}
	{
		size_t		len2;
		const uint8_t *raw2 = crypto_public_key_raw(again, &len2);

		if (len2 != rawlen || memcmp(raw, raw2, rawlen) != 0)
			abort();
	}
	crypto_free_public_key(again);
	crypto_free_public_key(key);
	return 0;
}
