# SyncTest: helpers shared by the sync TAP tests (test/t/1[0-8]0_sync*.pl).
#
# Loaded with "use SyncTest;" beside LedgerTest.  Every helper takes the
# nodes it works on; none keeps state between calls.
package SyncTest;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use LedgerTest;

our @EXPORT = qw(poll_until sync_node load_start load_finish conninfo head_block wait_head caught_up row_set
  content held_state wait_refused skip_refused sub_enabled last_error_at digest_of acct_subscribed call_waiting
  resync_recovers bg_sql_start bg_sql_finish);

# Poll a query until it returns 't', at most $secs seconds; true if it did.
# (poll_query_until waits 180 s, which a failing case should not cost.)
sub poll_until
{
	my ($node, $q, $secs, $db) = @_;
	for (1 .. $secs * 10)
	{
		# psql refused by a node that is (re)starting can exit before it reads
		# the query from its stdin: IPC::Run then dies of the broken pipe,
		# which is one more failed attempt here (test/t/012_poll_until.pl)
		my ($ret, $out) = eval { $node->psql($db // 'postgres', $q) };
		return 1 if defined $ret && $ret == 0 && $out eq 't';
		select(undef, undef, undef, 0.1);
	}
	diag("timed out after $secs s: $q");
	return 0;
}

# A started node that can publish and subscribe, with the extension.  The
# launcher restarts apply workers after wal_retrieve_retry_interval (5 s by
# default); a short one keeps the tests fast.
sub sync_node
{
	my ($name, %opt) = @_;
	my $node = ledger_node(
		$name,
		%opt,
		conf => "max_wal_senders = 10\n"
		  . "max_replication_slots = 10\n"
		  . "max_logical_replication_workers = 6\n"
		  . "wal_retrieve_retry_interval = 200ms\n"
		  . "log_min_messages = warning\n"
		  . ($opt{conf} // ''));
	my $db = $opt{db} // 'postgres';
	$node->safe_psql('postgres', "CREATE DATABASE $db") if $db ne 'postgres';
	$node->safe_psql($db, 'CREATE EXTENSION ledger');
	return $node;
}

# Start pgbench in the background on a node: $clients clients for $secs
# seconds at $rate transactions per second in all, running SQL scripts
# given as [text, weight] pairs.  Returns a handle for load_finish.
sub load_start
{
	my ($node, %o) = @_;
	my $dir = PostgreSQL::Test::Utils::tempdir();
	my @files;
	my $i = 0;
	for my $s (@{ $o{scripts} })
	{
		my $f = "$dir/s" . $i++ . '.sql';
		open(my $fh, '>', $f) or die "$f: $!";
		print $fh $s->[0];
		close $fh;
		push @files, '-f', "$f\@$s->[1]";
	}
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[
			'pgbench', '-n', '-c', $o{clients} // 4, '-j', 2,
			'-T', $o{secs} // 5, ($o{rate} ? ('-R', $o{rate}) : ()),
			@files, '-h', $node->host, '-p', $node->port, $o{db} // 'postgres'
		],
		'>', \$out, '2>', \$err);
	return { h => $h, out => \$out, err => \$err };
}

# Wait for a pgbench started by load_start; returns (exit status, number of
# transactions it reports processed, stderr).
sub load_finish
{
	my ($l) = @_;
	$l->{h}->finish;
	my $status = $?;
	my ($n) = ${ $l->{out} } =~ /number of transactions actually processed: (\d+)/;
	return ($status, $n // 0, ${ $l->{err} });
}

# The node's connection string, quoted for an SQL literal.
sub conninfo
{
	my ($node, $db) = @_;
	(my $c = $node->connstr($db // 'postgres')) =~ s/'/''/g;
	return $c;
}

# After a failure a test staged at peer $b, on acct_subscribed's set-up: a
# resync of subscription "sub" that succeeds, row ($id, 10 * $id) written at
# the origin $a, and the replica caught up and verifying against the
# origin's digest (four assertions).  Returns the digest.
sub resync_recovers
{
	my ($a, $b, $id) = @_;
	is($b->safe_psql('postgres', q{SELECT ledger.resync_subscription('sub')}),
		'1', 'a resync that succeeds then');
	$a->safe_psql('postgres', 'INSERT INTO acct VALUES (' . $id . ', ' . (10 * $id) . ')');
	my $digest = caught_up($a, $b, 'acct');
	ok($digest, '... and the replica catches up');
	verify_ok($b, 'postgres', 'acct', $digest, '... and verifies against the origin\'s digest');
	return $digest;
}

# The set-up of the lock-order and reconnection tests: ledger acct (id,
# amount) at the origin with one row, published as pub, and subscription
# sub of it at the peer, caught up (three assertions).  Returns the
# origin's conninfo.
sub acct_subscribed
{
	my ($origin, $peer) = @_;
	$origin->safe_psql('postgres', q{
		CREATE TABLE acct (id int PRIMARY KEY, amount numeric);
		SELECT ledger.create_ledger('acct');
		INSERT INTO acct VALUES (1, 10);
		SELECT ledger.create_publication('pub', ARRAY['acct'::regclass]);
	});
	ok(wait_sealed($origin, 'postgres'), 'origin: sealed');
	my $ci = conninfo($origin);
	is($peer->safe_psql('postgres', "SELECT ledger.create_subscription('sub', '$ci', 'pub')"), '1', 'subscribed');
	ok(caught_up($origin, $peer, 'acct'), 'the replica caught up');
	return $ci;
}

# SELECT ledger.$call (e.g. "resync_subscription('sub')") in a background
# session at a node, and wait until that call waits as $wait says (a
# condition on pg_stat_activity, e.g. "wait_event_type = 'Lock'"): one
# assertion, named $name.  Returns the session (on_error_stop off).
sub call_waiting
{
	my ($node, $call, $wait, $name, $db) = @_;
	$db //= 'postgres';
	(my $fn = $call) =~ s/\(.*//s;
	my $session = $node->background_psql($db, on_error_stop => 0);
	$session->query_until(qr/started/, "\\echo started\nSELECT ledger.$call;\n");
	ok( poll_until(
			$node, qq{SELECT count(*) = 1 FROM pg_stat_activity
			 WHERE query LIKE 'SELECT ledger.$fn(%' AND $wait}, 30, $db),
		$name);
	return $session;
}

# The newest block of a ledger at a node (-1 if none).
sub head_block
{
	my ($node, $table, $db) = @_;
	return $node->safe_psql($db // 'postgres',
		"SELECT coalesce(max(b.block_no), -1) FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id) "
		  . "WHERE l.relation = '$table'::regclass");
}

# Wait until a node holds block $block of a ledger; true if it did.
sub wait_head
{
	my ($node, $table, $block, $db) = @_;
	return poll_until($node,
		"SELECT coalesce(max(b.block_no), -1) >= $block FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id) "
		  . "WHERE l.relation = '$table'::regclass", 90, $db);
}

# The origin's digest of a ledger (seals what is committed first).
sub digest_of
{
	my ($node, $table, $db) = @_;
	return $node->safe_psql($db // 'postgres', "SELECT ledger.digest('$table')");
}

# Seal everything at the origin, take its digest, and wait until the
# replica holds the same block.  Returns the digest, or undef on timeout.
sub caught_up
{
	my ($origin, $replica, $table, $db) = @_;
	$db //= 'postgres';
	wait_sealed($origin, $db) or return undef;
	my $digest = digest_of($origin, $table, $db);
	my $head = head_block($origin, $table, $db);
	wait_head($replica, $table, $head, $db) or return undef;
	return $digest;
}

# The set of (ledger_xact, ledger_seq, ledger_hash) of a ledger, one line
# each, in order: compare between origin and replica.
sub row_set
{
	my ($node, $table, $db) = @_;
	return $node->safe_psql($db // 'postgres',
		"SELECT count(*) || ' ' || coalesce(md5(string_agg(ledger_xact || ',' || ledger_seq || ',' || encode(ledger_hash, 'hex'), ';' "
		  . "ORDER BY ledger_xact, ledger_seq)), '-') FROM $table");
}

# What a node holds of a ledger, as one string to compare before and after:
# the table's content and ledger columns, its transaction records and its
# blocks.
sub held_state
{
	my ($node, $table, $db) = @_;
	$db //= 'postgres';
	my $lid = "(SELECT ledger_id FROM ledger.ledgers WHERE relation = '$table'::regclass)";
	return join(' / ',
		content($node, $table, $db), row_set($node, $table, $db),
		$node->safe_psql($db,
			"SELECT count(*) || ' ' || md5(string_agg(t::text, ';' ORDER BY xact_id)) FROM ledger.transactions t WHERE ledger_id = $lid"),
		$node->safe_psql($db,
			"SELECT count(*) || ' ' || md5(string_agg(b::text, ';' ORDER BY block_no)) FROM ledger.blocks b WHERE ledger_id = $lid"));
}

# Row count and a hash of the whole content of a table.
sub content
{
	my ($node, $table, $db) = @_;
	return $node->safe_psql($db // 'postgres',
		"SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, ';' ORDER BY x::text)), '-') FROM $table x");
}

sub sub_enabled
{
	my ($node, $sub, $db) = @_;
	return $node->safe_psql($db // 'postgres',
		"SELECT subenabled FROM pg_subscription WHERE subname = '$sub'");
}

# The time of the subscription's last error in replication_status ('' if none).
sub last_error_at
{
	my ($node, $sub, $db) = @_;
	return $node->safe_psql($db // 'postgres',
		"SELECT coalesce(max(last_error_at)::text, '') FROM ledger.replication_status "
		  . "WHERE role = 'replica' AND peer = '$sub'");
}

# Wait until the subscription is disabled with an error newer than $after
# (a last_error_at value, '' for any); returns (error, lsn, at), or () on
# timeout.
sub wait_refused
{
	my ($node, $sub, $after, $db) = @_;
	$db //= 'postgres';
	my $newer = $after eq '' ? 'true' : "last_error_at > '$after'::timestamptz";
	my $q =
	    "SELECT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = '$sub' AND NOT subenabled) "
	  . "AND EXISTS (SELECT 1 FROM ledger.replication_status WHERE role = 'replica' AND peer = '$sub' "
	  . "AND last_error IS NOT NULL AND $newer)";
	poll_until($node, $q, 60, $db) or return ();
	my $row = $node->safe_psql($db,
		"SELECT last_error || '|' || coalesce(last_error_lsn::text, '') || '|' || last_error_at "
		  . "FROM ledger.replication_status WHERE role = 'replica' AND peer = '$sub' LIMIT 1");
	my ($err, $lsn, $at) = split /\|/, $row, 3;
	return ($err, $lsn, $at);
}

# The documented recovery step: skip the refused origin transaction, enable.
sub skip_refused
{
	my ($node, $sub, $lsn, $db) = @_;
	$node->safe_psql($db // 'postgres',
		"ALTER SUBSCRIPTION $sub SKIP (lsn = '$lsn'); ALTER SUBSCRIPTION $sub ENABLE;");
}

# SQL in a background psql at a node, as session $name (its
# application_name), to be waited for with bg_sql_finish, for $secs seconds
# at most.  (A session that waits for a lock has no end of its own: a test
# waiting for it must not wait for ever.)
sub bg_sql_start
{
	my ($node, $sql, $name, $secs, %o) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[
			'psql', '-X', '-q', '-A', '-t', ($o{on_error_stop} // 1 ? ('-v', 'ON_ERROR_STOP=1') : ()),
			'-d', $node->connstr($o{db} // 'postgres') . " application_name=$name", '-c', $sql
		],
		'>', \$out, '2>', \$err, my $timer = IPC::Run::timeout($secs, name => $name));
	return {
		h => $h, timer => $timer, out => \$out, err => \$err, node => $node, name => $name, sql => $sql,
		secs => $secs, db => $o{db} // 'postgres' };
}

# Wait for a session started by bg_sql_start; returns (psql's exit status
# as $? has it, its unaligned output, stderr).  If it has not ended after
# its $secs seconds (counted from this call, not from its start: the walk
# of test/t/585 waits for a DBA's lock steps after it was taken), it dies
# with what the session was waiting for and which sessions held it back,
# after it killed psql and terminated the session's backend (so that the
# rest of the test does not wait behind it): test/t/593_bg_sql_timeout.pl.
sub bg_sql_finish
{
	my ($bg) = @_;
	my $h = $bg->{h};
	$bg->{timer}->start($bg->{secs});
	if (eval { $h->finish; 1 })
	{
		(my $out = ${ $bg->{out} }) =~ s/\n\z//;
		return (scalar($h->full_result(0)), $out, ${ $bg->{err} });
	}
	my $e = $@;
	$h->kill_kill;
	die $e unless $e =~ /^IPC::Run: timeout on \Q$bg->{name}\E/;
	my ($node, $name) = ($bg->{node}, $bg->{name});
	my (undef, $waits) = $node->psql($bg->{db}, qq{
		SELECT string_agg(format('pid %s %s, waiting for %s %s, held back by %s', s.pid, s.state,
			coalesce(s.wait_event_type, '-'), coalesce(s.wait_event, '-'),
			coalesce((SELECT string_agg(format('pid %s (%s: %s)', b.pid, coalesce(nullif(b.application_name, ''), b.backend_type),
				replace(left(b.query, 200), chr(10), ' ')), ', ') FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids(s.pid))), 'nothing')), '; ')
		FROM pg_stat_activity s WHERE s.application_name = '$name'});
	$node->psql($bg->{db}, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '$name'");
	die "$name did not end within $bg->{secs} s: $bg->{sql}\n"
	  . "  its session: " . ($waits eq '' ? 'gone' : $waits) . "\n";
}

1;
