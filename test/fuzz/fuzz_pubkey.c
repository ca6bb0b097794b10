/*-------------------------------------------------------------------------
 *
 * fuzz_pubkey.c
 *		libFuzzer target: the public key parsers of crypto.c.
 *
 * The first input byte picks the parser (Ed25519, ECDSA P-256, P-256 for
 * P1363, PEM); the rest is the key.  Beyond not crashing, an accepted key's
 * canonical encoding must parse again to the same encoding, a parse must
 * never report an OpenSSL failure for any input, and a key accepted as a
 * SubjectPublicKeyInfo must have been given in its one DER encoding (with
 * the point uncompressed or compressed, for P-256): OpenSSL alone also
 * decodes BER and clears a BIT STRING's declared unused bits, which made
 * another key of an Ed25519 key (found by fuzzing in SQL on 2026-12-06).
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Is key (len bytes, not raw) the DER SPKI of raw (Ed25519 or a P-256 point)? */
static int
fuzz_is_der_spki(const uint8_t *key, size_t len, const uint8_t *raw, size_t rawlen)
{
	static const uint8_t ed_hdr[] = {
		0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
	};
	static const uint8_t ec_hdr[] = {
		0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
		0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03,
		0x42, 0x00
	};
	static const uint8_t ecc_hdr[] = {
		0x30, 0x39, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
		0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03,
		0x22, 0x00
	};

	if (rawlen == 32)
		return len == sizeof(ed_hdr) + 32 &&
			memcmp(key, ed_hdr, sizeof(ed_hdr)) == 0 &&
			memcmp(key + sizeof(ed_hdr), raw, 32) == 0;
	if (len == sizeof(ec_hdr) + 65)
		return memcmp(key, ec_hdr, sizeof(ec_hdr)) == 0 &&
			memcmp(key + sizeof(ec_hdr), raw, 65) == 0;
	return len == sizeof(ecc_hdr) + 33 &&
		memcmp(key, ecc_hdr, sizeof(ecc_hdr)) == 0 &&
		key[sizeof(ecc_hdr)] == (0x02 | (raw[64] & 1)) &&
		memcmp(key + sizeof(ecc_hdr) + 1, raw + 1, 32) == 0;
}

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
	if ((data[0] & 3) != 3 && size - 1 != rawlen &&
		!fuzz_is_der_spki(data + 1, size - 1, raw, rawlen))
	{
		fprintf(stderr, "a SubjectPublicKeyInfo not in DER was accepted\n");
		abort();
	}
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
