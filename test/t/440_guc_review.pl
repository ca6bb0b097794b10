# 440_guc_review.pl: the extension's settings as an application role sees
# them.  A setting the background workers act on must not be one that a role
# without superuser can set for them (ALTER DATABASE ... SET by the database's
# owner, ALTER ROLE ... SET, SET).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use InitdbTemplate;

my $node = PostgreSQL::Test::Cluster->new('gucrev');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'ledger'\nledger.seal_interval = 100ms\n"
	  . "ledger.margin_database = 'bank'\n");
$node->start;
$node->safe_psql('postgres',
	'CREATE ROLE app LOGIN; CREATE DATABASE bank OWNER app');
$node->safe_psql('bank', 'CREATE EXTENSION ledger');

# An ES call 100 in the money expiring today (UTC), held long and written.
$node->safe_psql(
	'bank', q{
INSERT INTO ledger.margin_products (product, style, multiplier, settlement, price_scan, vol_scan,
	short_option_minimum)
VALUES ('ES', 'futures', 50, 'physical', 120, 0.05, 300);
INSERT INTO ledger.margin_prices VALUES ('ES', 4000, 0.18);
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity)
VALUES ('holder', 'ES', 'call', 3900, (now() AT TIME ZONE 'UTC')::date, 3),
	   ('writer', 'ES', 'call', 3900, (now() AT TIME ZONE 'UTC')::date, -3);
});

# ---------- ledger.exercise_threshold ----------
# The database's owner (no superuser) tries to raise the threshold the margin
# scheduler's run_expiry uses: a background worker connected to the database
# takes its ALTER DATABASE ... SET settings (PostgreSQL's InitPostgres ->
# process_settings), so every option would expire unexercised.
my ($ret, $out, $err) = $node->psql('bank',
	'ALTER DATABASE bank SET ledger.exercise_threshold = 1e12',
	extra_params => [ '-U', 'app' ]);
isnt($ret, 0, 'the database owner cannot set ledger.exercise_threshold for the database');
like($err, qr/permission denied to set parameter "ledger\.exercise_threshold"/,
	'refused with permission denied');
($ret, $out, $err) = $node->psql('bank',
	'ALTER ROLE app SET ledger.exercise_threshold = 1e12',
	extra_params => [ '-U', 'app' ]);
isnt($ret, 0, 'nor for itself with ALTER ROLE');
($ret, $out, $err) = $node->psql('bank',
	'SET ledger.exercise_threshold = 1e12',
	extra_params => [ '-U', 'app' ]);
isnt($ret, 0, 'nor in its session');
like($err, qr/permission denied to set parameter "ledger\.exercise_threshold"/,
	'SET refused with permission denied');
is($node->safe_psql('bank', 'SET ledger.exercise_threshold = 0.5; SHOW ledger.exercise_threshold'),
	'0.5', 'a superuser still sets it');

# The scheduler, restarted with today's expiry due, exercises the option at
# the default threshold (0.01).
$node->append_conf('postgresql.conf', "ledger.expiry_time = '00:00'\n");
$node->restart;
ok( $node->poll_query_until(
		'bank',
		"SELECT count(*) = 2 FROM ledger.exercise_events"),
	'the margin scheduler exercised and assigned the in-the-money call');
is( $node->safe_psql(
		'bank',
		"SELECT string_agg(account || ' ' || event, ',' ORDER BY account) FROM ledger.exercise_events"),
	'holder exercise,writer assignment', 'one exercise, one assignment');

$node->stop;

# Without shared_preload_libraries a session that has not loaded ledger yet
# holds ledger.exercise_threshold as a placeholder any role may SET.  Through
# a SECURITY DEFINER wrapper of run_expiry (the threshold left to the
# setting), the caller's placeholder must not be the threshold: run_expiry
# loads the library first, which refuses the caller's value.
my $plain = PostgreSQL::Test::Cluster->new('gucrev_plain');
$plain->init;
$plain->start;
$plain->safe_psql('postgres', q{
CREATE EXTENSION ledger;
CREATE ROLE app LOGIN;
INSERT INTO ledger.margin_products (product, style, multiplier, settlement, price_scan, vol_scan,
	short_option_minimum)
VALUES ('ES', 'futures', 50, 'physical', 120, 0.05, 300);
INSERT INTO ledger.margin_prices VALUES ('ES', 4000, 0.18);
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity)
VALUES ('holder', 'ES', 'call', 3900, '2026-03-20', 3),
	   ('writer', 'ES', 'call', 3900, '2026-03-20', -3);
CREATE FUNCTION public.expire(d date) RETURNS int
	LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
	AS 'SELECT ledger.run_expiry(d)';
REVOKE ALL ON FUNCTION public.expire(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.expire(date) TO app;
});
($ret, $out, $err) = $plain->psql('postgres',
	"SET ledger.exercise_threshold = 1e12; SELECT public.expire('2026-03-20')",
	extra_params => [ '-U', 'app' ]);
is($out, '2',
	'a caller\'s placeholder ledger.exercise_threshold is not the threshold of run_expiry');
like($err, qr/permission denied to set parameter "ledger\.exercise_threshold"/,
	'loading the library refused the caller\'s value');
$plain->stop;
done_testing();
