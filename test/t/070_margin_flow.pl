# 070_margin_flow.pl: margin calls and expiry end to end on a throwaway
# cluster.  A LISTEN client receives the notifications (one a run, no figures); re-runs for the same
# date (also concurrently) append nothing; the ledgers verify.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use InitdbTemplate;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('margin');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'ledger'\nledger.seal_interval = 100ms\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ledger');

# A futures product under SPAN, an equity and a cash-settled index class.
$node->safe_psql(
	'postgres', q{
INSERT INTO ledger.margin_products (product, style, multiplier, settlement, price_scan, vol_scan,
	short_option_minimum)
VALUES ('ES', 'futures', 50, 'physical', 120, 0.05, 300),
	   ('XYZ', 'equity', 100, 'physical', NULL, NULL, 0),
	   ('SPX', 'index', 100, 'cash', NULL, NULL, 0);
INSERT INTO ledger.margin_prices VALUES ('ES', 4000, 0.18), ('XYZ', 50, 0.30), ('SPX', 5000, 0.15);
INSERT INTO ledger.margin_haircuts VALUES ('treasury', 0.02), ('equity', 0.30);
-- fut-short: 10 long futures, too little collateral (SPAN 10 x 6,300)
-- rich: the same book, plenty of collateral
-- eq-naked: 5 naked XYZ calls (strategy: 5 x 100 x 20% x 50 = 5,000)
--   against 4,000 of equity collateral worth 2,800 after its 30% haircut
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity, premium) VALUES
	('fut-short', 'ES', 'future', NULL, '2026-06-19', 10, NULL),
	('rich', 'ES', 'future', NULL, '2026-06-19', 10, NULL),
	('eq-naked', 'XYZ', 'call', 50, '2026-06-19', -5, 1.00);
INSERT INTO ledger.margin_collateral VALUES
	('fut-short', 'USD', 'cash', 10000),
	('fut-short', 'UST', 'treasury', 20000),
	('rich', 'USD', 'cash', 1000000),
	('eq-naked', 'ACME', 'equity', 4000);
});

# The listener.
my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN ledger_margin_call; LISTEN ledger_expiry;');

# ---------- margin calls ----------
my $as_of = "'2026-03-20 21:00:00+00'";
is($node->safe_psql('postgres', "SELECT ledger.run_margin_calls($as_of)"),
	'2', 'two accounts in deficit get a margin call');

my $heard = $listener->query_safe('SELECT 1');
my @calls = ($heard =~
	  /Asynchronous notification "ledger_margin_call" with payload "(.*?)" received/g);
is(scalar @calls, 1, 'listener received one ledger_margin_call notification for the run');
# no account and no figure: any role may LISTEN (test/t/430_sql_review.pl)
like($calls[0], qr/^\{"as_of": "2026-03-2[01]T[^"]*", "calls": 2\}$/,
	'payload: the run\'s as_of and its number of calls, nothing else');
is( $node->safe_psql(
		'postgres', q{
SELECT string_agg(format('%s %s %s', account, round(deficit::numeric),
						 round((figures->>'net_option_value')::numeric)), ';' ORDER BY account)
  FROM ledger.margin_calls}),
	'eq-naked 2700 -500;fut-short 33400 0',
	'the calls are read from the table: eq-naked 5,000 + the calls\' 500 at market - 2,800; '
	  . 'fut-short SPAN 63,000 against 10,000 + 19,600 after haircuts; none for the account with enough collateral');

# The figures that justify the call are in the ledger row.
is( $node->safe_psql(
		'postgres', q{
SELECT round(requirement::numeric), round(collateral::numeric), round(deficit::numeric),
	   figures->>'method', round((figures->>'span_total')::numeric),
	   round((figures->>'span_scanning_risk')::numeric), jsonb_array_length(figures->'collateral'),
	   figures->'collateral'->1->>'haircut', round((figures->'collateral'->1->>'value')::numeric)
  FROM ledger.margin_calls WHERE account = 'fut-short'}),
	'63000|29600|33400|strategy|63000|63000|2|0.02|19600',
	'margin call row carries requirement components and collateral after haircuts')
  or diag('see figures');

