
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# What a role may learn, not what it may change (a review of 2026-12-06).
# PostgreSQL keeps values out of errors for roles that may not read them
# (execMain.c, ExecBuildSlotValueDescription; genam.c,
# BuildIndexValueDescription) and keeps a subscription's conninfo from
# everyone but superusers.  Each part failed against the code before:
#  1. resync_subscription() runs CREATE SUBSCRIPTION with the stored
#     conninfo through SPI: when that statement failed, its text, password
#     and all, was the error's CONTEXT, sent to the server log (the
#     statement the caller ran, "SELECT ledger.resync_subscription('s')",
#     holds none).

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

# ---------- 1. the conninfo of a failing resync_subscription ----------
{
	my $secret = 'S3cret-in-the-conninfo';
	my $a = sync_node('leak_origin');
	my $b = sync_node('leak_peer');
	$a->safe_psql(
		'postgres', qq{
SET log_statement = 'none';
SET password_encryption = 'scram-sha-256';
CREATE ROLE bank_b_sync LOGIN REPLICATION PASSWORD '$secret';
CREATE TABLE pay (id int PRIMARY KEY, amount numeric NOT NULL);
SELECT ledger.create_ledger('pay');
GRANT SELECT ON pay TO bank_b_sync;
INSERT INTO pay SELECT g, g FROM generate_series(1, 5) g;
SELECT ledger.create_publication('pub', ARRAY['pay']::regclass[]);
});
	my $hba = $a->data_dir . '/pg_hba.conf';
	my $old = slurp_file($hba);
	open(my $fh, '>', $hba) or die "$hba: $!";
	print $fh "local all bank_b_sync scram-sha-256\n", $old;
	close($fh);
	$a->reload;

	my $ci = 'host=' . $a->host . ' port=' . $a->port . " dbname=postgres user=bank_b_sync password=$secret";
	is($b->safe_psql('postgres', "SET log_statement = 'none'; SELECT ledger.create_subscription('s', '$ci', 'pub')"),
		'1', 'a subscription whose conninfo holds the password');
	ok(defined caught_up($a, $b, 'pay'), '... streams');

	# any error of the CREATE SUBSCRIPTION that resync_subscription runs (a
	# connection refused, a timeout); here an event trigger's
	$b->safe_psql(
		'postgres', q{
CREATE FUNCTION no_sub() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'no subscription today'; END $$;
CREATE EVENT TRIGGER no_sub ON ddl_command_end WHEN TAG IN ('CREATE SUBSCRIPTION')
	EXECUTE FUNCTION no_sub();
});
	my $from = -s $b->logfile;
	my ($ret, $out, $err) = $b->psql('postgres', "SELECT ledger.resync_subscription('s')");
	isnt($ret, 0, 'resync_subscription fails when its CREATE SUBSCRIPTION fails');
	like($err, qr/no subscription today/, '... with that error');
	unlike($err, qr/\Q$secret\E/, '... which does not carry the password');
	like($err, qr/CREATE SUBSCRIPTION s CONNECTION '\.\.\.'/, '... but names the statement, its conninfo left out');
	my $log = slurp_file($b->logfile, $from);
	like($log, qr/no subscription today/, '... written to the server log');
	unlike($log, qr/\Q$secret\E/, '... without the password');
	is($b->safe_psql('postgres', "SELECT count(*) FROM pg_subscription WHERE subname = 's' AND subconninfo LIKE '%$secret%'"),
		'1', '... and the subscription is as it was');

	$b->safe_psql('postgres', 'DROP EVENT TRIGGER no_sub');
	is($b->safe_psql('postgres', "SELECT ledger.resync_subscription('s')"), '1',
		'resync_subscription succeeds without the trigger');
	$a->safe_psql('postgres', 'INSERT INTO pay VALUES (6, 6)');
	my $d = caught_up($a, $b, 'pay');
	verify_ok($b, 'postgres', 'pay', $d, '... and the replica verifies');
	$b->stop;
	$a->stop;
}

done_testing();
