
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# What the project says PostgreSQL 15 itself does, checked on a plain pair
# of clusters WITHOUT ledger (first by hand on two clusters with
# PostgreSQL's default settings but wal_level = logical at the origin; here
# with PostgreSQL::Test::Cluster's settings and a short
# wal_retrieve_retry_interval, which change how soon, not whether, and
# log_min_messages at its default).  A claim "seen" once in
# a test of ledger may hold only under that test's settings: on 2026-12-07
# "PostgreSQL 15 logs no error for a deadlock its apply worker lost" was the
# test's own log_min_messages = log.  Each part names where the claim is
# made; if a minor release changes one of these, the test says so and the
# design around it is to be read again.
#  1. log_min_messages = log leaves ERRORs out of the server log, and so out
#     of emit_log_hook (src/replica.c, replica_keep_errors_logged).
#  2. disable_on_error with an apply transaction refused at its commit (a
#     deferred trigger, as ledger's checks at commit): the subscription is
#     disabled, and the transaction that disables it records the refused
#     transaction's end as the origin's progress, so it is never sent again
#     and ALTER SUBSCRIPTION ... SKIP at it is refused (src/replica.c,
#     replica_xact_callback, which forgets that progress on abort).
#  3. A connection lost while streaming disables such a subscription
#     (docs/design.md, "A lost connection is not a refusal").
#  4. An error before streaming (the origin down, a slot that does not
#     exist) does not: the worker is started again with the subscription
#     enabled (docs/replication.md, "Failures").
#  5. A schema renamed at the origin reaches the peer only when the
#     walsender starts again (it sends a table's schema and name with the
#     first change of the table it sends); one renamed at the peer is seen
#     only when its apply worker starts again (docs/replication.md, "Schema changes";
#     src/replica.c, the rename guards).
#  6. A table added to the publication later is not written at the peer
#     (not subscribed) if the peer has a table of that name; if not, its
#     first change stops the subscription (docs/replication.md, "More
#     ledgers later" and "Failures").
#  7. Smaller ones: COMMIT PREPARED only outside a transaction block
#     (docs/design.md); CREATE SUBSCRIPTION superuser-only
#     (docs/replication.md); a stored generated column is not recomputed by
#     SET col = DEFAULT, nor by an UPDATE when it reads no column
#     (docs/pricing.md); a superuser may rename pg_catalog (src/guard.c).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use PostgreSQL::Test::RecursiveCopy;
use InitdbTemplate;
use Test::More;
use Time::HiRes qw(usleep);

my $pub = PostgreSQL::Test::Cluster->new('claims_pub');
$pub->init(allows_streaming => 'logical');
# the peer: a copy of the origin's new data directory (one initdb less, for
# the suite's time), on its own port
my $sub = PostgreSQL::Test::Cluster->new('claims_sub');
PostgreSQL::Test::RecursiveCopy::copypath($pub->data_dir, $sub->data_dir);
chmod(0700, $sub->data_dir) or die "chmod: $!";
$sub->append_conf('postgresql.conf',
	'port = ' . $sub->port . "\nwal_retrieve_retry_interval = 200ms\n");
$pub->start;
$sub->start;
my $conn = $pub->connstr . ' dbname=postgres';

# Wait until the server log from $offset matches $re.
sub log_has
{
	my ($node, $offset, $re) = @_;
	foreach (1 .. 300)
	{
		return 1 if slurp_file($node->logfile, $offset) =~ $re;
		usleep(100_000);
	}
	return 0;
}

sub enabled
{
	return $sub->safe_psql('postgres', "SELECT subenabled FROM pg_subscription WHERE subname = '$_[0]'");
}

# ---------- 1. log_min_messages = log drops ERRORs ----------
my $off = -s $sub->logfile;
# (the statement is logged, log_statement = all; the value only in the error)
$sub->psql('postgres', "SET log_min_messages = log; SELECT ('claims575_' || 'at_log')::int");
$sub->psql('postgres', "SELECT ('claims575_' || 'at_default')::int");
$sub->safe_psql('postgres', 'SELECT 1');
ok(log_has($sub, $off, qr/claims575_at_default/), 'default log_min_messages: the ERROR is logged');
unlike(slurp_file($sub->logfile, $off), qr/claims575_at_log/,
	'log_min_messages = log: the ERROR is not logged');

# ---------- 2. a refused commit: disabled, and its progress recorded ----------
$pub->safe_psql('postgres',
	'CREATE TABLE t (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE t; INSERT INTO t VALUES (0)');
$sub->safe_psql('postgres', q{
	CREATE TABLE t (id int PRIMARY KEY);
	CREATE TABLE ctl (flag int);
	CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
	  $$BEGIN IF EXISTS (SELECT 1 FROM public.ctl) THEN RAISE EXCEPTION 'claims575 refused at commit'; END IF; RETURN NULL; END$$;
	CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED
	  FOR EACH ROW EXECUTE FUNCTION refuse();
	ALTER TABLE t ENABLE ALWAYS TRIGGER refuse;
});
$sub->safe_psql('postgres',
	"CREATE SUBSCRIPTION s CONNECTION '$conn' PUBLICATION p WITH (disable_on_error = true)");