# Re-running for the same as_of appends nothing and announces nothing.
is($node->safe_psql('postgres', "SELECT ledger.run_margin_calls($as_of)"),
	'0', 're-run for the same as_of makes no new call');
is($node->safe_psql('postgres', 'SELECT count(*) FROM ledger.margin_calls'),
	'2', 'still two margin calls');
$heard = $listener->query_safe('SELECT 1');
unlike($heard, qr/ledger_margin_call/, 'no notification on the re-run');

# Two concurrent runs for a new as_of: the second waits for the first and
# then finds the calls already made.
my $as_of2 = "'2026-03-21 21:00:00+00'";
my $first = $node->background_psql('postgres');
$first->query_safe('BEGIN');
is($first->query_safe("SELECT ledger.run_margin_calls($as_of2)"),
	'2', 'first concurrent run makes two calls');
my ($out, $err) = ('', '');
my $second = IPC::Run::start(
	[
		'psql', '-XAtq', '-d', $node->connstr('postgres'),
		'-c', "SELECT ledger.run_margin_calls($as_of2)"
	],
	'>', \$out, '2>', \$err);
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_locks WHERE relation = 'ledger.margin_calls'::regclass AND mode = 'ShareUpdateExclusiveLock' AND NOT granted")
  or die 'second run never waited';
$first->query_safe('COMMIT');
$first->quit;
$second->finish;
is($out, "0\n", 'second concurrent run makes no duplicate call');
is($err, '', 'second concurrent run raised no error');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*), count(DISTINCT (account, as_of)) FROM ledger.margin_calls"),
	'4|4', 'four calls, one per account and as_of');
$heard = $listener->query_safe('SELECT 1');
@calls = ($heard =~ /"ledger_margin_call"/g);
is(scalar @calls, 1, 'listener heard the run that made the two new calls, once');

# ---------- expiry ----------
$node->safe_psql(
	'postgres', q{
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity) VALUES
	('holder', 'ES', 'call', 3900, '2026-03-20', 3),       -- 100 in the money: exercise
	('writer', 'ES', 'call', 3900, '2026-03-20', -3),      -- the short side: assignment
	('holder', 'ES', 'put', 3900, '2026-03-20', 2),        -- out of the money: expires
	('holder', 'XYZ', 'put', 50.005, '2026-03-20', 1),     -- 0.005 in the money: below threshold
	('holder', 'XYZ', 'put', 55, '2026-03-20', 2),         -- physical: deliver 200 shares at 55
	('holder', 'SPX', 'call', 4900, '2026-03-20', 1),      -- cash-settled: 100 x 100
	('holder', 'ES', 'call', 3800, '2026-06-19', 1);       -- not expiring
});
is($node->safe_psql('postgres', "SELECT ledger.run_expiry('2026-03-20')"),
	'4', 'four exercise/assignment events at expiry');
is( $node->safe_psql(
		'postgres', q{
SELECT string_agg(format('%s %s %s %s %s %s %s', account, product, instrument, strike, event,
						 delivered_quantity, cash_amount), ';' ORDER BY account, product, instrument, strike)
  FROM ledger.exercise_events}),
	'holder ES call 3900 exercise 3 0;holder SPX call 4900 exercise 0 10000;'
	  . 'holder XYZ put 55 exercise -200 11000;writer ES call 3900 assignment -3 0',
	'exercise delivers or cash-settles, assignment takes the other side');
$heard = $listener->query_safe('SELECT 1');
my @events = ($heard =~
	  /Asynchronous notification "ledger_expiry" with payload "(.*?)" received/g);
is(scalar @events, 1, 'listener received one ledger_expiry notification for the run');
is($events[0], '{"events": 4, "expiry": "2026-03-20"}',
	'payload: the date and the number of events, no account and no figure');

is($node->safe_psql('postgres', "SELECT ledger.run_expiry('2026-03-20')"),
	'0', 're-running expiry for the same date appends nothing');
$heard = $listener->query_safe('SELECT 1');
unlike($heard, qr/ledger_expiry/, 'no notification on the re-run');

