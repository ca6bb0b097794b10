-- Interoperability: keys and signatures made by the openssl command line
-- (OpenSSL 3.0) and by Python cryptography (Debian python3-cryptography),
-- embedded as hex / PEM.  The message is the 31 bytes
-- 'transfer 100.00 EUR from A to B' (no newline), made with
--   printf 'transfer 100.00 EUR from A to B' > msg.bin
SET client_min_messages = notice;

-- Ed25519, made with:
--   openssl genpkey -algorithm ed25519 -out ed.pem
--   openssl pkey -in ed.pem -pubout -out ed_pub.pem
--   openssl pkey -in ed.pem -pubout -outform DER -out ed_pub.der
--   openssl pkeyutl -sign -rawin -inkey ed.pem -in msg.bin -out ed.sig
--   xxd -p ed_pub.der; xxd -p ed.sig
-- ECDSA P-256, made with:
--   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem
--   openssl pkey -in ec.pem -pubout -out ec_pub.pem
--   openssl pkey -in ec.pem -pubout -outform DER -out ec_pub.der
--   openssl dgst -sha256 -sign ec.pem -out ec.sig msg.bin
--   xxd -p ec_pub.der; xxd -p ec.sig
CREATE TEMP TABLE cli (alg text, spki bytea, pem text, sig bytea);
INSERT INTO cli VALUES
('ed25519',
 '\x302a300506032b65700321007f85397b7dd86a7037c684ef28723eacd475b432d849730ff9b03a0e0d2e215f',
 '-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAf4U5e33YanA3xoTvKHI+rNR1tDLYSXMP+bA6Dg0uIV8=
-----END PUBLIC KEY-----
',
 '\xf9961c7da37dd8a01e101259592234f367186c448abab4fc58b326c3b4554de1e624bd84d0fed374ba80a267818f615ac53f714450164b4c902a0f48540e3805'),
('ecdsa-p256',
 '\x3059301306072a8648ce3d020106082a8648ce3d03010703420004d9f51ac0cc54892e2f8e8b87adc3181195cd39fe28c86a78cc5d83aae7039bdbbbf75a71d15c20d602098d3201e30abb9b722022366b0fc039cfb6f72d4655b3',
 '-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2fUawMxUiS4vjouHrcMYEZXNOf4o
yGp4zF2DqucDm9u791px0Vwg1gIJjTIB4wq7m3IgIjZrD8A5z7b3LUZVsw==
-----END PUBLIC KEY-----
',
 '\x304502205f7e3ad59582250436b4c740488e409be7478aff884f62cc4c0cd5602f407bb9022100afeb83bf3802f4824460b1b475764dd457c5df77be5e193efe293c6ff8edef19');

-- SPKI and PEM both give the same canonical key, and all three forms verify.
SELECT alg,
	   ledger.public_key_from_pem(pem) = ledger.canonical_public_key(alg, spki) AS same_key,
	   octet_length(ledger.public_key_from_pem(pem)) AS raw_len,
	   ledger.verify_signature(alg, spki, 'transfer 100.00 EUR from A to B'::bytea, sig) AS spki_ok,
	   ledger.verify_signature(alg, ledger.public_key_from_pem(pem),
			'transfer 100.00 EUR from A to B'::bytea, sig) AS raw_ok,
	   ledger.verify_signature(alg, spki, 'transfer 900.00 EUR from A to B'::bytea, sig) AS tampered
  FROM cli ORDER BY alg;
SELECT encode(ledger.public_key_from_pem(pem), 'hex') FROM cli ORDER BY alg;

