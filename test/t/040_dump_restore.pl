
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# pg_dump and restore: a plain dump restored into a new database (the dump
# itself creates the extension) verifies against the digests taken before
# the dump, and the restored ledgers keep working.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use IPC::Run;
use Time::HiRes qw(time usleep);

my $conf = "shared_preload_libraries = 'ledger'\nwal_level = logical\nledger.seal_interval = 100ms\n";
my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->append_conf('postgresql.conf', $conf);
$node->start;
my $dir = PostgreSQL::Test::Utils::tempdir;

# Push the xid counter up first, so that the ledger's transactions carry
# xids a fresh cluster will hand out again after a restore (see part 3).
$node->safe_psql('postgres', join('', map { "SELECT txid_current();\n" } 1 .. 300));

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql(
	'src', q{
CREATE EXTENSION ledger;
CREATE TABLE existing (id int PRIMARY KEY, name text, amount numeric(12,2), at timestamptz, tags jsonb);
INSERT INTO existing
  SELECT g, 'row ' || g, g * 1.25, '2024-01-01 00:00+00'::timestamptz + g * interval '1 hour',
         jsonb_build_object('g', g)
  FROM generate_series(1, 50) g;
SELECT ledger.create_ledger('existing');
CREATE TABLE fresh (id bigint, body text, flag bool, day date, u uuid);
SELECT ledger.create_ledger('fresh');
INSERT INTO existing (id, name, amount, at, tags) VALUES (51, 'after', 9.99, now(), '{"a": [1, 2]}');
INSERT INTO fresh (id, body, flag, day, u) SELECT g, repeat('x', g), g % 2 = 0, '2024-02-29', gen_random_uuid()
  FROM generate_series(1, 20) g;
INSERT INTO fresh (id, body, flag, day, u) VALUES (21, NULL, NULL, NULL, NULL), (22, 'tail', true, 'infinity', NULL);
BEGIN;
INSERT INTO existing (id, name) VALUES (52, 'tx a');
INSERT INTO fresh (id, body) VALUES (23, 'tx a');
COMMIT;
});
my %digest;
my %rows;
for my $t ('existing', 'fresh')
{
	$digest{$t} = $node->safe_psql('src', "SELECT ledger.digest('$t')");
	$rows{$t} = $node->safe_psql('src', "SELECT count(*) FROM $t");
}



for my $t ('existing', 'fresh')
{
	my $v = verify($node, 'src', $t, $digest{$t});
	is($v->{ok}, 't', "source: $t verifies against its digest") or diag($v->{problem});
}

my $dump = "$dir/src.sql";
$node->command_ok([ 'pg_dump', '-d', 'src', '-f', $dump ], 'pg_dump of the source database');

# Restore with psql into a new database; returns psql's stderr.
sub restore
{
	my ($n, $db, %env) = @_;
	$n->command_ok([ 'createdb', $db ], "createdb $db");
	local %ENV = (%ENV, %env);
	my ($out, $err) = ('', '');
	IPC::Run::run(
		[
			'psql', '-X', '-q', '-h', $n->host, '-p', $n->port, '-d', $db, '-f', $dump
		],
		'>', \$out, '2>', \$err);
	return $err;
}

# Everything a correctly restored ledger must do.
sub check_restored
{
	my ($n, $db, $name, $restore_err) = @_;
	{
		is($restore_err, '', "$name: restore runs without errors");
		is( $n->safe_psql(
				$db, q{
SELECT count(*) FROM pg_trigger
WHERE tgrelid IN ('existing'::regclass, 'fresh'::regclass)
  AND tgname IN ('zz_ledger_row', 'ledger_append_only') AND tgenabled = 'A'}),
			4,
			"$name: both ledgers have their triggers, enabled ALWAYS");
	}
	for my $t ('existing', 'fresh')
	{
		my $v = verify($n, $db, $t, $digest{$t});
		is($v->{ok}, 't', "$name: $t verifies against the digest taken before the dump")
		  or diag($v->{problem});
		is($v->{rows}, $rows{$t}, "$name: $t has all $rows{$t} rows checked");
	}
	{
		my ($ret, $out, $err) = $n->psql($db,
			"INSERT INTO existing (id, name) VALUES (1000, 'restored'); "
			  . "INSERT INTO fresh (id, body) VALUES (1000, 'restored'), (1001, 'restored');");
		is($ret, 0, "$name: inserting into the restored ledgers works") or diag($err);
		is($n->safe_psql($db, 'SELECT count(*) FROM existing'), $rows{existing} + 1,
			"$name: existing has one new row");
	}
	ok(wait_sealed($n, $db, 5), "$name: the sealer seals everything in the restored database");
	for my $t ('existing', 'fresh')
	{
		my $v = verify($n, $db, $t, $digest{$t});
		is($v->{ok}, 't', "$name: $t still verifies against the old digest after inserts")
		  or diag($v->{problem});
	}
	(undef, my $d) = $n->psql($db, "SELECT ledger.digest('fresh')");
	my $v = verify($n, $db, 'fresh', $d);
	is($v->{ok}, 't', "$name: a new digest of the restored ledger verifies")
	  or diag($v->{problem});
	{
		my ($ret, $out, $err) = $n->psql($db, "UPDATE existing SET name = 'changed' WHERE id = 1");
		isnt($ret, 0, "$name: UPDATE of a restored ledger is refused");
	}
}

# ---------------------------------------------------------------------
# 1. Plain restore, as a user would do it.
#
# The DDL guard runs as soon as the dump's CREATE EXTENSION has made its
# event triggers, and the catalog rows come back in the data section before
# the ledgers' triggers in post-data: it accepts pg_restore's CREATE TRIGGER
# (enabled ORIGIN) followed by its ENABLE ALWAYS (docs/design.md, "a
# trigger changed"), so the restored ledgers have their triggers.
# ---------------------------------------------------------------------
my $err = restore($node, 'restored');
note "plain restore stderr:\n$err" if $err ne '';
check_restored($node, 'restored', 'plain restore', $err);

