
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# The background workers under a fault that does not go away (a review on
# 2026-12-07): a DBA's CHECK constraint on ledger.blocks that refuses one
# ledger's blocks, and one on ledger.checkpoints that refuses another
# ledger's scheduled checkpoints, while the database is written.
#  1. Each sealing pass (every ledger.seal_interval while there is work)
#     tried the failing ledger again and logged its ERROR: 5 a second, four
#     lines each (with DETAIL and CONTEXT), about 1,200 lines a minute.  The
#     checkpoint pass after each sealing pass did the same with its WARNING.
#     Both now try a ledger that failed again after a delay that doubles
#     from a second up to a minute, as PostgreSQL's apply workers and
#     autovacuum come back to a failure later; the log says how many times
#     it failed in a row.
#  2. The other ledgers, and the other database, are sealed meanwhile.
#  3. sealing_status shows both failures (the checkpoint's was only in the
#     log).
#  4. Once the constraints are dropped, sealing and the checkpoints resume
#     by themselves, nothing sealed twice, every ledger verifies.
#  5. ledger.seal() of a ledger whose background sealing failed clears its
#     error: until then sealing_status showed it for good once seal() had
#     sealed what the passes had failed on (a pass clears it only when it
#     seals that ledger, and seal() had left it nothing to seal).
#  6. A DBA's deferred constraint trigger on ledger.blocks refusing one
#     ledger's block failed the commit of the whole pass: no ledger of that
#     transaction was sealed, and the sealer, ended by the error, was
#     started again every interval (59 ERRORs in 15 s), with nothing in
#     sealing_status.  The workers check deferred constraints at their
#     statement's end now, in the ledger's subtransaction.
#  8. The margin scheduler logged the full report of a run that failed at
#     every run: with a position in a product without a price, about 98
#     lines (the CONTEXT holds margin_requirements' query).  It logs it once
#     (and when the error changes, and once an hour), then a line a run.
#  7. An error outside every ledger's subtransaction (the work list's
#     rebuild after a crash, refused by a CHECK on ledger.seal_queue) ended
#     each sealer, and the launcher started another every interval while
#     commits went on (70 in 15 s).  It now waits 1 s, doubling up to a
#     minute, after each sealer that ended by an error, and logs the count.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use LedgerTest;

# the default interval (ledger_node sets 100ms)
my $node = ledger_node('persist', conf => "ledger.seal_interval = 200ms\nledger.checkpoint_interval = 1s\n"
	  . "ledger.margin_database = 'postgres'\n");

my ($pub) = run_command([ 'bash', '-c', 'openssl genpkey -algorithm ed25519 | openssl pkey -pubout' ]);
$node->safe_psql('postgres', qq{
	CREATE EXTENSION ledger;
	SELECT ledger.add_key('me-cp', 'me', 'ed25519', ledger.public_key_from_pem(\$k\$$pub\$k\$));
	SELECT ledger.set_institution('me', 'me-cp');
	CREATE TABLE acct_a (id bigserial PRIMARY KEY, amount numeric);
	CREATE TABLE acct_b (id bigserial PRIMARY KEY, amount numeric);
	SELECT ledger.create_ledger('acct_a');
	SELECT ledger.create_ledger('acct_b');
	INSERT INTO acct_a (amount) VALUES (1);
	INSERT INTO acct_b (amount) VALUES (1);
	-- a margin book with a position in a product that has no price today
	INSERT INTO ledger.margin_products (product, style, multiplier, settlement, price_scan, vol_scan, short_option_minimum)
	VALUES ('ES', 'futures', 50, 'physical', 120, 0.05, 300), ('NOPX', 'equity', 100, 'physical', NULL, NULL, 0);
	INSERT INTO ledger.margin_prices VALUES ('ES', 4000, 0.18);
	INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity, premium) VALUES
		('fut-short', 'ES', 'future', NULL, (now() + interval '1 year')::date, 10, NULL),
		('bad', 'NOPX', 'stock', NULL, NULL, 10, NULL);
	INSERT INTO ledger.margin_collateral VALUES ('fut-short', 'USD', 'cash', 10000);
});
$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->safe_psql('other', q{
	CREATE EXTENSION ledger;
	CREATE TABLE acct_c (id bigserial PRIMARY KEY, amount numeric);
	SELECT ledger.create_ledger('acct_c');
});
ok(wait_sealed($node, 'postgres') && wait_sealed($node, 'other'), 'sealed at start');
my $aid = $node->safe_psql('postgres', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 'acct_a'::regclass});
my $bid = $node->safe_psql('postgres', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 'acct_b'::regclass});