# The threshold is a setting: lowered, the 0.005 in-the-money put is
# exercised too, once.
is( $node->safe_psql(
		'postgres',
		"SET ledger.exercise_threshold = 0.001; SELECT ledger.run_expiry('2026-03-20')"),
	'1', 'a lower ledger.exercise_threshold exercises the marginal put');
is( $node->safe_psql(
		'postgres',
		"SET ledger.exercise_threshold = 0.001; SELECT ledger.run_expiry('2026-03-20')"),
	'0', 'and only once');

# Both ledgers verify, and cannot be rewritten.
for my $t ('ledger.margin_calls', 'ledger.exercise_events')
{
	$node->poll_query_until('postgres',
		"SELECT unsealed_transactions = 0 FROM ledger.verify('$t')")
	  or die "$t never sealed";
	is($node->safe_psql('postgres', "SELECT ok, problem FROM ledger.verify('$t')"),
		't|', "$t verifies");
}
my ($rc, $stdout, $stderr) =
  $node->psql('postgres', "UPDATE ledger.margin_calls SET deficit = 0");
isnt($rc, 0, 'margin calls cannot be rewritten');
like($stderr, qr/cannot update rows of ledger table "margin_calls"/i, 'refused as an append-only ledger');

$listener->quit;

# ---------- the scheduler ----------
# Configured, the "ledger margin scheduler" worker makes margin calls every
# ledger.margin_call_interval and runs expiry once ledger.expiry_time (UTC)
# has passed.  An account with stock and no collateral, and an option
# expiring today (UTC), in the money.
$node->safe_psql(
	'postgres', q{
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity) VALUES
	('sched', 'XYZ', 'stock', NULL, NULL, 1000),
	('sched', 'XYZ', 'call', 40, (now() AT TIME ZONE 'UTC')::date, 1);
});
$node->append_conf('postgresql.conf',
	"ledger.margin_database = 'postgres'\nledger.margin_call_interval = 1\nledger.expiry_time = '00:00'\n");
$node->restart;
$node->poll_query_until('postgres',
	"SELECT count(*) >= 2 FROM ledger.margin_calls WHERE account = 'sched'")
  or die 'the scheduler made no margin calls';
ok(1, 'the scheduler makes margin calls every interval');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) = count(DISTINCT as_of) FROM ledger.margin_calls WHERE account = 'sched'"),
	't', 'one call per account and interval');
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM ledger.exercise_events WHERE account = 'sched'")
  or die 'the scheduler ran no expiry';
is( $node->safe_psql(
		'postgres',
		"SELECT event, contracts, delivered_quantity FROM ledger.exercise_events WHERE account = 'sched'"),
	'exercise|1|100', 'the scheduler exercised the expiring option once');
is( $node->safe_psql(
		'postgres',
		"SELECT backend_type FROM pg_stat_activity WHERE backend_type = 'ledger margin scheduler'"),
	'ledger margin scheduler', 'the scheduler runs as its own background worker');

# ---------- a scheduler database that cannot be used ----------
# ledger.margin_database naming a database that does not exist (a typo): the
# worker logged FATAL "database ... does not exist" every 10 seconds for good
# (an operations review, before 2026-12-06), and FATAL "terminating background
# worker" at each shutdown.  Now one WARNING with the fix, then the scheduler
# starts once the database and the extension are there, without a restart.
# The window of 13 s held two FATALs before.

# Wait at most $secs for $re in the log from $offset; true when found.
sub log_within
{
	my ($re, $offset, $secs) = @_;
	foreach (1 .. $secs * 10)
	{
		return 1 if slurp_file($node->logfile, $offset) =~ $re;
		usleep(100_000);
	}
	return 0;
}

# Number of matches of $re in the log from $offset.
sub log_count
{
	my ($re, $offset) = @_;
	my @m = slurp_file($node->logfile, $offset) =~ /$re/g;
	return scalar @m;
}

my $missing_re = qr/WARNING:  database "typo_db" named by "ledger\.margin_database" does not exist/;
my $noext_re =
  qr/WARNING:  extension "ledger" is not installed in database "typo_db" named by "ledger\.margin_database"/;
my $margin_fatal_re = qr/FATAL:  [^\n]*(?:margin|typo_db)/;