# ---------------------------------------------------------------------
# 2. Restore with session_replication_role = replica (as superuser), as
#    some restore procedures do.  Until 0.2.0 that switched the DDL guards
#    off; they fire always now, and the restore must work as well.
# ---------------------------------------------------------------------
$err = restore($node, 'restored_replica', PGOPTIONS => '-c session_replication_role=replica');
check_restored($node, 'restored_replica', 'restore in replica mode', $err);

# ---------------------------------------------------------------------
# 3. Restore into a fresh cluster, whose xid counter is behind the
#    source's: new transactions there get xids the restored
#    ledger.transactions already holds (PRIMARY KEY (ledger_id, xact_id)).
# ---------------------------------------------------------------------
my $node2 = PostgreSQL::Test::Cluster->new('fresh_cluster');
$node2->init;
$node2->append_conf('postgresql.conf', $conf);
$node2->start;
$err = restore($node2, 'restored', PGOPTIONS => '-c session_replication_role=replica');
is($err, '', 'fresh cluster: restore (replica mode) runs without errors');
my $max_xact = $node->safe_psql('src',
	'SELECT max(xact_id) FROM ledger.transactions');
my $failed = 0;
my $first_err = '';
my $i = 0;
while ($node2->safe_psql('restored', 'SELECT txid_current()') <= $max_xact + 5)
{
	$i++;
	my ($ret, $out, $e) = $node2->psql('restored',
		"INSERT INTO fresh (id, body) VALUES (" . (2000 + $i) . ", 'fresh cluster')");
	if ($ret != 0)
	{
		$failed++;
		$first_err ||= $e;
	}
	last if $i > 2000;
}
note "fresh cluster: $i single-row transactions, up to xid beyond $max_xact";
# Ledger transaction numbers come from a sequence that the dump carries,
# not from the xid (docs/design.md): a restored cluster whose xid counter
# is behind the source's hands out xids the restored records used, and new
# transactions still get numbers of their own.
{
	is($failed, 0, 'fresh cluster: inserts whose xids were used by restored transactions succeed')
	  or diag($first_err);
}
ok(wait_sealed($node2, 'restored', 10), 'fresh cluster: everything sealed');
for my $t ('existing', 'fresh')
{
	my $v = verify($node2, 'restored', $t, $digest{$t});
	is($v->{ok}, 't', "fresh cluster: $t verifies against the old digest after inserts")
	  or diag($v->{problem});
}

# ---------------------------------------------------------------------
# 4. A ledger over a domain and a collation of a schema of their own: the
#    ledger's recorded column definitions name them, so renaming either, or
#    their schema, is refused.  Until 2026-12-06 the rename passed, and the
#    restore of a dump then failed at the ledger's CREATE TRIGGERs: the
#    restored ledger had no triggers (UPDATE passed, INSERT failed).
# ---------------------------------------------------------------------
$node->safe_psql('postgres', 'CREATE DATABASE dom');
$node->safe_psql(
	'dom', q{
CREATE EXTENSION ledger;
CREATE SCHEMA dom;
CREATE DOMAIN dom.amount AS numeric(12,2);
CREATE COLLATION dom.coll FROM "C";
CREATE TABLE pay (id int, amt dom.amount, memo text COLLATE dom.coll);
SELECT ledger.create_ledger('pay');
INSERT INTO pay VALUES (1, 10, 'a'), (2, 20, 'b');
});
for my $cmd (
	'ALTER DOMAIN dom.amount RENAME TO amount_eur',
	'ALTER COLLATION dom.coll RENAME TO coll_c',
	'ALTER SCHEMA dom RENAME TO money')
{
	my ($ret, $out, $e) = $node->psql('dom', $cmd);
	like($e, qr/ERROR:  cannot rename (type|collation|schema) .*DETAIL:  Column "(amt|memo)" of ledger table "pay"/s,
		"ledger over a domain: $cmd is refused");
}
my $dom_digest = $node->safe_psql('dom', "SELECT ledger.digest('pay')");
$node->command_ok([ 'pg_dump', '-Fc', '-d', 'dom', '-f', "$dir/dom.dump" ],
	'pg_dump of a database with a ledger over a domain');
$node->safe_psql('postgres', 'CREATE DATABASE dom_restored');
my ($rout, $rerr) = ('', '');
IPC::Run::run([ 'pg_restore', '-d', $node->connstr('dom_restored'), "$dir/dom.dump" ],
	'>', \$rout, '2>', \$rerr);
is($rerr, '', 'ledger over a domain: pg_restore runs without errors');
is( $node->safe_psql(
		'dom_restored',
		q{SELECT string_agg(tgname || ':' || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger WHERE tgrelid = 'pay'::regclass}
	),
	'ledger_append_only:A,ledger_append_only_row:A,zz_ledger_row:A',
	'... the restored ledger has its triggers');
my $dv = verify($node, 'dom_restored', 'pay', $dom_digest);
is($dv->{ok}, 't', '... it verifies against the digest taken before the dump')
  or diag($dv->{problem});
{
	my ($ret, $out, $e) = $node->psql('dom_restored', "UPDATE pay SET memo = 'changed'");
	isnt($ret, 0, '... UPDATE of it is refused');
	($ret, $out, $e) = $node->psql('dom_restored', "INSERT INTO pay VALUES (3, 30, 'c')");
	is($ret, 0, '... and inserting into it works') or diag($e);
}

$node2->stop;
$node->stop;
done_testing();