# A writer: a commit every 50 ms for $secs seconds.
sub writer
{
	my ($db, $table, $secs) = @_;
	my $n = int($secs * 20);
	my $sql = "DO \$\$ BEGIN FOR i IN 1..$n LOOP INSERT INTO $table (amount) VALUES (i); COMMIT; "
	  . "PERFORM pg_sleep(0.05); END LOOP; END \$\$";
	my ($o, $e) = ('', '');
	return IPC::Run::start([ 'psql', '-X', '-q', '-d', $node->connstr($db), '-c', $sql ],
		'>', \$o, '2>', \$e);
}

sub unsealed
{
	my ($db, $table) = @_;
	return $node->safe_psql($db, "SELECT count(*) FROM ledger.transaction_blocks t JOIN ledger.ledgers l USING (ledger_id) "
		  . "WHERE l.relation = '$table'::regclass AND t.block_no IS NULL");
}

# ---------- the faults: allowed to a DBA (constraints are no rewrite) ----------
$node->safe_psql('postgres', "ALTER TABLE ledger.blocks ADD CONSTRAINT dba_no_b CHECK (ledger_id <> $bid) NOT VALID");
$node->safe_psql('postgres', "ALTER TABLE ledger.checkpoints ADD CONSTRAINT dba_no_a CHECK (ledger_id <> $aid) NOT VALID");

my $log_at = -s $node->logfile;
# the margin scheduler's runs fail meanwhile, every second
$node->safe_psql('postgres', 'ALTER SYSTEM SET ledger.margin_call_interval = 1');
$node->reload;
$node->safe_psql('postgres', 'INSERT INTO acct_b (amount) VALUES (2)');
my $cblocks = $node->safe_psql('other', 'SELECT count(*) FROM ledger.blocks');
my $secs = 10;
my @w = (writer('postgres', 'acct_a', $secs), writer('other', 'acct_c', $secs));
$_->finish for @w;
my $log = slurp_file($node->logfile, $log_at);
my $seal_errors = () = $log =~ /ERROR:  new row for relation "blocks" violates check constraint "dba_no_b"/g;
my $cp_warnings = () = $log =~ /WARNING:  could not make a checkpoint of ledger "public\.acct_a"/g;
diag("in $secs s of writes: $seal_errors sealing errors of acct_b, $cp_warnings checkpoint warnings of acct_a, "
	  . scalar(split /\n/, $log) . ' log lines');

# ---------- 1. not every pass ----------
# (a pass every 200 ms: 50 tries in 10 s before; now at 0, 1, 3, 7 s)
ok($seal_errors >= 2 && $seal_errors <= 6, "the failing ledger is tried again, but not at every pass ($seal_errors in $secs s)");
ok($cp_warnings >= 2 && $cp_warnings <= 6, "the failing checkpoint is tried again, but not at every pass ($cp_warnings in $secs s)");
my $margin_full = () = $log =~ /ERROR:  missing market price for product "NOPX"/g;
my $margin_again = () = $log =~ /WARNING:  ledger\.run_margin_calls failed again, \d+ times in a row since .+?: missing market price for product "NOPX"/g;
is($margin_full, 1, 'a margin run failing every second: its full report once');
ok($margin_again >= 5, "... then a line a run saying it failed again ($margin_again)");
diag('margin calls made meanwhile (one account without a price stops every call): '
	  . $node->safe_psql('postgres', 'SELECT count(*) FROM ledger.margin_calls'));
like($log, qr/background sealing of ledger id $bid: failure 3 in a row since [^;]+; tried again in 4 s/,
	'the log says how many times it failed in a row and when it is tried again');

