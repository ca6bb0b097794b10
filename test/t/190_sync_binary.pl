# Sync (issue #11): subscriptions made by ledger.create_subscription ask for
# binary transfer (src/sync.c, sync_subscribe; docs/replication.md,
# "Transfer format").  A ledger's columns are of the types canon.c hashes
# (built-in scalars and domains over them), whose binary forms carry no OID
# and read no setting; the catalog's one regclass column
# (ledger.ledgers.relation) arrives as the origin's OID and is checked and
# skipped, never stored.
#
# Checked: the subscription is binary; every hashable type, through a
# domain too, with the values whose text and binary forms are easiest to get
# wrong (-0, NaN and the infinities of float4 and float8, the smallest
# subnormals, numeric scale, NaN and 40 digits, infinite dates and
# timestamps, the empty and the zero byte string, non-ASCII and control
# characters, char(n) padding, jsonb), in transactions of one row and of
# several, before and after the subscription: the rows the peer holds are
# the origin's, value for value (rendered without settings: the peer's time
# zone and DateStyle are other than the origin's); the replica verifies against the origin's
# digest; a schema change rolled out to the peer first is taken (the
# origin's UPDATE of its ledgers row, its regclass in binary, is checked and
# skipped); the same values arrive equal in text after
# ALTER SUBSCRIPTION ... SET (binary = false); and resync_subscription
# makes a binary subscription again.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('bin_origin', conf => "timezone = 'UTC'\n");
my $p = sync_node('bin_peer', conf => "timezone = 'Asia/Kathmandu'\ndatestyle = 'SQL, DMY'\n");

my $types = q{CREATE DOMAIN amount AS numeric(20,4) CHECK (VALUE > -1000000000000);};
my $cols = q{(id int8 PRIMARY KEY, b bool, s int2, i int4, f4 real, f8 float8, n numeric, amt amount,
	t text, vc varchar(12), ch char(5), nm name, by bytea, d date, ts timestamp, tz timestamptz,
	u uuid, j jsonb)};
$a->safe_psql('postgres', $types . qq{
	CREATE TABLE t_bin $cols;
	SELECT ledger.create_ledger('t_bin');
	SELECT ledger.create_publication('pub_bin', ARRAY['t_bin'::regclass]);
});

my @rows = (
	q{(1, true, 0, 0, '-0', '-0', 1.50, 1.5000, 'plain', 'v', 'ab', 'nm', '\x00ff00', '2026-12-04', '2026-12-04 10:11:12.345678', '2026-12-04 10:11:12.345678+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, 2.50]}')},
	q{(2, false, -32768, -2147483648, 'NaN', 'NaN', 'NaN', -999999999999.9999, 'éàü — ✓ 𝄞', 'ü', 'é', 'ñame', '\x', 'infinity', 'infinity', 'infinity', '00000000-0000-0000-0000-000000000000', 'null')},
	q{(3, NULL, 32767, 2147483647, '-Infinity', 'Infinity', 1e-20, 0, E'tab\there\nnew line\\\\', '', '', '', '\x0000', '-infinity', '-infinity', '-infinity', NULL, '[]')},
	q{(4, true, NULL, NULL, 1.4e-45, 4.9e-324, 1234567890123456789012345678901.123456789, 0.0001, '', NULL, NULL, NULL, NULL, '4713-01-01 BC', '4713-01-01 00:00:00 BC', '1999-12-31 23:59:59.999999-08', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '{"a": {"b": null}, "é": 1e400}')},
	q{(5, false, 1, 1, 3.4028235e38, 1.7976931348623157e308, -0.000, NULL, NULL, 'twelve chars', 'five5', repeat('n', 63), '\xdeadbeef', '5874897-12-31', '294276-12-31 23:59:59.999999', '294276-12-31 23:59:59.999999+00', NULL, '"\u00e9"')},
);
# before the subscription: copied by create_subscription
$a->safe_psql('postgres', "INSERT INTO t_bin VALUES $_") for @rows[0 .. 2];

# other objects first at the peer: its t_bin gets another OID than the
# origin's, which the origin's ledgers row carries in binary
$p->safe_psql('postgres', q{CREATE TABLE filler (x int); CREATE TABLE filler2 (x int);} . $types);
my $ci = conninfo($a);
is($p->safe_psql('postgres', "SELECT ledger.create_subscription('sub_bin', '$ci', 'pub_bin')"),
	'1', 'peer subscribed');
is($p->safe_psql('postgres', q{SELECT subbinary FROM pg_subscription WHERE subname = 'sub_bin'}),
	't', 'the subscription asks for binary transfer');
