# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Sync with password authentication, the password kept out of the
# conninfo (docs/replication.md, "Credentials"): the origin asks the sync
# role for a SCRAM password; the peer's create_subscription, its apply
# worker and resync_subscription find it in a password file named by
# passfile=.  The conninfo stored at the peer (pg_subscription) holds no
# password, and neither server's log does.  Without the file, the
# subscription is refused by the origin.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $secret = 'Tr0ub4dor-and-3';
my $a = sync_node('cred_origin');
my $b = sync_node('cred_peer');
$a->safe_psql(
	'postgres', qq{
SET log_statement = 'none';    -- the test clusters log every statement
SET password_encryption = 'scram-sha-256';
CREATE ROLE bank_b_sync LOGIN REPLICATION PASSWORD '$secret';
CREATE TABLE pay (id int PRIMARY KEY, payee text NOT NULL, amount numeric(18,2) NOT NULL);
SELECT ledger.create_ledger('pay');
GRANT SELECT ON pay TO bank_b_sync;
INSERT INTO pay SELECT g, 'p' || g, g FROM generate_series(1, 10) g;
SELECT ledger.create_publication('pub', ARRAY['pay']::regclass[]);
});
# the sync role must give its password, over the socket too
my $hba = $a->data_dir . '/pg_hba.conf';
my $old = slurp_file($hba);
open(my $fh, '>', $hba) or die "$hba: $!";
print $fh "local all bank_b_sync scram-sha-256\n", $old;
close($fh);
$a->reload;

my $dir = PostgreSQL::Test::Utils::tempdir();
my $passfile = "$dir/pgpass";
open($fh, '>', $passfile) or die;
print $fh '*:' . $a->port . ":postgres:bank_b_sync:$secret\n";
close($fh);
chmod(0600, $passfile);

my $base = 'host=' . $a->host . ' port=' . $a->port . ' dbname=postgres user=bank_b_sync';
my ($ret, $out, $err) = $b->psql('postgres', "SELECT ledger.create_subscription('s', '$base', 'pub')");
like($err, qr/password/, 'without a password the origin refuses the sync role');
is($b->safe_psql('postgres', "SELECT count(*) FROM pg_subscription"), '0', '... and nothing is made');

is($b->safe_psql('postgres', "SELECT ledger.create_subscription('s', '$base passfile=$passfile', 'pub')"),
	'1', 'create_subscription with the password in a password file');
$a->safe_psql('postgres', "INSERT INTO pay VALUES (11, 'streamed', 11)");
my $d = caught_up($a, $b, 'pay');
ok(defined $d, 'the apply worker streams with the password file');
verify_ok($b, 'postgres', 'pay', $d, "the replica verifies against the origin's digest");
is($b->safe_psql('postgres', "SELECT ledger.resync_subscription('s')"), '1', 'resync_subscription with the password file');
$a->safe_psql('postgres', "INSERT INTO pay VALUES (12, 'after resync', 12)");
$d = caught_up($a, $b, 'pay');
verify_ok($b, 'postgres', 'pay', $d, '... and streams again');
unlike($b->safe_psql('postgres', 'SELECT subconninfo FROM pg_subscription'), qr/\Q$secret\E/,
	'the stored conninfo holds no password');
for my $n ($a, $b)
{
	unlike(slurp_file($n->logfile), qr/\Q$secret\E/, $n->name . ': no password in the server log');
}

done_testing();