# ---------- 2. the others are sealed meanwhile ----------
$node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM ledger.transaction_blocks t JOIN ledger.ledgers l USING (ledger_id)
	WHERE l.relation = 'acct_a'::regclass AND t.block_no IS NULL});
is(unsealed('postgres', 'acct_a'), '0', 'the other ledger of the database is sealed');
ok(wait_sealed($node, 'other', 10), 'the other database is sealed');
ok($node->safe_psql('other', 'SELECT count(*) FROM ledger.blocks') > $cblocks + 10, '... block after block');
is(unsealed('postgres', 'acct_b'), '1', 'the failing ledger is not');

# ---------- 3. visible in sealing_status ----------
like($node->safe_psql('postgres', q{SELECT last_error FROM ledger.sealing_status WHERE ledger = 'acct_b'::regclass}),
	qr/violates check constraint "dba_no_b"/, 'sealing_status: the sealing error');
like($node->safe_psql('postgres', q{SELECT last_error FROM ledger.sealing_status WHERE ledger = 'acct_a'::regclass}),
	qr/^could not make a checkpoint: .*violates check constraint "dba_no_a"/, 'sealing_status: the checkpoint error');

# ---------- 4. recovery, by itself ----------
$node->safe_psql('postgres', 'ALTER TABLE ledger.blocks DROP CONSTRAINT dba_no_b');
$node->safe_psql('postgres', 'ALTER TABLE ledger.checkpoints DROP CONSTRAINT dba_no_a');
my $made = $node->safe_psql('postgres', "SELECT max(made_at) FROM ledger.checkpoints WHERE ledger_id = $aid");
my $t0 = time;
my $w = writer('postgres', 'acct_a', 30);
$node->safe_psql('postgres', q{INSERT INTO ledger.margin_prices VALUES ('NOPX', 50, 0.3)});
my $recovered = $node->poll_query_until('postgres', qq{
	SELECT (SELECT count(*) FROM ledger.transaction_blocks t WHERE t.ledger_id = $bid AND t.block_no IS NULL) = 0
	   AND EXISTS (SELECT 1 FROM ledger.checkpoints WHERE ledger_id = $aid AND made_at > '$made')
	   AND (SELECT count(*) FROM ledger.sealing_status WHERE last_error IS NOT NULL) = 0});
my $took = time - $t0;
$node->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'DO $$ BEGIN FOR i IN%' AND pid <> pg_backend_pid()});
$w->finish;
ok($recovered, "sealing and checkpoints resume once the constraints are dropped (in $took s)");
ok($node->poll_query_until('postgres', q{SELECT count(*) > 0 FROM ledger.margin_calls WHERE account = 'fut-short'}),
	'margin calls are made once the price is there');
like(slurp_file($node->logfile, $log_at), qr/LOG:  ledger\.run_margin_calls succeeded after \d+ failures in a row since/,
	'... and the log says the runs succeed again');
$node->safe_psql('postgres', 'ALTER SYSTEM SET ledger.margin_call_interval = 0');
$node->reload;
ok(wait_sealed($node, 'postgres'), 'everything sealed');
verify_ok($node, 'postgres', $_) for qw(acct_a acct_b);
verify_ok($node, 'other', 'acct_c');
is($node->safe_psql('postgres', 'SELECT count(*) - count(DISTINCT (ledger_id, x)) FROM ledger.blocks, unnest(xact_ids) x'),
	'0', 'no transaction in two blocks');

# ---------- 5. ledger.seal() clears the error ----------
$node->safe_psql('postgres', "ALTER TABLE ledger.blocks ADD CONSTRAINT dba_no_b CHECK (ledger_id <> $bid) NOT VALID");
$node->safe_psql('postgres', 'INSERT INTO acct_b (amount) VALUES (3)');
$node->poll_query_until('postgres', q{SELECT last_error IS NOT NULL FROM ledger.sealing_status WHERE ledger = 'acct_b'::regclass});
# the sealer, idle, leaves (the next pass would be the minute's sweep)
$node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'ledger sealer'});
$node->safe_psql('postgres', 'ALTER TABLE ledger.blocks DROP CONSTRAINT dba_no_b');
is($node->safe_psql('postgres', q{SELECT ledger.seal('acct_b')}), '1', 'ledger.seal() seals the ledger at once');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ledger.sealing_status WHERE last_error IS NOT NULL}), '0',
	'... and sealing_status no longer shows its error');