# Stopped while idle (a pass in progress is ended as a backend's query is).
$node->safe_psql('postgres',
	"ALTER SYSTEM SET ledger.margin_call_interval = 0; ALTER SYSTEM SET ledger.expiry_time = ''");
$node->reload;
sleep 1;
my $stop_offset = -s $node->logfile;
$node->append_conf('postgresql.conf', "ledger.margin_database = 'typo_db'\n");
$node->restart;
# the WARNING may come before restart() returns: count from the stop
my $typo_offset = $stop_offset;
unlike(slurp_file($node->logfile, $stop_offset), $margin_fatal_re,
	'no FATAL when the server stops with the scheduler running');
$node->safe_psql('postgres',
	'ALTER SYSTEM RESET ledger.margin_call_interval; ALTER SYSTEM RESET ledger.expiry_time');
$node->reload;
sleep 13;
my $typo_log = slurp_file($node->logfile, $typo_offset);
unlike($typo_log, $margin_fatal_re, 'no FATAL for a scheduler database that does not exist');
is(log_count($missing_re, $typo_offset), 1, 'one WARNING names the setting and the database');
like(
	$typo_log,
	qr/$missing_re\n.*DETAIL:  The ledger margin scheduler does not run until the database exists.*\n.*HINT:  Create database "typo_db" and the extension ledger in it, or set "ledger\.margin_database" to a database that has the extension and restart the server\./,
	'the WARNING says how to fix it');

# The database appears (a reload makes the launcher look at once): one
# WARNING while the extension is missing, though a pass runs every second.
$node->safe_psql('postgres', 'CREATE DATABASE typo_db');
$node->reload;
ok(log_within($noext_re, $typo_offset, 15), 'a missing extension is reported');
sleep 3;
is(log_count($noext_re, $typo_offset), 1, 'once, not at every pass');
like(
	slurp_file($node->logfile, $typo_offset),
	qr/$noext_re\n.*DETAIL:  .*\n.*HINT:  Run CREATE EXTENSION ledger in database "typo_db", or set "ledger\.margin_database" to a database that has the extension and restart the server\./,
	'with the fix');

# The extension appears: the scheduler makes margin calls there.
$node->safe_psql(
	'typo_db', q{
CREATE EXTENSION ledger;
INSERT INTO ledger.margin_products (product, style, multiplier, settlement, price_scan, vol_scan,
	short_option_minimum)
VALUES ('XYZ', 'equity', 100, 'physical', NULL, NULL, 0);
INSERT INTO ledger.margin_prices VALUES ('XYZ', 50, 0.30);
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity) VALUES
	('sched', 'XYZ', 'stock', NULL, NULL, 1000);
});
$node->poll_query_until('typo_db',
	"SELECT count(*) >= 2 FROM ledger.margin_calls WHERE account = 'sched'")
  or die 'the scheduler made no margin calls in typo_db';
ok(1, 'the scheduler makes margin calls once the database and the extension exist');
is( $node->safe_psql(
		'postgres',
		"SELECT datname FROM pg_stat_activity WHERE backend_type = 'ledger margin scheduler'"),
	'typo_db', 'the scheduler is connected to typo_db');

# The database is dropped under the scheduler (WITH (FORCE) ends it): one
# WARNING that it is missing, not one that it is invalid (DROP DATABASE
# marks it so before it removes it), and no FATAL.  The scheduler is idle
# when it is told to end (no margin calls, no expiry runs).
$node->safe_psql('postgres',
	"ALTER SYSTEM SET ledger.margin_call_interval = 0; ALTER SYSTEM SET ledger.expiry_time = ''");
$node->reload;
sleep 1;
my $drop_offset = -s $node->logfile;
$node->safe_psql('postgres', 'DROP DATABASE typo_db WITH (FORCE)');
ok(log_within($missing_re, $drop_offset, 15), 'a dropped scheduler database is reported');
sleep 2;
is(log_count($missing_re, $drop_offset), 1, 'once');
unlike(slurp_file($node->logfile, $drop_offset), qr/is invalid/, 'not as invalid while it is dropped');

$node->stop;
unlike(slurp_file($node->logfile, $typo_offset), $margin_fatal_re, 'no FATAL from the margin workers at all');
done_testing();
