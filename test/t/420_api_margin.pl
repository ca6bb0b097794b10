
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Faults a review of margin.c and pricing.c against PostgreSQL's internal
# APIs reproduced (2026-12-06), each failing here against the code before:
#  1. ledger.expiry_time's check read HH:MM with sscanf("%d:%d"), which
#     takes a sign and blanks inside and a number of any size: "-0:30",
#     "+7:05", "07: 5" and "4294967303:00" were accepted, and each scheduler
#     pass then failed casting the value to time (an ERROR in the log every
#     pass, and no expiry run, for good).
#  2. A call site of pm_risk_array or span_risk_array keeps the arrays it
#     computed (fn_extra), documented as about 300 kB at most; only their
#     number was bounded (768), and a PL/pgSQL loop over pm_risk_array
#     with 1,000 points grew its transaction's memory by 8 MB.
#  3. run_margin_calls and run_expiry ran one at a time under a
#     transaction-level advisory lock, which any role that can connect may
#     take too: a session of a role without any privilege holding
#     pg_advisory_lock(hashtext('ledger.run_margin_calls')) stopped every
#     run, and the margin scheduler's passes, for as long as it stayed.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use LedgerTest;

my $node = ledger_node('apimargin',
	conf => "ledger.margin_database = 'postgres'\nledger.margin_call_interval = 1\n");
$node->safe_psql('postgres', 'CREATE EXTENSION ledger');

# ---------- 1. ledger.expiry_time ----------
foreach my $bad ('-0:30', '+7:05', '07: 5', '4294967303:00', '7:05 ', '24:00',
	'7:60', '7', '7:', ':05', '007:05', '07:055', '7.05')
{
	my ($ret, $out, $err) = $node->psql('postgres',
		"ALTER SYSTEM SET ledger.expiry_time = '$bad'");
	like($err, qr/invalid value for parameter "ledger.expiry_time"/,
		"expiry_time '$bad' refused");
}
foreach my $good ('07:05', '7:5', ' 7:05', '00:00', '23:59', '')
{
	my ($ret, $out, $err) = $node->psql('postgres',
		"ALTER SYSTEM SET ledger.expiry_time = '$good'");
	is($ret, 0, "expiry_time '$good' accepted");
	next if $good eq '';
	# what each pass casts it to
	is($node->safe_psql('postgres', "SELECT '$good'::pg_catalog.time"),
		sprintf('%02d:%02d:00', split(/:/, $good =~ s/^\s+//r)),
		"expiry_time '$good' is a time of day");
}

# a value written into the configuration file: refused at reload, so the
# scheduler keeps the one it had and its passes do not fail
$node->safe_psql('postgres', 'ALTER SYSTEM RESET ledger.expiry_time');
my $log_offset = -s $node->logfile;
$node->append_conf('postgresql.conf', "ledger.expiry_time = '+0:00'\n");
$node->reload;
my $log = '';
foreach my $i (1 .. 100)
{
	$log = slurp_file($node->logfile, $log_offset);
	last
	  if $log =~ /invalid value for parameter "ledger.expiry_time"/
	  || $log =~ /invalid input syntax for type time/;
	usleep(100_000);
}
sleep 3;    # three passes at ledger.margin_call_interval = 1
$log = slurp_file($node->logfile, $log_offset);
like($log, qr/invalid value for parameter "ledger.expiry_time": "\+0:00"/,
	'an expiry time with a sign in the file is refused at reload');
unlike($log, qr/invalid input syntax for type time/,
	'no scheduler pass fails on the expiry time');

# ---------- 2. the memo of a risk array call site ----------
# one call site (a PL/pgSQL simple expression, whose state lives until the
# end of the transaction) valuing 2,000 distinct contracts; the memory the
# backend holds is measured before and after, in the same transaction
foreach my $case (
	[ 'pm_risk_array, 1,000 points',
		"ledger.pm_risk_array('call', 100, 50 + i * 0.01, 0.5, 0.05, 0, 0.2, 100, 0.15, 0.15, 1000)" ],
	[ 'pm_risk_array, 10 points',
		"ledger.pm_risk_array('call', 100, 50 + i * 0.01, 0.5, 0.05, 0, 0.2)" ],
	[ 'span_risk_array',
		"ledger.span_risk_array('call', 100, 50 + i * 0.01, 0.5, 0.05, 0.2, 8, 0.05)" ])
{
	my ($what, $call) = @$case;
	my ($ret, $out, $err) = $node->psql('postgres', qq{
		DO \$\$
		DECLARE a float8[]; b0 bigint; b1 bigint;
		BEGIN
			SELECT sum(total_bytes) INTO b0 FROM pg_backend_memory_contexts;
			FOR i IN 1 .. 2000 LOOP
				a := $call;
			END LOOP;
			SELECT sum(total_bytes) INTO b1 FROM pg_backend_memory_contexts;
			RAISE NOTICE 'grew % kB', (b1 - b0) / 1024;
		END \$\$});
	my ($kb) = $err =~ /grew (-?\d+) kB/;
	ok(defined $kb && $kb < 512, "$what: one call site keeps less than 512 kB")
	  or diag($err);
}

# ---------- 3. the lock of one run at a time ----------
$node->safe_psql('postgres', 'CREATE ROLE nobody LOGIN');
my $holder = $node->background_psql('postgres',
	extra_params => [ '-U', 'nobody' ]);
$holder->query_safe(
	"SELECT pg_advisory_lock(hashtext('ledger.run_margin_calls')), "
	  . "pg_advisory_lock(hashtext('ledger.run_expiry'))");
foreach my $run ('ledger.run_margin_calls(now())', "ledger.run_expiry(current_date)")
{
	my ($ret, $out, $err) = $node->psql('postgres',
		"SET statement_timeout = '5s'; SELECT $run", timeout => 60);
	is($ret . '|' . $out . '|' . $err, '0|0|',
		"$run is not held up by a role's advisory lock");
}
$holder->quit;
# the lock itself: only for a caller who may run the function, and only
# for these two functions
foreach my $case (
	[ "SELECT ledger._margin_run_lock('ledger.run_margin_calls(timestamptz)')", 'nobody',
		qr/permission denied for function run_margin_calls/ ],
	[ "SELECT ledger._margin_run_lock('ledger.run_expiry(date, float8)')", 'nobody',
		qr/permission denied for function run_expiry/ ],
	[ "SELECT ledger._margin_run_lock('pg_catalog.now()')", 'postgres',
		qr/serves ledger.run_margin_calls and ledger.run_expiry only/ ])
{
	my ($sql, $user, $re) = @$case;
	my ($ret, $out, $err) = $node->psql('postgres', $sql,
		extra_params => [ '-U', $user ]);
	like($err, $re, "$sql as $user refused");
}
is( $node->safe_psql('postgres', q{
		BEGIN;
		SELECT ledger._margin_run_lock('ledger.run_margin_calls(timestamptz)');
		SELECT mode FROM pg_locks WHERE relation = 'ledger.margin_calls'::regclass
		   AND pid = pg_backend_pid() AND mode <> 'AccessShareLock';
		COMMIT;}),
	"\nShareUpdateExclusiveLock", 'SHARE UPDATE EXCLUSIVE on ledger.margin_calls');

$node->stop;
done_testing();