# ---------- 6. a deferred constraint trigger on ledger.blocks ----------
# (an audit trigger DEFERRABLE INITIALLY DEFERRED, allowed to a DBA): it
# fired at the pass's commit, outside the ledger's subtransaction, so the
# ledger it refused failed the whole transaction, the other ledgers of it
# were not sealed, and the sealer, ended by the error, was started again
# every interval.
$node->safe_psql('postgres', qq{
	CREATE FUNCTION public.audit_blocks() RETURNS trigger LANGUAGE plpgsql AS \$\$
	BEGIN
		IF NEW.ledger_id = $bid THEN
			RAISE EXCEPTION 'audit refuses a block of ledger %', NEW.ledger_id;
		END IF;
		RETURN NULL;
	END \$\$;
	CREATE CONSTRAINT TRIGGER dba_audit AFTER INSERT ON ledger.blocks
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.audit_blocks()});
$log_at = -s $node->logfile;
$node->safe_psql('postgres', 'INSERT INTO acct_b (amount) VALUES (4)');
$w = writer('postgres', 'acct_a', 5);
$w->finish;
$node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM ledger.transaction_blocks t JOIN ledger.ledgers l USING (ledger_id)
	WHERE l.relation = 'acct_a'::regclass AND t.block_no IS NULL});
is(unsealed('postgres', 'acct_a'), '0', 'deferred trigger: the other ledger is sealed');
$log = slurp_file($node->logfile, $log_at);
$seal_errors = () = $log =~ /ERROR:  audit refuses a block of ledger $bid/g;
ok($seal_errors >= 1 && $seal_errors <= 4, "deferred trigger: the failing ledger is not tried at every pass ($seal_errors in 5 s)");
like($node->safe_psql('postgres', q{SELECT last_error FROM ledger.sealing_status WHERE ledger = 'acct_b'::regclass}),
	qr/audit refuses a block/, 'deferred trigger: sealing_status shows the error');
$node->safe_psql('postgres', 'DROP TRIGGER dba_audit ON ledger.blocks');
is($node->safe_psql('postgres', q{SELECT ledger.seal('acct_b')}), '1', 'deferred trigger: sealed once it is dropped');
verify_ok($node, 'postgres', $_) for qw(acct_a acct_b);

# ---------- 7. an error outside every ledger's subtransaction ----------
# The work list's rebuild after a crash, refused by a DBA's CHECK on
# ledger.seal_queue: each sealer ended by the error, and the launcher
# started another one every interval while commits went on.
$node->safe_psql('postgres', 'ALTER TABLE ledger.seal_queue ADD CONSTRAINT dba_q CHECK (ledger_id <> 0) NOT VALID');
$node->stop('immediate');
$node->start;
$log_at = -s $node->logfile;
$w = writer('postgres', 'acct_a', 7);
$w->finish;
$log = slurp_file($node->logfile, $log_at);
$seal_errors = () = $log =~ /ERROR:  new row for relation "seal_queue" violates check constraint "dba_q"/g;
my $starts = () = $log =~ /background worker "ledger sealer" \(PID \d+\) exited with exit code 1/g;
ok($seal_errors >= 2 && $seal_errors <= 5, "a failing sealer is not started again at every interval ($seal_errors errors, $starts sealers in 7 s)");
like($log, qr/LOG:  ledger sealer for database \d+ ended by an error, 3 times in a row; the next one starts in 4 s/,
	'the log says how many sealers failed in a row');
$node->safe_psql('postgres', 'ALTER TABLE ledger.seal_queue DROP CONSTRAINT dba_q');
ok(wait_sealed($node, 'postgres', 20), 'sealed by itself once the constraint is dropped, within the delay');
verify_ok($node, 'postgres', $_) for qw(acct_a acct_b);

done_testing();
