
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Interrupt latency of the extension's long C paths (review of 2026-12-06).
# A DBA stops any query with statement_timeout, pg_cancel_backend or
# pg_terminate_backend; each arrives at the next CHECK_FOR_INTERRUPTS.  The
# review timed every long-running entry point with statement_timeout =
# 300ms and found all of them answering within about 0.5 s but for the
# sorts in C, which called qsort (PostgreSQL's pg_qsort: no interrupt check):
#  1. ledger.regt_requirement sorts its legs: with 5,000,000 legs a
#     statement_timeout arrived up to 8.5 s late (the sort's length).
#  2. The final function of ledger.net_option_contracts and
#     ledger.net_short_option_contracts sorts the group's contracts: over
#     10,000,000 positions the timeout arrived up to 3.8 s late (6.6 s with
#     15,000,000).
# They now sort with qsort_interruptible.  Here an unprivileged role runs
# them with a statement_timeout that falls just before and 0.2 s and 0.8 s
# into the sort (the time before it is measured by the same call made to
# fail just there, by an invalid instrument at the end), inside a DO block
# that catches the cancel, so that the server says how late it came: within
# 1.5 s (0.1 s here; before the fix up to the rest of the sort, 1.8 to
# 2.6 s on this machine).  pg_cancel_backend reaches the same check
# (QueryCancelPending, as a timeout's); it is timed once too.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use IPC::Run;
use LedgerTest;

my $node = ledger_node('cancel');
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE ROLE app LOGIN;
	SET max_parallel_workers_per_gather = 0;
	-- 6,000,000 legs of one product; strikes, expiries and quantities in no
	-- order, so that the sort has work to do.  legs_bad's last instrument
	-- is refused after every leg was read, just before the sort.
	CREATE TABLE legs AS
	SELECT array_agg((array['call','put','stock'])[1 + g % 3]) ins,
	       array_agg(((g::int8 * 7919) % 100003)::float8) k,
	       array_agg(date '2027-01-01' + ((g::int8 * 104729) % 700)::int) e,
	       array_agg(((g::int8 * 31) % 11 - 5)::float8) q,
	       array_agg(((g::int8 * 17) % 7)::float8) p
	  FROM generate_series(1, 6000000) g;
	CREATE TABLE legs_bad AS SELECT ins[1:5999999] || '{swap}'::text[] ins, k, e, q, p FROM legs;
	GRANT SELECT ON legs, legs_bad TO app;
}, timeout => 300);

# (16,000,000 positions, near the most one group holds: 2^24); in
# contracts_bad the last one is refused, after the others were added up
my $contracts = q{SELECT ledger.net_option_contracts(
	CASE WHEN g > %d THEN 'swap' ELSE (array['call','put'])[1 + g %% 2] END,
	(g %% 100003)::float8, date '2027-01-01' + (g %% 365), ((g::int8 * 7919) %% 13 - 6)::float8)
	FROM generate_series(1, 16000000) g};
my %case = (
	regt_requirement => [
		q{SELECT requirement FROM %s, ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5,
			ins, k, e, q, p)},
		'legs', 'legs_bad'
	],
	net_option_contracts => [ $contracts, 16000000, 15999999 ]);

# Run $sql as app under a statement_timeout of $ms, in a DO block that
# catches the cancel, so that the server measures how late it came (a
# client would add its own start-up).  Returns the seconds past the timeout
# (undef when the statement ended first) and psql's stderr.
sub late
{
	my ($sql, $ms) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', qq{
		SET max_parallel_workers_per_gather = 0;
		SET statement_timeout = $ms;
		DO \$do\$
		BEGIN
			PERFORM * FROM ($sql) s;
			RAISE NOTICE 'done';
		EXCEPTION WHEN query_canceled THEN
			RAISE NOTICE 'late %', extract(epoch FROM clock_timestamp() - statement_timestamp());
		END
		\$do\$;
	}, extra_params => [ '-U', 'app' ], timeout => 300);
	return ($err =~ /NOTICE:  late ([0-9.]+)/ ? $1 - $ms / 1000.0 : undef, $err);
}

for my $name (sort keys %case)
{
	my ($sql, $good, $bad) = @{ $case{$name} };

	# how long the work before the sort takes: the same call, failing
	# there
	my $t = time;
	my ($ret, $out, $err) = $node->psql('postgres',
		"SET max_parallel_workers_per_gather = 0;\n" . sprintf($sql, $bad),
		extra_params => [ '-U', 'app' ], timeout => 300);
	my $before = time - $t;
	like($err, qr/invalid .*"swap"/, "$name: the call fails before its sort");
	note sprintf('%s: %.2f s before the sort', $name, $before);

	# just before the sort (the measure is rough on a busy machine), and
	# 0.2 s and 0.8 s into it; a run may end first
	my $stopped = 0;
	for my $ms (int($before * 900), int(($before + 0.2) * 1000), int(($before + 0.8) * 1000))
	{
		my ($late, $err) = late(sprintf($sql, $good), $ms);

		if (!defined $late)
		{
			like($err, qr/NOTICE:  done/, "$name: done before a statement_timeout of $ms ms");
			next;
		}
		$stopped++;
		cmp_ok($late, '<', 1.5,
			sprintf("$name: statement_timeout of %d ms answered in time (%.2f s late)", $ms, $late));
	}
	cmp_ok($stopped, '>=', 1, "$name: a statement_timeout fell inside the run");
}

my $regt = sprintf($case{regt_requirement}[0], 'legs');

# pg_cancel_backend from another session, 4 s into regt_requirement
my ($in, $out, $err) = ('', '', '');
my $h = IPC::Run::start(
	[ 'psql', '-XAtq', '-U', 'app', '-d', $node->connstr('postgres') . ' application_name=victim',
	  '-c', 'SET max_parallel_workers_per_gather = 0', '-c', $regt ],
	'<', \$in, '>', \$out, '2>', \$err);
$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'victim' AND state = 'active'})
  or die "victim did not start";
sleep 4;
my $t = time;
$node->safe_psql('postgres',
	q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'});
$h->finish;
my $took = time - $t;
like($err, qr/canceling statement due to user request/, 'pg_cancel_backend stops regt_requirement');
cmp_ok($took, '<', 3.0, sprintf('pg_cancel_backend answered in time (%.2f s)', $took));

# the cancelled backends left nothing behind
is($node->safe_psql('postgres',
	q{SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.usename = 'app'}),
	'0', 'no locks left by the cancelled sessions');

done_testing();
