
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Sync (issue #11): renaming a replicated ledger or its schema.  PostgreSQL's
# logical replication finds a subscriber's table by schema and name, so a
# table renamed at either end stops the subscription at the first change
# that meets it (a schema renamed does not: the origin's walsender sends a
# table's schema and name with the first change of the table it sends, and
# not again for a schema rename, and the peer's apply worker
# keeps the table it had mapped until it restarts; both seen on a plain
# PostgreSQL 15.20 pair without ledger, 2026-12-07); the
# documented procedure (docs/replication.md, "Schema changes") is: rename
# at the origin, let the peer stop at the first change after the rename
# (everything before it applied), rename there too, ENABLE.  Each stop must
# apply nothing, each resume lose and duplicate nothing, and the replica
# verify against the origin's digest.  A rename at the peer alone (its
# database owner owns the schema) stops the subscription the same way and
# is undone by renaming back.  The digest names the ledger as it was
# created, at both ends (the name is part of the replicated catalog row).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('rename_origin');
my $b = sync_node('rename_peer');
my $sub = 'peer_rename';
$a->safe_psql(
	'postgres', q{
	CREATE SCHEMA bank;
	CREATE TABLE bank.t (id bigint PRIMARY KEY, v text NOT NULL);
	SELECT ledger.create_ledger('bank.t');
	INSERT INTO bank.t VALUES (1, 'one');
	SELECT ledger.create_publication('rename_pub', ARRAY['bank.t'::regclass]);
});
my $ci = conninfo($a);
is($b->safe_psql('postgres', "SELECT ledger.create_subscription('$sub', '$ci', 'rename_pub')"),
	'1', 'peer subscribed');
ok(defined caught_up($a, $b, 'bank.t'), 'row 1 replicated');

# Rename at the origin, write; the peer stops at the first change after
# the rename (a table renamed: PostgreSQL sends its new name at once);
# rename there, ENABLE.
sub check_caught_up
{
	my ($step, $name) = @_;
	my $digest = caught_up($a, $b, $name);
	ok(defined $digest, "$step: the peer catches up");
	is(row_set($b, $name), row_set($a, $name), "$step: the same rows at both ends, none lost or twice");
	verify_ok($b, 'postgres', $name, $digest, "$step: the replica verifies against the origin's digest");
	is(digest_of($b, $name), $digest, "$step: the peer's digest equals the origin's");
	return $digest;
}

my $before = content($b, 'bank.t');
my $after = last_error_at($b, $sub);
$a->safe_psql('postgres', 'ALTER TABLE bank.t RENAME TO t2');
$a->safe_psql('postgres', "INSERT INTO bank.t2 VALUES (2, 'two')");
my ($err) = wait_refused($b, $sub, $after);
like($err // '', qr/logical replication target relation "bank\.t2" does not exist/,
	'table renamed at the origin: the peer stops at the first change after it, naming the new name');
is(content($b, 'bank.t'), $before, 'table renamed: nothing applied meanwhile');
$b->safe_psql('postgres', 'ALTER TABLE bank.t RENAME TO t2');
$b->safe_psql('postgres', "ALTER SUBSCRIPTION $sub ENABLE");
check_caught_up('table renamed, then at the peer, ENABLE', 'bank.t2');

# A schema renamed at the origin: PostgreSQL sends the table's new name
# only when the walsender starts again, so the peer may go on applying to
# the table it has (its apply worker keeps the mapping) until the
# subscription is restarted.  The peer refuses the same rename while the
# subscription is enabled; the procedure is DISABLE, rename, ENABLE.
$a->safe_psql('postgres', 'ALTER SCHEMA bank RENAME TO bank2');
$a->safe_psql('postgres', "INSERT INTO bank2.t2 VALUES (3, 'three')");
ok( poll_until(
		$b,
		"SELECT EXISTS (SELECT 1 FROM bank.t2 WHERE id = 3) "
		  . "OR NOT (SELECT subenabled FROM pg_subscription WHERE subname = '$sub')",
		60),
	'schema renamed at the origin: the peer applied the change or stopped');
my ($ret, $out);
($ret, $out, $err) = $b->psql('postgres', "\\set VERBOSITY verbose\nALTER SCHEMA bank RENAME TO bank2");
if (sub_enabled($b, $sub) eq 't')
{
	like($err,
		qr/ERROR:  55000: cannot rename schema "bank": it holds replica "bank\.t2" of subscription "peer_rename", which is enabled/,
		'schema renamed: the same rename at the peer is refused while the subscription is enabled');
}
else
{
	is($ret, 0, 'schema renamed: the same rename at the peer, the subscription stopped');
}
$b->safe_psql('postgres', "ALTER SUBSCRIPTION $sub DISABLE");
$b->safe_psql('postgres', 'ALTER SCHEMA bank RENAME TO bank2') if $ret != 0;
$b->safe_psql('postgres', "ALTER SUBSCRIPTION $sub ENABLE");
$a->safe_psql('postgres', "INSERT INTO bank2.t2 VALUES (4, 'four')");
my $digest = check_caught_up('schema renamed, then at the peer with the subscription disabled', 'bank2.t2');
like($digest, qr/"ledger": "bank\.t"/, 'the digest names the ledger as it was created');

# At the peer alone, while the subscription is enabled: the replica's
# schema renamed by its owner, the replica renamed or moved: refused, with
# nothing changed; other tables, in the same schema too, rename freely.
$b->safe_psql('postgres',
	'CREATE ROLE peer_owner; GRANT CREATE ON DATABASE postgres TO peer_owner; ALTER SCHEMA bank2 OWNER TO peer_owner; '
	  . 'CREATE TABLE bank2.other (x int); ALTER TABLE bank2.other OWNER TO peer_owner; '
	  . 'CREATE SCHEMA side AUTHORIZATION peer_owner');
for my $case (
	[ 'SET ROLE peer_owner; ALTER SCHEMA bank2 RENAME TO elsewhere',
		qr/cannot rename schema "bank2": it holds replica "bank2\.t2" of subscription "peer_rename", which is enabled/,
		'its schema renamed by the schema\'s owner' ],
	[ 'ALTER TABLE bank2.t2 RENAME TO t3',
		qr/cannot rename replica "bank2\.t2" of subscription "peer_rename", which is enabled/,
		'renamed by a superuser' ],
	[ 'ALTER TABLE IF EXISTS bank2.t2 SET SCHEMA side',
		qr/cannot move to another schema replica "bank2\.t2" of subscription "peer_rename", which is enabled/,
		'moved to another schema' ])
{
	($ret, $out, $err) = $b->psql('postgres', "\\set VERBOSITY verbose\n$case->[0]");
	like($err, qr/ERROR:  55000: .*$case->[1]/, "peer only, subscription enabled: replica $case->[2]: refused");
}
is($b->safe_psql('postgres', q{SELECT 'bank2.t2'::regclass::text}), 'bank2.t2', 'peer only: the replica kept its name');
is($b->psql('postgres', 'SET ROLE peer_owner; ALTER TABLE bank2.other RENAME TO other2; ALTER TABLE bank2.other2 SET SCHEMA side'),
	0, 'peer only: another table of the same schema is renamed and moved');
# disabled, the rename is the operator's to make (and undo)
$b->safe_psql('postgres', "ALTER SUBSCRIPTION $sub DISABLE");
is($b->psql('postgres', 'SET ROLE peer_owner; ALTER SCHEMA bank2 RENAME TO elsewhere; ALTER SCHEMA elsewhere RENAME TO bank2'),
	0, 'peer only, subscription disabled: the schema renamed and back');
$b->safe_psql('postgres', "ALTER SUBSCRIPTION $sub ENABLE");
$a->safe_psql('postgres', "INSERT INTO bank2.t2 VALUES (5, 'five')");
check_caught_up('streaming again', 'bank2.t2');
is($b->safe_psql('postgres', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM bank2.t2'),
	'1,2,3,4,5', 'every row, once');

$a->stop;
$b->stop;
done_testing();
