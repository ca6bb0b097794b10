# 558_digest_rebuild_race.pl: digest() of a ledger does not take a work
# list rebuilt after the call began for a complete one.
#
# Since 2026-12-07 digest() returns at once when the sealer's work list is
# complete (its marker there, no watch row) and holds no entry of the
# ledger committed before the call (snapshot "before").  The entries a
# rebuild puts on the list carry the rebuild's transaction id: a rebuild
# that committed after "before" was taken and before the look-up (after a
# crash, the launcher's pass or ledger.sealing_status rebuilding the list
# while a digest() starts) made the list look complete, and its entries of
# records committed before the call look committed after it.  digest()
# then described the block before those records, with no NOTICE, and they
# stayed unsealed (found by the session's last review, 2026-12-07).  The
# window is the few instructions between the two snapshots; gdb stops the
# calling backend there while another session rebuilds the list.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use LedgerTest;

my $gdb = `command -v gdb 2>/dev/null`;
chomp $gdb;
plan skip_all => 'gdb is not installed' unless $gdb;

# no background sealer: nothing rebuilds the list but the calls below
my $node = ledger_node('rebuildrace', conf => "ledger.sealer = off\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE TABLE acct (id int PRIMARY KEY, amount numeric);
	SELECT ledger.create_ledger('acct');
	INSERT INTO acct VALUES (1, 10);
	SELECT ledger.seal('acct');
	INSERT INTO acct VALUES (2, 20);
});
is($node->safe_psql('postgres', q{SELECT (ledger.digest('acct'))->>'block'}), '2',
	'digest() seals the second commit (block 2)');
$node->safe_psql('postgres', 'INSERT INTO acct VALUES (3, 30)');
# a crash empties the (unlogged) work list: the third commit is on no list
$node->stop('immediate');
$node->start;
is( $node->safe_psql('postgres',
		'SELECT count(*) FROM ledger.transaction_blocks WHERE block_no IS NULL'),
	'1', 'after the crash one commit is unsealed');

# pause the caller of digest() at its look-up of the list (the first
# call of sealer_ledger_left), rebuild the list from another session
# there, and let it go on
my $caller = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $caller->query_safe('SELECT pg_backend_pid()');
chomp $pid;
my $dir = PostgreSQL::Test::Utils::tempdir();
my $psql = $node->config_data('--bindir') . '/psql';
my $host = $node->host;
my $port = $node->port;
open(my $fh, '>', "$dir/gdb.cmd") or die "gdb.cmd: $!";
print $fh <<"EOF";
set pagination off
set breakpoint pending off
break sealer_ledger_left
shell touch $dir/attached
continue
shell '$psql' -X -q -At -h '$host' -p $port -d postgres -c 'SELECT ledger._rebuild_seal_list()' > $dir/rebuilt 2>&1
delete
detach
quit
EOF
close($fh);
my ($gout, $gerr) = ('', '');
my $h = IPC::Run::start([ $gdb, '-nx', '-batch', '-x', "$dir/gdb.cmd", '-p', $pid ],
	'<', \undef, '>', \$gout, '2>', \$gerr,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
for (1 .. 600)
{
	last if -e "$dir/attached" || !$h->pumpable;
	select(undef, undef, undef, 0.1);
}
ok(-e "$dir/attached", 'gdb attached to the caller with its breakpoint')
  or diag("gdb: $gout $gerr");
$caller->{stderr} = '';
my $block = $caller->query(q{SET ledger.digest_wait = '10s'; SELECT (ledger.digest('acct'))->>'block'});
# (a breakpoint never reached leaves gdb waiting: stopped at the timeout)
eval { $h->finish; 1 } or do { diag("gdb: $@"); $h->kill_kill; };
my $rebuilt = -e "$dir/rebuilt" ? slurp_file("$dir/rebuilt") : 'not run';
chomp $rebuilt;
is($rebuilt, 't', 'the list was rebuilt, and marked complete, while digest() was stopped')
  or diag("gdb: $gout $gerr");
is($block, '3', 'digest() seals the commit made before the call (block 3)');
is($node->safe_psql('postgres',
		'SELECT count(*) FROM ledger.transaction_blocks WHERE block_no IS NULL'),
	'0', '... and nothing committed before it is left unsealed');
$caller->quit;
verify_ok($node, 'postgres', 'acct', undef, 'the ledger verifies');
$node->stop;

# 2. The same after a pass: a rebuild that committed after the call began
# listed a record committed before it, and the ledger was held through the
# passes that followed (an open ledger.seal(); here a row lock on its
# ledger.ledgers row, which a pass skips).  The look-up after the pass took
# the rebuild's entry for a later commit, and digest() described the older
# block without the NOTICE.  The list is emptied and held by a DBA's lock
# (as a crash empties it, and a rebuild of a large history takes minutes)
# while digest() starts.
my $n2 = ledger_node('rebuildrace2');
$n2->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE TABLE acct (id int PRIMARY KEY, amount numeric);
	SELECT ledger.create_ledger('acct');
	INSERT INTO acct VALUES (1, 10);
});
ok(wait_sealed($n2, 'postgres', 30), 'part 2: first commit sealed');
my $held = $n2->background_psql('postgres', on_error_stop => 1);
$held->query_safe(q{BEGIN; SELECT 1 FROM ledger.ledgers WHERE relation = 'acct'::regclass FOR UPDATE});
$n2->safe_psql('postgres', 'INSERT INTO acct VALUES (2, 20)');
my $dba = $n2->background_psql('postgres', on_error_stop => 1);
$dba->query_safe('BEGIN; LOCK TABLE ledger.seal_queue IN ACCESS EXCLUSIVE MODE; DELETE FROM ledger.seal_queue');
my $dig = $n2->background_psql('postgres', on_error_stop => 0);
my $dpid = $dig->query_safe('SELECT pg_backend_pid()');
chomp $dpid;
$dig->{stderr} = '';
$dig->query_until(qr/started/,
	"\\echo started\nSET ledger.digest_wait = '4s';\nSELECT (ledger.digest('acct'))->>'block';\n\\echo done\n");
ok( $n2->poll_query_until('postgres',
		"SELECT wait_event_type = 'Extension' FROM pg_stat_activity WHERE pid = $dpid"),
	'part 2: digest() waits for a pass');
$dba->query_safe('COMMIT');
$dba->quit;
$dig->query_until(qr/done/, '');
like($dig->{stderr}, qr/NOTICE:  ledger "acct" was not sealed within/,
	'part 2: digest() of the held ledger says that the commit made before the call is not sealed');
$dig->quit;
$held->query_safe('COMMIT');
$held->quit;
ok(wait_sealed($n2, 'postgres', 30), 'part 2: sealed once the ledger is let go');
is($n2->safe_psql('postgres', q{SELECT (ledger.digest('acct'))->>'block'}), '2',
	'part 2: and digest() describes its block');
verify_ok($n2, 'postgres', 'acct', undef, 'part 2: the ledger verifies');
$n2->stop;

done_testing();
