
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# The extension beside the libraries and the logging a bank runs
# (review of 2026-12-07):
#  1. Hooks: with pg_stat_statements, auto_explain and pgaudit preloaded
#     before and after ledger, each counts, explains and audits a statement
#     once: every hook ledger installs (ExecutorRun, ExecutorFinish, two
#     ProcessUtility) calls the one before it once.
#  2. Secrets: with every statement logged, explained, counted and audited,
#     a password given in create_subscription's conninfo, or stored by it and
#     read again by resync_subscription, reaches no log line and no
#     pg_stat_statements entry but the caller's own statement (which
#     PostgreSQL logs as given, as it does CREATE SUBSCRIPTION).  Before,
#     the CREATE SUBSCRIPTION the functions run through SPI carried the
#     conninfo, password and all, into pg_stat_statements (track = all) and
#     into pgaudit's line for the nested DDL, for resync_subscription('s')
#     too, whose caller gave none.
# pgaudit is not part of PostgreSQL: its checks are skipped, with the
# reason, when the server has no pgaudit library.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $libdir = `pg_config --pkglibdir`;
chomp $libdir;
my $have_pgaudit = -f "$libdir/pgaudit.so";
diag('pgaudit is not installed (postgresql-15-pgaudit): its checks are skipped')
  unless $have_pgaudit;

sub preload
{
	my @libs = @_;
	return join(',', grep { $_ ne 'pgaudit' || $have_pgaudit } @libs);
}

my $logging = "log_min_duration_statement = 0\n"
  . "log_min_error_statement = debug5\n"
  . "auto_explain.log_min_duration = 0\n"
  . "auto_explain.log_nested_statements = on\n"
  . "auto_explain.log_analyze = on\n"
  . "pg_stat_statements.track = all\n"
  . "pg_stat_statements.track_utility = on\n"
  . ($have_pgaudit ? "pgaudit.log = 'all'\npgaudit.log_parameter = on\n" : '');

