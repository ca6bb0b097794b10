# Copyright (c) the ledger authors; PostgreSQL licence.
#
# The sealer disables a subscription whose slot a failed resync dropped
# (replica_disable_lost, test/t/595_resync_lost_slot.pl).  What if that
# ALTER SUBSCRIPTION ... DISABLE fails (a review of the error paths on
# 2026-12-07, the last read)?  Here an administrator's event trigger refuses
# ALTER SUBSCRIPTION from background processes.  Until then nothing caught
# the error: it ended the sealer, whose restart tried again at its first
# pass, for ever, the subscription's record still asking for it; each pass
# ended before its checkpoints, and the log took the error every few
# seconds.  Now, as when enabling a subscription again fails
# (replica_reconnect_subscriptions), the disable is not tried again: the
# error ends the sealer once, and the subscription's ENABLE stays refused.
# Then (same set-up) an ALTER SUBSCRIPTION ... SET (slot_name) in a
# prepared transaction: until 2026-12-07 its PREPARE took back the record
# of the dropped slot, and after ROLLBACK PREPARED ENABLE was accepted.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('df_a');
my $b = sync_node('df_b', conf => "max_prepared_transactions = 2\n");
my $ci = acct_subscribed($a, $b);

# a ledger of the peer's own, for its sealer
$b->safe_psql('postgres', q{
CREATE TABLE loc (id int PRIMARY KEY);
SELECT ledger.create_ledger('loc');
INSERT INTO loc VALUES (1);
});
ok(wait_sealed($b, 'postgres'), 'the peer\'s own ledger is sealed');

# an administrator's rule: no ALTER SUBSCRIPTION but by a client
$b->safe_psql('postgres', q{
CREATE FUNCTION no_bg_alter() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT backend_type FROM pg_stat_activity WHERE pid = pg_backend_pid())
     IS DISTINCT FROM 'client backend' THEN
    RAISE EXCEPTION 'no ALTER SUBSCRIPTION by a background process';
  END IF;
END $$;
CREATE EVENT TRIGGER no_bg_alter ON ddl_command_start
  WHEN TAG IN ('ALTER SUBSCRIPTION') EXECUTE FUNCTION no_bg_alter();
});

# a resync cancelled after the slot's drop (as 595 part 1)
my $off = -s $b->logfile;
my $holder = $b->background_psql('postgres');
$holder->query_safe('BEGIN; LOCK TABLE acct IN ACCESS EXCLUSIVE MODE');
my $session = $b->background_psql('postgres', on_error_stop => 0);
$session->query_until(qr/started/, "\\echo started\nSELECT ledger.resync_subscription('sub');\n");
ok( poll_until(
		$b, q{SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE query LIKE 'SELECT ledger.resync_subscription(%' AND wait_event_type = 'Lock'}, 30),
	'a resync waits for the replica\'s lock, the slot dropped');
my $pid = $b->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT ledger.resync_subscription(%'});
$b->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
eval { $session->quit; };
like($session->{stderr} // '', qr/canceling statement due to user request/, '... and is cancelled');
$holder->query_safe('COMMIT');
$holder->quit;

# the sealer tries to disable it, and the event trigger refuses
my $refused = qr/ERROR:  no ALTER SUBSCRIPTION by a background process/;
my $seen = 0;
for (1 .. 300)
{
	$seen = () = slurp_file($b->logfile, $off) =~ /$refused/g;
	last if $seen > 0;
	select(undef, undef, undef, 0.1);
}
ok($seen > 0, 'the sealer\'s ALTER SUBSCRIPTION ... DISABLE fails (the event trigger)');

# for 10 s (ten seal intervals and more than one launcher round): once
sleep 10;
$seen = () = slurp_file($b->logfile, $off) =~ /$refused/g;
is($seen, 1, '... once, not at every pass of a sealer restarted for it (before: 4 times in 10 s, '
	  . 'the launcher\'s delay between sealers doubling)');
$b->safe_psql('postgres', 'INSERT INTO loc VALUES (2)');
ok(wait_sealed($b, 'postgres'), '... a row written is sealed');
my ($ret, $out, $err) = $b->psql('postgres', 'ALTER SUBSCRIPTION sub DISABLE; ALTER SUBSCRIPTION sub ENABLE');
like($err, qr/ERROR:  cannot enable subscription "sub": ledger\.resync_subscription\(\) dropped its slot at the origin/,
	'... ENABLE is still refused');

# An administrator's ALTER SUBSCRIPTION ... SET (slot_name) takes charge of
# the slot (595 part 6) once it commits; prepared, then rolled back, it took
# the record back at its PREPARE, and ENABLE then passed, the apply worker
# failing on the missing slot for ever (or streaming from a later slot).
$b->safe_psql('postgres', q{BEGIN; ALTER SUBSCRIPTION sub DISABLE;
ALTER SUBSCRIPTION sub SET (slot_name = 'sub'); PREPARE TRANSACTION 'admin'});
$b->safe_psql('postgres', q{ROLLBACK PREPARED 'admin'});
($ret, $out, $err) = $b->psql('postgres', 'ALTER SUBSCRIPTION sub DISABLE; ALTER SUBSCRIPTION sub ENABLE');
like($err, qr/ERROR:  cannot enable subscription "sub": ledger\.resync_subscription\(\) dropped its slot at the origin/,
	'a SET (slot_name) prepared, then rolled back: ENABLE is still refused (before: accepted)');
# ... prepared, then committed: the record is kept (a PREPARE cannot tell
# which way it ends); a SET (slot_name) of its own takes it back
$b->safe_psql('postgres', q{BEGIN; ALTER SUBSCRIPTION sub DISABLE;
ALTER SUBSCRIPTION sub SET (slot_name = 'sub'); PREPARE TRANSACTION 'admin'});
$b->safe_psql('postgres', q{COMMIT PREPARED 'admin'});
($ret, $out, $err) = $b->psql('postgres', 'ALTER SUBSCRIPTION sub ENABLE');
like($err, qr/ERROR:  cannot enable subscription "sub"/, '... prepared, then committed: ENABLE still refused');
($ret, $out, $err) = $b->psql('postgres', q{BEGIN; ALTER SUBSCRIPTION sub SET (slot_name = 'sub'); COMMIT;
BEGIN; ALTER SUBSCRIPTION sub ENABLE; ROLLBACK});
is($err, '', '... and accepted after a SET (slot_name) committed');

# the rule lifted, a resync recovers
$b->safe_psql('postgres', 'DROP EVENT TRIGGER no_bg_alter');
resync_recovers($a, $b, 2);

$a->stop;
$b->stop;
done_testing();