-- Python cryptography, message b'python interop':
--   from cryptography.hazmat.primitives.asymmetric import ed25519, ec, utils
--   from cryptography.hazmat.primitives import hashes
--   k = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(
--       '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'))
--   k.sign(b'python interop').hex()              # RFC 8032 TEST 1 key
--   e = ec.derive_private_key(0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721,
--                             ec.SECP256R1())    # RFC 6979 A.2.5 key
--   der = e.sign(b'python interop', ec.ECDSA(hashes.SHA256()))
--   r, s = utils.decode_dss_signature(der)
--   der.hex(); (r.to_bytes(32, 'big') + s.to_bytes(32, 'big')).hex()
SELECT ledger.verify_signature('ed25519',
	'\xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
	'python interop'::bytea,
	'\xd73e6b4ccbe3dabb189a8571268bc1b7703b945b09de5d3b32c72e0f7ba69e9a72b9aaee3023bcf454e3b17e2bb40642af97fca556cef5fe33615a72b9a3c305') AS py_ed25519,
	   ledger.verify_signature('ecdsa-p256',
	'\x0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299',
	'python interop'::bytea,
	'\x304502206ed79dcffb77c333f97931452bd046b30c7d2e8ebeb1ece1509e06fe0e5b1685022100ad6dd2875217e9098d3ec83ebe8a1f2e2f3657760958b577e94dc57090c3cf3d') AS py_der,
	   ledger.verify_signature('ecdsa-p256-p1363',
	'\x0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299',
	'python interop'::bytea,
	'\x6ed79dcffb77c333f97931452bd046b30c7d2e8ebeb1ece1509e06fe0e5b1685ad6dd2875217e9098d3ec83ebe8a1f2e2f3657760958b577e94dc57090c3cf3d') AS py_p1363;

-- The compressed-point SPKI (openssl ec -pubout -conv_form compressed) is a
-- valid SPKI; its canonical form is the uncompressed point.
SELECT encode(ledger.canonical_public_key('ecdsa-p256',
	'\x3039301306072a8648ce3d020106082a8648ce3d03010703220003d9f51ac0cc54892e2f8e8b87adc3181195cd39fe28c86a78cc5d83aae7039bdb'), 'hex')
	= encode(ledger.public_key_from_pem(pem), 'hex') AS same
  FROM cli WHERE alg = 'ecdsa-p256';

-- PEM errors (22023): no PEM block, a private key (the RFC 8032 TEST 1
-- secret key, public test data), a damaged block, an oversized text.
SELECT ledger.public_key_from_pem('not a key');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.public_key_from_pem('-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
-----END PRIVATE KEY-----
');
SELECT ledger.public_key_from_pem(replace(pem, 'MCowBQ', 'MCowBR')) FROM cli WHERE alg = 'ed25519';
SELECT ledger.public_key_from_pem(repeat('x', 100000));
SELECT ledger.public_key_from_pem(NULL) IS NULL AS null_in_null_out;

-- Exactly one PEM block, a PUBLIC KEY block: explanatory text around it
-- is allowed (RFC 7468 section 2), but a second block of any kind is an
-- error (22023), not silently skipped or used: two public keys (the
-- Ed25519 then the P-256 key above), a public key after a private key.
SELECT encode(ledger.public_key_from_pem('Alice''s signing key, 2026:' || chr(10) || pem || 'end of file' || chr(10)), 'hex')
  FROM cli WHERE alg = 'ed25519';
SELECT ledger.public_key_from_pem(string_agg(pem, '' ORDER BY alg DESC)) FROM cli;
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.public_key_from_pem('-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
-----END PRIVATE KEY-----
' || pem) FROM cli WHERE alg = 'ed25519';
-- an RSA PKCS#1 block is not a SubjectPublicKeyInfo block
SELECT ledger.public_key_from_pem(replace(pem, 'PUBLIC KEY', 'RSA PUBLIC KEY')) FROM cli WHERE alg = 'ed25519';
-- 4096 bytes are read at most; a multi-megabyte text is refused unread
SELECT ledger.public_key_from_pem(pem || repeat(' ', 4096 - octet_length(pem))) IS NOT NULL AS at_limit,
	   octet_length(pem || repeat(' ', 4096 - octet_length(pem))) AS len
  FROM cli WHERE alg = 'ed25519';
SELECT ledger.public_key_from_pem(pem || repeat(' ', 4097 - octet_length(pem))) FROM cli WHERE alg = 'ed25519';
SELECT ledger.public_key_from_pem(repeat(pem, 200000)) FROM cli WHERE alg = 'ed25519';
