/*-------------------------------------------------------------------------
 *
 * fuzz_verify.c
 *		libFuzzer target: signature decoding and verification in crypto.c.
 *
 * Keys are fixed (RFC 8032 TEST 1, RFC 6979 A.2.5 P-256), so mutations of
 * the seed corpus (valid signatures) reach the DER parser, the range checks
 * and OpenSSL's verify.  Input: byte 0 picks the algorithm, byte 1 the
 * signature length; then the signature, then the message.  Checks: no
 * crash, no CRYPTO_SIG_ERROR, the same answer on a second call with the
 * same key object (its reused contexts keep no state between calls) and
 * through crypto_verify_digested with the message's SHA-256, and two
 * differential oracles built on OpenSSL itself (this harness, unlike the
 * extension, includes OpenSSL headers): crypto.c's hand-written strict DER
 * parser accepts exactly what d2i_ECDSA_SIG decodes whole, i2d_ECDSA_SIG
 * re-encodes to the same bytes and has 1 <= r, s < n; and an r || s
 * signature verifies exactly when OpenSSL's DER encoding of it does.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/x509.h>

#include "crypto.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t ed_pk[32] = {
	0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3,
	0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25,
	0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a
};
static const uint8_t ec_pk[65] = {
	0x04,
	0x60, 0xfe, 0xd4, 0xba, 0x25, 0x5a, 0x9d, 0x31, 0xc9, 0x61, 0xeb, 0x74,
	0xc6, 0x35, 0x6d, 0x68, 0xc0, 0x49, 0xb8, 0x92, 0x3b, 0x61, 0xfa, 0x6c,
	0xe6, 0x69, 0x62, 0x2e, 0x60, 0xf2, 0x9f, 0xb6,
	0x79, 0x03, 0xfe, 0x10, 0x08, 0xb8, 0xbc, 0x99, 0xa4, 0x1a, 0xe9, 0xe9,
	0x56, 0x28, 0xbc, 0x64, 0xf2, 0xf1, 0xb2, 0x0c, 0x2d, 0x7e, 0x9f, 0x51,
	0x77, 0xa3, 0xc2, 0x94, 0xd4, 0x46, 0x22, 0x99
};

static CryptoPublicKey *keys[3];

/* Parse the three fixed keys once. */
static void
fuzz_setup(void)
{
	CryptoStatus status;
	const char *err;

	if (keys[0] != NULL)
		return;
	keys[0] = crypto_parse_public_key(CRYPTO_ALG_ED25519, ed_pk, 32,
									  &status, &err);
	keys[1] = crypto_parse_public_key(CRYPTO_ALG_ECDSA_P256, ec_pk, 65,
									  &status, &err);
	keys[2] = crypto_parse_public_key(CRYPTO_ALG_ECDSA_P256_P1363, ec_pk, 65,
									  &status, &err);
	if (!keys[0] || !keys[1] || !keys[2])
		abort();
}

/* OpenSSL's own view of a DER signature: strict, with r and s in range? */
static int
fuzz_der_strict(const uint8_t *sig, size_t siglen)
{
	static BIGNUM *n = NULL;
	const unsigned char *p = sig;
	unsigned char *der = NULL;
	ECDSA_SIG  *es;
	const BIGNUM *r,
			   *s;
	int			derlen;
	int			ok;

	if (n == NULL &&
		BN_hex2bn(&n, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551") == 0)
		abort();
	if (siglen < 8 || siglen > 72)
		return 0;
	es = d2i_ECDSA_SIG(NULL, &p, (long) siglen);
	if (es == NULL)
		return 0;
	ok = p == sig + siglen;
	derlen = i2d_ECDSA_SIG(es, &der);
	ok = ok && derlen == (int) siglen && memcmp(der, sig, siglen) == 0;
	ECDSA_SIG_get0(es, &r, &s);
	ok = ok && !BN_is_negative(r) && !BN_is_zero(r) && BN_cmp(r, n) < 0 &&
		!BN_is_negative(s) && !BN_is_zero(s) && BN_cmp(s, n) < 0;
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	return ok;
}

/* OpenSSL's DER encoding of a 64-byte r || s; its length, or 0. */
static int
fuzz_p1363_to_der(const uint8_t *sig, uint8_t *out)
{
	ECDSA_SIG  *es = ECDSA_SIG_new();
	BIGNUM	   *r = BN_bin2bn(sig, 32, NULL);
	BIGNUM	   *s = BN_bin2bn(sig + 32, 32, NULL);
	unsigned char *der = NULL;
	int			len;

	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1)
		abort();
	len = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (len <= 0 || len > 72)
		abort();
	memcpy(out, der, len);
	OPENSSL_free(der);
	return len;
}

/* Verify one input in every way and compare. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	CryptoPublicKey *key;
	int			which;
	size_t		siglen;
	const uint8_t *sig;
	const uint8_t *msg;
	size_t		msglen;
	const char *err = NULL;
	uint8_t		digest[LEDGER_HASH_LEN];
	CryptoVerifyResult r1,
				r2,
				r3;

	fuzz_setup();
	if (size < 2)
		return 0;
	which = data[0] % 3;
	key = keys[which];
	siglen = data[1];
	if (siglen > size - 2)
		siglen = size - 2;
	sig = data + 2;
	msg = sig + siglen;
	msglen = size - 2 - siglen;

	r1 = crypto_verify(key, msg, msglen, sig, siglen, &err);
	if (r1 == CRYPTO_SIG_ERROR)
	{
		fprintf(stderr, "verify reported an OpenSSL failure: %s\n", err);
		abort();
	}
	if (r1 == CRYPTO_SIG_MALFORMED && err == NULL)
		abort();
	r2 = crypto_verify(key, msg, msglen, sig, siglen, &err);
	crypto_sha256_3(msg, msglen, NULL, 0, NULL, 0, digest);
	r3 = crypto_verify_digested(key, msg, msglen, digest, sig, siglen, &err);
	if (r1 != r2 || r1 != r3)
	{
		fprintf(stderr, "verify gave %d, %d, then %d\n", (int) r1, (int) r2, (int) r3);
		abort();
	}

	if (which == 1 && (r1 != CRYPTO_SIG_MALFORMED) != fuzz_der_strict(sig, siglen))
	{
		fprintf(stderr, "strict DER: crypto.c says %d, OpenSSL says %d\n",
				(int) r1, fuzz_der_strict(sig, siglen));
		abort();
	}
	if (which == 2 && r1 != CRYPTO_SIG_MALFORMED)
	{
		uint8_t		der[72];
		int			derlen = fuzz_p1363_to_der(sig, der);

		r2 = crypto_verify(keys[1], msg, msglen, der, derlen, &err);
		if (r1 != r2)
		{
			fprintf(stderr, "r || s gave %d, its DER %d\n", (int) r1, (int) r2);
			abort();
		}
	}
	return 0;
}