$sub->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_subscription_rel WHERE srsubstate = 'r'")
  or die 'table sync did not finish';
$sub->safe_psql('postgres', 'INSERT INTO ctl VALUES (1)');
my $before = $pub->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
$pub->safe_psql('postgres', 'INSERT INTO t VALUES (1)');
$sub->poll_query_until('postgres', "SELECT NOT subenabled FROM pg_subscription WHERE subname = 's'")
  or die 'not disabled';
is($sub->safe_psql('postgres', "SELECT count(*) FROM t WHERE id = 1"), '0',
	'refused at commit: nothing applied, the subscription disabled');
is( $sub->safe_psql('postgres',
		"SELECT remote_lsn > '$before'::pg_lsn FROM pg_replication_origin_status"),
	't',
	'refused at commit: the disabling transaction recorded the refused transaction as done');
my ($ret, $out, $err) =
  $sub->psql('postgres', "ALTER SUBSCRIPTION s SKIP (lsn = '$before')");
like($err, qr/must be greater than origin LSN/, 'refused at commit: SKIP at it is refused');
$sub->safe_psql('postgres', 'DELETE FROM ctl; ALTER SUBSCRIPTION s ENABLE');
$pub->safe_psql('postgres', 'INSERT INTO t VALUES (2)');
$sub->poll_query_until('postgres', 'SELECT count(*) = 1 FROM t WHERE id = 2')
  or die 'the next transaction did not arrive';
is($sub->safe_psql('postgres', 'SELECT count(*) FROM t WHERE id = 1'), '0',
	'enabled again: the refused transaction is never sent again');

# ---------- 3. a connection lost while streaming disables ----------
$pub->restart;
$sub->poll_query_until('postgres', "SELECT NOT subenabled FROM pg_subscription WHERE subname = 's'")
  or die 'not disabled';
pass('the origin restarted: the subscription disabled');

# ---------- 4. an error before streaming does not ----------
$pub->stop;
$off = -s $sub->logfile;
$sub->safe_psql('postgres', 'ALTER SUBSCRIPTION s ENABLE');
ok(log_has($sub, $off, qr/could not connect to the publisher(?s:.*)could not connect to the publisher/),
	'origin down: the apply worker fails to connect, twice');
is(enabled('s'), 't', 'origin down: the subscription stays enabled');
$pub->start;
$sub->safe_psql('postgres', 'ALTER SUBSCRIPTION s DISABLE');
$sub->poll_query_until('postgres', "SELECT pid IS NULL FROM pg_stat_subscription WHERE subname = 's'")
  or die 'apply worker still running';
$pub->safe_psql('postgres', "SELECT pg_drop_replication_slot('s')");
$off = -s $sub->logfile;
$sub->safe_psql('postgres', 'ALTER SUBSCRIPTION s ENABLE');
ok(log_has($sub, $off, qr/replication slot "s" does not exist(?s:.*)replication slot "s" does not exist/),
	'slot missing: starting the stream fails, twice');
is(enabled('s'), 't', 'slot missing: the subscription stays enabled');
$sub->safe_psql('postgres',
	'ALTER SUBSCRIPTION s DISABLE; ALTER SUBSCRIPTION s SET (slot_name = NONE); DROP SUBSCRIPTION s');

# ---------- 5. schema renames ----------
$pub->safe_psql('postgres',
	'CREATE SCHEMA s1; CREATE TABLE s1.r (id int PRIMARY KEY); CREATE PUBLICATION p5 FOR TABLE s1.r');
$sub->safe_psql('postgres', 'CREATE SCHEMA s1; CREATE TABLE s1.r (id int PRIMARY KEY)');
$sub->safe_psql('postgres',
	"CREATE SUBSCRIPTION s5 CONNECTION '$conn' PUBLICATION p5 WITH (disable_on_error = true)");
$sub->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_subscription_rel WHERE srsubstate = 'r'")
  or die 'table sync did not finish';
# the walsender sends a table's schema and name with the first change of it
# it sends (then not again until the table itself changes): one change
# before the rename
$pub->safe_psql('postgres', 'INSERT INTO s1.r VALUES (0)');
$sub->poll_query_until('postgres', 'SELECT count(*) = 1 FROM s1.r')
  or die 'the first change did not arrive';
$pub->safe_psql('postgres', 'ALTER SCHEMA s1 RENAME TO s2; INSERT INTO s2.r VALUES (1)');
ok($sub->poll_query_until('postgres', 'SELECT count(*) = 2 FROM s1.r'),
	'schema renamed at the origin: the change still arrives under the old name');