isnt($p->safe_psql('postgres', q{SELECT 't_bin'::regclass::oid}),
	$a->safe_psql('postgres', q{SELECT 't_bin'::regclass::oid}),
	'precondition: t_bin has another OID at the peer than at the origin');

# after it: through the apply worker, one row, then several in one transaction
$a->safe_psql('postgres', "INSERT INTO t_bin VALUES $rows[3]");
$a->safe_psql('postgres', "INSERT INTO t_bin VALUES $rows[4], " . join(', ', map { s/^\((\d+)/(1$1/r } @rows));
# a schema change, rolled out as docs/replication.md says (the peer first):
# the origin's UPDATE of its ledgers row arrives in binary with the origin's
# OID of t_bin in its regclass column, is checked (all but that column) and
# skipped
$p->safe_psql('postgres', q{ALTER TABLE t_bin ADD COLUMN extra text});
$a->safe_psql('postgres', q{ALTER TABLE t_bin ADD COLUMN extra text});
$a->safe_psql('postgres', q{INSERT INTO t_bin (id, t, extra) VALUES (16, 'after the change', 'x')});
ok(poll_until($p, q{SELECT EXISTS (SELECT 1 FROM t_bin WHERE id = 16 AND extra = 'x')}, 60),
	'after the schema change the new column\'s value arrives');
is($p->safe_psql('postgres', q{SELECT relation::text FROM ledger.ledgers WHERE relation = 't_bin'::regclass}),
	't_bin', 'the replica\'s ledgers row still names its own table');

my $dump = q{SELECT count(*) || ' ' || md5(string_agg(format('%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|[%s]|%s|%s|%s|%s|%s|%s|%s',
	id, b, s, i, f4::text, f8::text, n::text, amt::text, t, vc, ch, nm, encode(by, 'hex'),
	CASE WHEN isfinite(d) THEN (d - date '2000-01-01')::text ELSE d::text END, extract(epoch FROM ts),
	extract(epoch FROM tz), u, j::text || coalesce(extra, '')), ';' ORDER BY id)) FROM t_bin};

# Wait until the peer holds the origin's newest block; then the origin must
# hold $n rows, the peer the same values (rendered without settings), and
# the replica verify against the origin's digest.  ($when names the step.)
sub same_at_both_ends
{
	my ($n, $when) = @_;
	my $d = caught_up($a, $p, 't_bin');
	ok(defined $d, "$when: the peer holds the origin's newest block");
	my $here = $a->safe_psql('postgres', $dump);
	like($here, qr/^$n /, "$when: the origin holds $n rows");
	is($p->safe_psql('postgres', $dump), $here,
		"$when: every value arrived equal to the origin's, rendered the same way at both ends");
	verify_ok($p, 'postgres', 't_bin', $d, "$when: the replica verifies against the origin's digest");
}

same_at_both_ends(11, 'in binary');
is($p->safe_psql('postgres', q{SELECT count(*) FROM t_bin WHERE f8::text = '-0' AND f4::text = '-0'}),
	'2', '-0 kept its sign');
is($p->safe_psql('postgres', q{SELECT string_agg(n::text, ',' ORDER BY id) FROM t_bin WHERE id IN (1, 5)}),
	'1.50,0.000', 'numeric kept its scale');
is(row_set($p, 't_bin'), row_set($a, 't_bin'), 'the ledger columns are the origin\'s');

# the same values in text, as a peer that switched would receive them
$p->safe_psql('postgres', q{ALTER SUBSCRIPTION sub_bin SET (binary = false)});
$a->safe_psql('postgres', "INSERT INTO t_bin VALUES " . join(', ', map { s/^\((\d+)/(2$1/r } @rows));
same_at_both_ends(16, 'in text');

# resync_subscription makes the subscription anew: binary again
is($p->safe_psql('postgres', q{SELECT ledger.resync_subscription('sub_bin')}), '1',
	'resync_subscription re-copied the ledger');
is($p->safe_psql('postgres', q{SELECT subbinary FROM pg_subscription WHERE subname = 'sub_bin'}),
	't', 'the resynced subscription asks for binary transfer');
$a->safe_psql('postgres', q{INSERT INTO t_bin (id, t, f8, tz) VALUES (30, 'after the resync', '-0', 'infinity')});
same_at_both_ends(17, 'after the resync');

$p->safe_psql('postgres', q{SELECT ledger.drop_subscription('sub_bin')});
$_->stop for ($a, $p);
done_testing();
