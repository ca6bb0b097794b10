-- ledger.verify_signature with ECDSA P-256 and SHA-256, DER and IEEE P1363.
SET client_min_messages = notice;

-- RFC 6979 appendix A.2.5 (ECDSA, 256 bits, prime field), key pair with
-- private x = C9AFA9D8...0F6721 and public U = (60FED4BA...F29FB6,
-- 7903FE10...462299); the deterministic SHA-256 signatures of the messages
-- "sample" and "test", given there as (r, s), are DER- and r||s-encoded.
CREATE TEMP TABLE rfc6979 (name text, pk bytea, msg bytea, r bytea, s bytea);
INSERT INTO rfc6979 VALUES
('sample',
 '\x0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299',
 convert_to('sample', 'SQL_ASCII'),
 '\xefd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716',
 '\xf7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
('test',
 '\x0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299',
 convert_to('test', 'SQL_ASCII'),
 '\xf1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367',
 '\x019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083');
-- DER forms: "sample" has both high bits set (00-padded), "test" only r's.
CREATE TEMP TABLE der (name text, sig bytea);
INSERT INTO der VALUES
('sample', '\x3046022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
('test', '\x3045022100f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d383670220019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083');

SELECT v.name,
	   ledger.verify_signature('ecdsa-p256', pk, msg, d.sig) AS der,
	   ledger.verify_signature('ecdsa-p256-p1363', pk, msg, r || s) AS p1363,
	   ledger.verify_signature('ecdsa-p256', pk, msg || '\x00'::bytea, d.sig) AS other_msg,
	   ledger.verify_signature('ecdsa-p256-p1363', pk, msg, s || r) AS swapped,
	   ledger.verify_signature('ecdsa-p256', pk, msg, r || s) AS p1363_as_der,
	   ledger.verify_signature('ecdsa-p256-p1363', pk, msg, d.sig) AS der_as_p1363
  FROM rfc6979 v JOIN der d USING (name) ORDER BY v.name;

-- An SPKI whose BIT STRING length disagrees with its content is an error;
-- the same key as a correct DER SubjectPublicKeyInfo verifies.
SELECT ledger.verify_signature('ecdsa-p256',
	'\x3059301306072a8648ce3d020106082a8648ce3d030107034200040460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299'::bytea,
	'sample'::bytea, sig) AS bad_spki_is_error
  FROM der WHERE name = 'sample';
SELECT ledger.verify_signature('ecdsa-p256',
	'\x3059301306072a8648ce3d020106082a8648ce3d0301070342000460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299'::bytea,
	'sample'::bytea, sig) AS spki
  FROM der WHERE name = 'sample';

-- Non-canonical and malformed DER, each derived from the "sample"
-- signature: all false.  s' = n - s is the high/low-S twin.
CREATE TEMP TABLE bad_der (name text, sig bytea);
INSERT INTO bad_der VALUES
('extra leading zero in r',
 '\x304702220000efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
('extra leading zero in s',
 '\x3047022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf371602220000f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
('r missing its 00 pad (negative)',
 '\x30450220efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
('long-form sequence length (BER)',
 '\x308146022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
('long-form integer length (BER)',
 '\x304702812100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
('indefinite length (BER)',
 '\x3080022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda80000'),
('sequence length too long',
 '\x3047022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
('sequence length too short',
 '\x3045022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
('integer length too long',
 '\x3046022200efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
('trailing zero byte',
 '\x3046022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda800'),
('trailing garbage inside the sequence',
 '\x3048022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda80500'),
('wrong tag for r (OCTET STRING)',
 '\x3046042100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
('r = 0',
 '\x3026020100022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
('s = 0',
 '\x3026022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716020100'),
('s = n',
 '\x3046022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716022100ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
('r = n',
 '\x3046022100ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
('s = s + n (33 bytes)',
 '\x3047022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf37160222010000000000f7cb1c952d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
('empty', '\x'),
('empty sequence', '\x3000'),
('one integer only', '\x3023022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716'),
('73 bytes', decode(repeat('30', 73), 'hex'));
SELECT b.name, ledger.verify_signature('ecdsa-p256', v.pk, v.msg, b.sig) AS valid
  FROM bad_der b, rfc6979 v WHERE v.name = 'sample' ORDER BY b.name;

-- High-S policy: FIPS 186-5 ECDSA verification accepts both s and n - s,
-- so both verify here (ECDSA signatures are malleable: a replay check must
-- not key on signature bytes).  s' = n - s for "sample":
SELECT ledger.verify_signature('ecdsa-p256', pk, msg,
	'\x3045022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf371602200834e36ad29a83bf2bc9385e491d6099c8fdf9d1ed67aa7ea5f51f93782857a9') AS low_s_der,
	   ledger.verify_signature('ecdsa-p256-p1363', pk, msg,
	r || '\x0834e36ad29a83bf2bc9385e491d6099c8fdf9d1ed67aa7ea5f51f93782857a9'::bytea) AS low_s_p1363
  FROM rfc6979 WHERE name = 'sample';

-- P1363: exactly 64 bytes, 1 <= r, s < n.
SELECT ledger.verify_signature('ecdsa-p256-p1363', pk, msg, substring(r || s FROM 2)) AS short,
	   ledger.verify_signature('ecdsa-p256-p1363', pk, msg, r || s || '\x00'::bytea) AS long,
	   ledger.verify_signature('ecdsa-p256-p1363', pk, msg, '\x00'::bytea || r || s) AS long_front,
	   ledger.verify_signature('ecdsa-p256-p1363', pk, msg, decode(repeat('00', 32), 'hex') || s) AS r_zero,
	   ledger.verify_signature('ecdsa-p256-p1363', pk, msg, r || decode(repeat('00', 32), 'hex')) AS s_zero,
	   ledger.verify_signature('ecdsa-p256-p1363', pk, msg,
			r || '\xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'::bytea) AS s_n,
	   ledger.verify_signature('ecdsa-p256-p1363', pk, msg,
			r || decode(repeat('ff', 32), 'hex')) AS s_all_ones
  FROM rfc6979 WHERE name = 'sample';

-- Public keys: errors (22023).
-- compressed point (33 bytes) given raw
SELECT ledger.verify_signature('ecdsa-p256', '\x0360fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6', '\x', '\x');
\echo :LAST_ERROR_SQLSTATE
-- 65 bytes with a wrong prefix
SELECT ledger.verify_signature('ecdsa-p256', '\x0560fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299', '\x', '\x');
-- Y changed in its last byte: not on the curve
SELECT ledger.verify_signature('ecdsa-p256', '\x0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462298', '\x', '\x');
-- all-zero coordinates; X = p
SELECT ledger.verify_signature('ecdsa-p256', '\x04' || decode(repeat('00', 64), 'hex'), '\x', '\x');
SELECT ledger.verify_signature('ecdsa-p256-p1363', '\x04ffffffff00000001000000000000000000000000ffffffffffffffffffffffff7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299', '\x', '\x');
-- wrong lengths; an Ed25519 key for ECDSA
SELECT ledger.verify_signature('ecdsa-p256', substring(pk FROM 1 FOR 64), '\x', '\x') FROM rfc6979 WHERE name = 'sample';
SELECT ledger.verify_signature('ecdsa-p256', pk || '\x00'::bytea, '\x', '\x') FROM rfc6979 WHERE name = 'sample';
SELECT ledger.verify_signature('ecdsa-p256', '\xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '\x', '\x');
-- SPKI with a trailing byte
SELECT ledger.verify_signature('ecdsa-p256',
	'\x3059301306072a8648ce3d020106082a8648ce3d0301070342000460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d446229900', '\x', '\x');
-- SPKI of a P-384 key, of an Ed448 key, of an Ed25519 key
SELECT ledger.verify_signature('ecdsa-p256',
	'\x3076301006072a8648ce3d020106052b81040022036200046c28feab6ab483adf9ddf796dd2c4b93267cd15544d3e963e37816db7f443f20d221a935a6e0ffe6f5935c216def59ee6288b83421de70613f8b5bf598fb88f83a131ba57601e1a783f744c06c0c7e0f6825ce15e080aaa9520d5425f40dd59a', '\x', '\x');
SELECT ledger.verify_signature('ecdsa-p256',
	'\x3043300506032b6571033a008b70592d297491b694789794e94a595770170a4944cb2b93854a3b5e49aaa7b4b6553aa03e1277fc9fa5f22bb18b73656108d84d9348314a00', '\x', '\x');
SELECT ledger.verify_signature('ecdsa-p256',
	'\x302a300506032b65700321007f85397b7dd86a7037c684ef28723eacd475b432d849730ff9b03a0e0d2e215f', '\x', '\x');
-- SPKI with explicit curve parameters (openssl ec -pubout -param_enc explicit)
SELECT ledger.verify_signature('ecdsa-p256',
	'\x3082014b3082010306072a8648ce3d02013081f7020101302c06072a8648ce3d0101022100ffffffff00000001000000000000000000000000ffffffffffffffffffffffff305b0420ffffffff00000001000000000000000000000000fffffffffffffffffffffffc04205ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b031500c49d360886e704936a6678e1139d26b7819f7e900441046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5022100ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc63255102010103420004d9f51ac0cc54892e2f8e8b87adc3181195cd39fe28c86a78cc5d83aae7039bdbbbf75a71d15c20d602098d3201e30abb9b722022366b0fc039cfb6f72d4655b3', '\x', '\x');

-- A 1 MiB message (1048576 bytes 'x') signed with the RFC 6979 key by
-- Python cryptography (ECDSA(SHA256()), random k).
SELECT ledger.verify_signature('ecdsa-p256', pk, convert_to(repeat('x', 1048576), 'SQL_ASCII'),
	'\x304502203f4c1a0164dd647fed84373511d1d9dfa355d5509fce63c34809328c419a41d80221009776014f1f26d3717b541a57fc72e5d419bc7e45846a51fb3ba5a89d4c4f7114') AS one_mib
  FROM rfc6979 WHERE name = 'sample';
SELECT ledger.verify_signature('ecdsa-p256', pk, msg, convert_to(repeat('x', 1048576), 'SQL_ASCII')) AS huge_sig
  FROM rfc6979 WHERE name = 'sample';

-- Scalars shorter than 32 bytes: signatures by the RFC 6979 key, made with
-- Python cryptography (ECDSA(SHA256()), random k, retried until r, then s,
-- was below 2^248), checked there with EllipticCurvePublicKey.verify.  In
-- DER the short scalar is a 31-byte INTEGER, or a 32-byte one whose 00 pad
-- covers a high bit; in r || s it keeps its leading zero byte.
CREATE TEMP TABLE short_scalars (name text, msg bytea, der bytea, p1363 bytea);
INSERT INTO short_scalars VALUES
('short r', convert_to('ledger: short r', 'SQL_ASCII'),
 '\x30450220009943d24c395701af6fce3eb5a0524f36687825bbcbfc58383a55f939c0d64e02210082bf60d1614081cf146ec118f56cc04a598e108ab9851c64e82fbf4e9a265036',
 '\x009943d24c395701af6fce3eb5a0524f36687825bbcbfc58383a55f939c0d64e82bf60d1614081cf146ec118f56cc04a598e108ab9851c64e82fbf4e9a265036'),
('short s', convert_to('ledger: short s', 'SQL_ASCII'),
 '\x304302200801dde977847d0e5d1a1977cbe928d9483313e1b845d36039d851868b9c0fa8021f45c693d80834d02ae4ad0aa4f67640684a6d7430f0a4e46983792c51225420',
 '\x0801dde977847d0e5d1a1977cbe928d9483313e1b845d36039d851868b9c0fa80045c693d80834d02ae4ad0aa4f67640684a6d7430f0a4e46983792c51225420');
SELECT x.name,
	   ledger.verify_signature('ecdsa-p256', v.pk, x.msg, x.der) AS der,
	   ledger.verify_signature('ecdsa-p256-p1363', v.pk, x.msg, x.p1363) AS p1363,
	   ledger.verify_signature('ecdsa-p256-p1363', v.pk, x.msg || '\x00'::bytea, x.p1363) AS other_msg
  FROM short_scalars x, rfc6979 v WHERE v.name = 'sample' ORDER BY x.name;
-- the short r with a second, superfluous zero byte: not minimal DER
SELECT ledger.verify_signature('ecdsa-p256', v.pk, x.msg,
	'\x3046022100009943d24c395701af6fce3eb5a0524f36687825bbcbfc58383a55f939c0d64e02210082bf60d1614081cf146ec118f56cc04a598e108ab9851c64e82fbf4e9a265036') AS padded_r
  FROM short_scalars x, rfc6979 v WHERE v.name = 'sample' AND x.name = 'short r';

-- An algorithm name that is no name: the error quotes at most 64 bytes of it.
SELECT ledger.verify_signature(repeat('ecdsa', 200000), pk, msg, r || s)
  FROM rfc6979 WHERE name = 'sample';
\echo :LAST_ERROR_SQLSTATE

-- NULLs
SELECT ledger.verify_signature('ecdsa-p256', NULL, '\x', '\x') IS NULL AS a,
	   ledger.verify_signature('ecdsa-p256-p1363', '\x', NULL, '\x') IS NULL AS b;