$sub->safe_psql('postgres', 'ALTER SCHEMA s1 RENAME TO s3');
$pub->safe_psql('postgres', 'INSERT INTO s2.r VALUES (2)');
ok($sub->poll_query_until('postgres', 'SELECT count(*) = 3 FROM s3.r'),
	'schema renamed at the peer: the apply worker keeps its table');
$off = -s $sub->logfile;
$sub->safe_psql('postgres',
	"SELECT pg_terminate_backend(pid) FROM pg_stat_subscription WHERE subname = 's5' AND pid IS NOT NULL");
$pub->safe_psql('postgres', 'INSERT INTO s2.r VALUES (3)');
ok(log_has($sub, $off, qr/logical replication target relation "s2\.r" does not exist/),
	'walsender and apply worker started again: the new name arrives, and is not found');
$sub->poll_query_until('postgres', "SELECT NOT subenabled FROM pg_subscription WHERE subname = 's5'")
  or die 'not disabled';
is($sub->safe_psql('postgres', 'SELECT count(*) FROM s3.r'), '3', '... nothing more applied');
$sub->safe_psql('postgres', 'DROP SUBSCRIPTION s5');

# ---------- 6. a table added to the publication later ----------
$pub->safe_psql('postgres', 'CREATE TABLE u (id int PRIMARY KEY); CREATE PUBLICATION p6 FOR TABLE u');
$sub->safe_psql('postgres', 'CREATE TABLE u (id int PRIMARY KEY); CREATE TABLE u8 (id int PRIMARY KEY)');
$sub->safe_psql('postgres',
	"CREATE SUBSCRIPTION s6 CONNECTION '$conn' PUBLICATION p6 WITH (disable_on_error = true)");
$sub->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_subscription_rel WHERE srsubstate = 'r'")
  or die 'table sync did not finish';
$pub->safe_psql('postgres',
	'CREATE TABLE u8 (id int PRIMARY KEY); ALTER PUBLICATION p6 ADD TABLE u8; INSERT INTO u8 VALUES (1); INSERT INTO u VALUES (1)');
$sub->poll_query_until('postgres', 'SELECT count(*) = 1 FROM u') or die 'u: nothing arrived';
is($sub->safe_psql('postgres', 'SELECT count(*) FROM u8') . enabled('s6'), '0t',
	'a table added to the publication, of a name the peer has: not written, the subscription on');
$off = -s $sub->logfile;
$pub->safe_psql('postgres',
	'CREATE TABLE u9 (id int PRIMARY KEY); ALTER PUBLICATION p6 ADD TABLE u9; INSERT INTO u9 VALUES (1); INSERT INTO u VALUES (2)');
$sub->poll_query_until('postgres', "SELECT NOT subenabled FROM pg_subscription WHERE subname = 's6'")
  or die 'not disabled';
like(slurp_file($sub->logfile, $off), qr/logical replication target relation "public\.u9" does not exist/,
	'a table added to the publication, of a name the peer does not have: its first change stops the subscription');
is($sub->safe_psql('postgres', 'SELECT count(*) FROM u'), '1', '... nothing more applied');
$sub->safe_psql('postgres', 'DROP SUBSCRIPTION s6');

# ---------- 7. smaller ones ----------
($ret, $out, $err) = $sub->psql('postgres', "BEGIN; COMMIT PREPARED 'x'");
like($err, qr/COMMIT PREPARED cannot run inside a transaction block/,
	'COMMIT PREPARED only outside a transaction block');
($ret, $out, $err) = $sub->psql('postgres',
	"CREATE ROLE plain; SET ROLE plain; CREATE SUBSCRIPTION x CONNECTION '$conn' PUBLICATION p WITH (connect = false)");
like($err, qr/must be superuser to create subscriptions/, 'CREATE SUBSCRIPTION is superuser-only');
is( $sub->safe_psql('postgres', q{
	CREATE FUNCTION g() RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT 1';
	CREATE TABLE gen (a int, s int GENERATED ALWAYS AS (g()) STORED, s2 int GENERATED ALWAYS AS (a * g()) STORED);
	INSERT INTO gen (a) VALUES (5);
	CREATE OR REPLACE FUNCTION g() RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT 2';
	UPDATE gen SET s = DEFAULT, s2 = DEFAULT;
	SELECT s || ' ' || s2 FROM gen;
	UPDATE gen SET a = a;
	SELECT s || ' ' || s2 FROM gen;
}),
	"1 5\n1 10",
	'generated columns: SET DEFAULT recomputes neither, SET a = a only the one reading a');
is( $sub->safe_psql('postgres',
		'BEGIN; ALTER SCHEMA pg_catalog RENAME TO pgc; SELECT nspname FROM pg_namespace WHERE oid = 11; ROLLBACK'),
	'pgc', 'a superuser may rename pg_catalog');

$sub->stop;
$pub->stop;
done_testing();