# ---------- 1. hooks chained, in both orders ----------
my $h = ledger_node('coexist_hooks', conf => "max_prepared_transactions = 5\n");
my $n = 0;
for my $order (
	[ 'pg_stat_statements', 'ledger', 'auto_explain', 'pgaudit' ],
	[ 'pgaudit', 'auto_explain', 'ledger', 'pg_stat_statements' ])
{
	my $libs = preload(@$order);
	$n++;
	$h->append_conf('postgresql.conf', "shared_preload_libraries = '$libs'\n$logging");
	$h->restart;
	$h->safe_psql('postgres', 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
	$h->safe_psql('postgres', 'CREATE EXTENSION IF NOT EXISTS ledger');
	$h->safe_psql('postgres', 'SELECT pg_stat_statements_reset()');
	my $off = -s $h->logfile;
	$h->safe_psql('postgres', "CREATE TABLE cx$n (id int PRIMARY KEY, v text)");
	$h->safe_psql('postgres', "SELECT ledger.create_ledger('cx$n')");
	$h->safe_psql('postgres', "INSERT INTO cx$n VALUES (1, 'one'), (2, 'two')");
	$h->safe_psql('postgres', "BEGIN; INSERT INTO cx$n VALUES (3, 'three'); PREPARE TRANSACTION 'p$n'");
	$h->safe_psql('postgres', "COMMIT PREPARED 'p$n'");
	my $calls = $h->safe_psql(
		'postgres', qq{
		SELECT string_agg(calls::text, ',' ORDER BY q)
		  FROM (SELECT CASE WHEN query LIKE 'CREATE TABLE cx%' THEN 'create'
		                    WHEN query LIKE 'INSERT INTO cx%VALUES (\$1, \$2), (\$3, \$4)' THEN 'insert'
		                    WHEN query LIKE 'COMMIT PREPARED%' THEN 'commit prepared' END AS q, calls
		          FROM pg_stat_statements WHERE toplevel) s WHERE q IS NOT NULL});
	is($calls, '1,1,1', "$libs: pg_stat_statements counts CREATE TABLE, COMMIT PREPARED and INSERT once each");
	ok(wait_sealed($h, 'postgres'), "$libs: sealed");
	my $log = slurp_file($h->logfile, $off);
	my @plans = ($log =~ /Query Text: INSERT INTO cx$n VALUES \(1/g);
	is(scalar @plans, 1, "$libs: auto_explain logs the INSERT's plan once");
  SKIP:
	{
		skip 'pgaudit is not installed', 3 unless $have_pgaudit;
		my @ddl = ($log =~ /AUDIT: SESSION,\d+,\d+,DDL,CREATE TABLE,[^\n]*cx$n/g);
		is(scalar @ddl, 1, "$libs: pgaudit audits CREATE TABLE once");
		my @ins = ($log =~ /AUDIT: SESSION,\d+,\d+,WRITE,INSERT,[^\n]*INSERT INTO cx$n VALUES \(1/g);
		is(scalar @ins, 1, "$libs: pgaudit audits the INSERT once");
		my @cp = ($log =~ /AUDIT: SESSION,\d+,\d+,MISC,COMMIT PREPARED,[^\n]*p$n/g);
		is(scalar @cp, 1, "$libs: pgaudit audits COMMIT PREPARED once");
	}
	verify_ok($h, 'postgres', "cx$n", undef, "$libs: the ledger verifies");
}
$h->stop;

# ---------- 2. no secret in the logs ----------
my $secret = 's3cr3t';
my $a = sync_node('coexist_origin');
my $b = sync_node(
	'coexist_peer',
	conf => "shared_preload_libraries = '"
	  . preload('pg_stat_statements', 'ledger', 'auto_explain', 'pgaudit') . "'\n"
	  . $logging);
$b->safe_psql('postgres', 'CREATE EXTENSION pg_stat_statements');
$a->safe_psql(
	'postgres', q{
	CREATE TABLE pay (id int PRIMARY KEY, amount numeric NOT NULL);
	SELECT ledger.create_ledger('pay');
	INSERT INTO pay SELECT g, g FROM generate_series(1, 5) g;
	SELECT ledger.create_publication('pub', ARRAY['pay']::regclass[]);
});
# the origin trusts the socket: libpq sends the password only if asked
my $ci = conninfo($a) . " password=$secret";
my $off = -s $b->logfile;

# errors first: a publication that does not exist, an origin that is down
my ($ret, $out, $err) = $b->psql('postgres', "SELECT ledger.create_subscription('s', '$ci', 'nopub')");
isnt($ret, 0, 'create_subscription of a publication the origin lacks fails');
my $down = PostgreSQL::Test::Cluster->new('coexist_down');
(my $downci = $ci) =~ s/port=\d+/'port=' . $down->port/e;
($ret, $out, $err) = $b->psql('postgres', "SELECT ledger.create_subscription('s', '$downci', 'pub')");
isnt($ret, 0, 'create_subscription of an origin that is down fails');
unlike($err, qr/$secret/, '... its error names no password');

is($b->safe_psql('postgres', "SELECT ledger.create_subscription('s', '$ci', 'pub')"), '1', 'create_subscription');
$a->safe_psql('postgres', 'INSERT INTO pay VALUES (6, 6)');
ok(defined caught_up($a, $b, 'pay'), 'the replica catches up');
is($b->safe_psql('postgres', "SELECT ledger.resync_subscription('s')"), '1', 'resync_subscription');
$a->safe_psql('postgres', 'INSERT INTO pay VALUES (7, 7)');
ok(defined caught_up($a, $b, 'pay'), '... and streams again');

# resync with the origin down: the stored conninfo is read and fails
$a->stop;
($ret, $out, $err) = $b->psql('postgres', "SELECT ledger.resync_subscription('s')");
isnt($ret, 0, 'resync_subscription with the origin down fails');
unlike($err, qr/$secret/, '... its error names no password');
$a->start;
poll_until($b, q{SELECT count(*) > 0 FROM ledger.replication_status WHERE error IS NOT NULL}, 5);
my $status = $b->safe_psql('postgres', 'SELECT r::text FROM ledger.replication_status r');
unlike($status, qr/$secret/, 'ledger.replication_status names no password');
my $act = $b->safe_psql('postgres',
	q{SELECT string_agg(coalesce(query, '') || ' ' || coalesce(backend_type, ''), E'\n') FROM pg_stat_activity WHERE pid <> pg_backend_pid()});
unlike($act, qr/$secret/, 'pg_stat_activity shows no password (apply worker, sealer)');

$b->safe_psql('postgres', 'SELECT 1');    # flush
my @leaks = grep { /$secret/ && !/ledger\.create_subscription\(/ } split(/\n/, slurp_file($b->logfile, $off));
is(join("\n", @leaks), '', "the peer's log holds the password only in the caller's own statement");
like(slurp_file($b->logfile, $off), qr/AUDIT: [^\n]*CREATE SUBSCRIPTION s CONNECTION '\.\.\.' PUBLICATION pub/,
	'... while the CREATE SUBSCRIPTION run is still logged (pgaudit / pg_stat_statements see it)')
  if $have_pgaudit;
# (after the log is read: these queries name the password)
is($b->safe_psql('postgres', "SELECT count(*) FROM pg_stat_statements WHERE strpos(query, 's3cr' || '3t') > 0"),
	'0', 'no pg_stat_statements entry holds the password');
is($b->safe_psql('postgres', "SELECT sum(calls) FROM pg_stat_statements WHERE query LIKE 'CREATE SUBSCRIPTION s CONNECTION ''...'' PUBLICATION pub %'"),
	'2', '... which counts the CREATE SUBSCRIPTION of create_subscription and resync_subscription, conninfo left out');
my @a_leaks = grep { /$secret/ } split(/\n/, slurp_file($a->logfile));
is(join("\n", @a_leaks), '', "the origin's log holds no password");

done_testing();
