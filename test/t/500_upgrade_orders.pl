# 500_upgrade_orders.pl: the package upgrade from 0.1.0 in the orders real
# operations produce (test/t/090_upgrade.pl does the textbook one).
#
# 1. New files installed, no restart: ledger is preloaded, so every session
#    (one started since too) still runs the 0.1.0 library.  ALTER EXTENSION
#    ledger UPDATE (and CREATE EXTENSION ledger in another database) refuse
#    with 55000 and a hint to restart (before: 42883 'could not find
#    function "ledger_ledger_id_of" in file ...', no hint); writers go on
#    under 0.1.0 meanwhile; after the restart the update runs and every row
#    verifies against the digest 0.1.0 took.  An update rolled back leaves
#    the library refusing the 0.1.0 catalog, also one rolled back to a
#    savepoint, in the same transaction (before: 42P01 on
#    ledger.seal_queue at commit or in seal()).
# 2. ledger not preloaded (sealing on demand): a session that loaded the
#    0.1.0 library before the package upgrade keeps it.  The update refuses
#    (55006) while such a session is connected to the database (before: it
#    ran, and that session's next insert stored a row under a truncated
#    ledger_id, which verify then reported as inserted around the ledger).
# 3. The package downgraded to 0.1.0 after the update: the 0.1.0 library
#    fails every insert into a ledger of the 0.2.0 catalog (42883, the row
#    trigger's symbol is one it lacks) rather than store rows that do not
#    verify (before: the insert committed, and after the upgrade again the
#    ledger no longer verified).
# 4. A dump taken under 0.1.0, restored on the server with the 0.2.0 files:
#    as is, the extension is made at 0.2.0 and the 0.1.0 catalog data is
#    refused (the tables are then no ledgers, and verify says so); into a
#    database that ran CREATE EXTENSION ledger VERSION '0.1.0' first, it
#    restores, and after the update verifies against the 0.1.0 digest.
use strict;
use warnings;

use File::Copy;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

$ENV{LEDGER_OLD_INSTALL_0_1_0}
  or BAIL_OUT('LEDGER_OLD_INSTALL_0_1_0 is not set: run through make test');
my $pg_config = $ENV{PG_CONFIG} or BAIL_OUT('PG_CONFIG is not set');
chomp(my $new_share = `$pg_config --sharedir`);
chomp(my $new_version = `sed -n "s/^default_version = '\\(.*\\)'/\\1/p" $new_share/extension/ledger.control`);

sub extversion
{
	my ($node, $db) = @_;
	return $node->safe_psql($db // 'postgres', "SELECT extversion FROM pg_extension WHERE extname = 'ledger'");
}

# A 0.1.0 ledger with sealed and unsealed transactions; returns its digest.
sub make_ledger
{
	my ($node) = @_;
	$node->safe_psql(
		'postgres', q{
CREATE EXTENSION ledger;
CREATE TABLE pay (id bigserial, memo text NOT NULL, amount numeric);
SELECT ledger.create_ledger('pay');
INSERT INTO pay (memo, amount) SELECT 'genesis ' || g, g FROM generate_series(1, 20) g;
SELECT ledger.seal();
INSERT INTO pay (memo, amount) SELECT 'second ' || g, g FROM generate_series(1, 5) g;
SELECT ledger.seal();
});
	return $node->safe_psql('postgres', "SELECT ledger.digest('pay')");
}

# ---------- 1. preloaded: new files, no restart ----------

my $install = install_copy($ENV{LEDGER_OLD_INSTALL_0_1_0});
my $node = ledger_node('norestart', install_path => $install);
my $digest = make_ledger($node);
my $digest_part1 = $digest;
is(extversion($node), '0.1.0', 'the cluster runs 0.1.0');

my $writer = $node->background_psql('postgres', on_error_stop => 0);
$writer->query_safe("INSERT INTO pay (memo) VALUES ('writer before the package upgrade')");

install_new_package($install);

# the writer and a session started after the package upgrade both run the
# 0.1.0 library on the 0.1.0 catalog
$writer->query_safe("INSERT INTO pay (memo) VALUES ('writer after the package upgrade')");
$node->safe_psql('postgres', "INSERT INTO pay (memo) VALUES ('new session after the package upgrade')");

my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\nALTER EXTENSION ledger UPDATE");
like($err, qr/ERROR:  55000: the ledger library this server runs is older than version \Q$new_version\E of the extension/,
	'no restart: ALTER EXTENSION ledger UPDATE is refused, saying the running library is older');
like($err, qr/DETAIL:  The library is loaded through shared_preload_libraries when the server starts/,
	'... why');
like($err, qr/HINT:  Restart the server so that it loads the installed library, then run the command again\./,
	'... and what to do');
unlike($err, qr/42883/, '... not 42883 "could not find function"');
is(extversion($node), '0.1.0', '... and the extension stays at 0.1.0');

$node->safe_psql('postgres', 'CREATE DATABASE other');
($ret, $out, $err) = $node->psql('other', "\\set VERBOSITY verbose\nCREATE EXTENSION ledger");
like($err, qr/ERROR:  55000: the ledger library this server runs is older than version \Q$new_version\E/,
	'no restart: CREATE EXTENSION ledger of the new version is refused the same way');
is($node->safe_psql('other', "SELECT count(*) FROM pg_extension WHERE extname = 'ledger'"), '0',
	'... and installs nothing');

$writer->query_safe("INSERT INTO pay (memo) VALUES ('writer after the refused update')");
$writer->quit;
$node->safe_psql('postgres', 'SELECT ledger.seal()');
my $count = $node->safe_psql('postgres', 'SELECT count(*) FROM pay');
is($count, '29', 'every insert of the window is there');
verify_ok($node, 'postgres', 'pay', $digest, '0.1.0 verifies its ledger after the refused update');
my $digest_window = $node->safe_psql('postgres', "SELECT ledger.digest('pay')");

$node->restart;

# an update rolled back: the library refuses the 0.1.0 catalog again, in
# the same session
($ret, $out, $err) = $node->psql(
	'postgres', q{\set VERBOSITY verbose
BEGIN;
ALTER EXTENSION ledger UPDATE;
INSERT INTO pay (memo) VALUES ('inside the rolled back update');
ROLLBACK;
INSERT INTO pay (memo) VALUES ('after the rolled back update');
});
like($err, qr/ERROR:  55000: extension "ledger" is at version 0\.1\.0, but its library needs version/,
	'an update rolled back: the next insert of the session is refused');
is(extversion($node), '0.1.0', '... the extension is at 0.1.0');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pay'), $count, '... and no row was added');

# ... also rolled back to a savepoint, in the same transaction (before: the
# insert was taken by the 0.2.0 code and the commit failed with 'ledger
# catalog table "ledger.seal_queue" is missing', seal() with 42P01)
for my $after ("INSERT INTO pay (memo) VALUES ('after rollback to savepoint')", 'SELECT ledger.seal()')
{
	($ret, $out, $err) = $node->psql(
		'postgres', qq{\\set VERBOSITY verbose
BEGIN;
SAVEPOINT s;
ALTER EXTENSION ledger UPDATE;
INSERT INTO pay (memo) VALUES ('inside the update rolled back to a savepoint');
ROLLBACK TO s;
$after;
COMMIT;
});
	like($err, qr/ERROR:  55000: extension "ledger" is at version 0\.1\.0, but its library needs version/,
		"an update rolled back to a savepoint: then '$after' in the same transaction is refused with 55000");
	unlike($err, qr/seal_queue/, '... not with an error about ledger.seal_queue');
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM pay'), $count, '... and no row was added');

($ret, $out, $err) = $node->psql('postgres', 'ALTER EXTENSION ledger UPDATE');
is($ret, 0, 'after the restart the update runs');
is(extversion($node), $new_version, "... to $new_version");
($ret, $out, $err) = $node->psql('postgres', 'ALTER EXTENSION ledger UPDATE');
like($err, qr/version "\Q$new_version\E" of extension "ledger" is already installed/, 'a second update says so');
verify_ok($node, 'postgres', 'pay', $digest, 'the ledger verifies against the digest 0.1.0 took before the package upgrade');
verify_ok($node, 'postgres', 'pay', $digest_window, '... and against the one 0.1.0 took in the window');
$node->safe_psql('postgres', "INSERT INTO pay (memo) VALUES ('after the update')");
$node->safe_psql('postgres', 'SELECT ledger.seal()');
verify_ok($node, 'postgres', 'pay', $node->safe_psql('postgres', "SELECT ledger.digest('pay')"),
	'a row after the update verifies against a new digest');
$node->stop;

# ---------- 2. not preloaded: a session keeps the 0.1.0 library ----------

my $install2 = install_copy($ENV{LEDGER_OLD_INSTALL_0_1_0});
my $np = ledger_node('nopreload', install_path => $install2, conf => "shared_preload_libraries = ''\n");
$digest = make_ledger($np);

my $old_session = $np->background_psql('postgres', on_error_stop => 0);
$old_session->query_safe("INSERT INTO pay (memo) VALUES ('old session, before the package upgrade')");
my $old_pid = $old_session->query_safe('SELECT pg_backend_pid()');
chomp $old_pid;

my $dumpdir = PostgreSQL::Test::Utils::tempdir();
my ($dret, $dout, $derr) = run_command([ 'pg_dump', '-Fc', '-f', "$dumpdir/v010.dump", '-d', $np->connstr('postgres') ]);
is($?, 0, 'pg_dump of the 0.1.0 database') or diag($derr);
my $dump_count = $np->safe_psql('postgres', 'SELECT count(*) FROM pay');

install_new_package($install2);

# that session itself runs the update: its library is the old one, and a new
# session is what it needs, not a restart (before: 'Restart the server',
# 'The library is loaded through shared_preload_libraries ...')
$old_session->query("\\set VERBOSITY verbose\nALTER EXTENSION ledger UPDATE");
like($old_session->{stderr}, qr/ERROR:  55000: the ledger library this session runs is older than version \Q$new_version\E of the extension/,
	'not preloaded: the update in a session that loaded the 0.1.0 library is refused, naming the session');
like($old_session->{stderr}, qr/HINT:  Run the command again in a new session\./, '... and says to reconnect');
unlike($old_session->{stderr}, qr/shared_preload_libraries when the server starts|Restart the server/,
	'... not to restart the server');
$old_session->{stderr} = '';
$old_session->query("\\set VERBOSITY default");

($ret, $out, $err) = $np->psql('postgres', "\\set VERBOSITY verbose\nALTER EXTENSION ledger UPDATE");
like($err, qr/ERROR:  55006: cannot update extension "ledger" while session $old_pid of this database started before its library was installed/,
	'not preloaded: the update is refused while a session that may run the 0.1.0 library is connected, naming it');
like($err, qr/HINT:  End those sessions \(pg_terminate_backend\) or restart the server/, '... and says what to do');
is(extversion($np), '0.1.0', '... the extension stays at 0.1.0');

# the old session goes on writing the 0.1.0 catalog with the 0.1.0 library
$old_session->query_safe("INSERT INTO pay (memo) VALUES ('old session, after the refused update')");
$old_session->quit;

($ret, $out, $err) = $np->psql('postgres', 'ALTER EXTENSION ledger UPDATE');
is($ret, 0, 'once that session ended the update runs') or diag($err);
is(extversion($np), $new_version, "... to $new_version");
$np->safe_psql('postgres', "INSERT INTO pay (memo) VALUES ('new session, after the update')");
$np->safe_psql('postgres', 'SELECT ledger.seal()');
is($np->safe_psql('postgres', 'SELECT count(*) FROM pay'), '28', 'every row is there');
verify_ok($np, 'postgres', 'pay', $digest, 'the ledger verifies against its 0.1.0 digest');
verify_ok($np, 'postgres', 'pay', $np->safe_psql('postgres', "SELECT ledger.digest('pay')"),
	'... and against a new one');
# ---------- 4. the 0.1.0 dump restored under 0.2.0 ----------

$np->safe_psql('postgres', 'CREATE DATABASE as_is');
($dout, $derr) = run_command([ 'pg_restore', '-d', $np->connstr('as_is'), "$dumpdir/v010.dump" ]);
like($derr, qr/column "head_block" of relation "ledgers" does not exist/,
	'a 0.1.0 dump restored as is: the 0.1.0 catalog data is refused');
is(extversion($np, 'as_is'), $new_version, "... the extension was made at $new_version");
($ret, $out, $err) = $np->psql('as_is', "SELECT ok FROM ledger.verify('pay', '$digest')");
like($err, qr/table "pay" is not a ledger/, '... and verify refuses the table, which is no ledger');

$np->safe_psql('postgres', 'CREATE DATABASE via_010');
$np->safe_psql('via_010', "CREATE EXTENSION ledger VERSION '0.1.0'");
($dout, $derr) = run_command([ 'pg_restore', '-d', $np->connstr('via_010'), "$dumpdir/v010.dump" ]);
my @errors = ($derr =~ /ERROR:  (.*)/g);
is_deeply(\@errors, [ 'schema "ledger" already exists' ],
	'a 0.1.0 dump restored into CREATE EXTENSION ledger VERSION \'0.1.0\': only the schema exists already');
($ret, $out, $err) = $np->psql('via_010', 'ALTER EXTENSION ledger UPDATE');
is($ret, 0, '... the update runs') or diag($err);
is($np->safe_psql('via_010', 'SELECT count(*) FROM pay'), $dump_count, '... every row is there');
verify_ok($np, 'via_010', 'pay', $digest, '... and the ledger verifies against its 0.1.0 digest');

$np->stop;

# ---------- 3. the package downgraded after the update ----------

# the 0.1.0 package's files over the installation of part 1 (its server
# stopped), as a package manager's downgrade does
{
	my $orig = $ENV{LEDGER_OLD_INSTALL_0_1_0};
	chomp(my $orig_pkglib = `$orig/bin/pg_config --pkglibdir`);
	chomp(my $orig_share = `$orig/bin/pg_config --sharedir`);
	chomp(my $pkglib = `$install/bin/pg_config --pkglibdir`);
	chomp(my $share = `$install/bin/pg_config --sharedir`);
	unlink("$pkglib/ledger.so") or die "unlink: $!";
	File::Copy::copy("$orig_pkglib/ledger.so", "$pkglib/ledger.so") or die "copy ledger.so: $!";
	chmod(0755, "$pkglib/ledger.so");
	unlink(glob("$share/extension/ledger*"));
	for my $f (glob("$orig_share/extension/ledger*"))
	{
		File::Copy::copy($f, "$share/extension/" . (split m{/}, $f)[-1]) or die "copy $f: $!";
	}
}
$node->start;
$count = $node->safe_psql('postgres', 'SELECT count(*) FROM pay');
($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\nINSERT INTO pay (memo) VALUES ('under the downgraded library')");
like($err, qr/ERROR:  42883: could not find function "ledger_row_trigger_2" in file/,
	'downgraded to the 0.1.0 library: an insert into a ledger of the 0.2.0 catalog fails');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pay'), $count, '... and stores nothing');
$node->stop;
install_new_package($install);
$node->start;
verify_ok($node, 'postgres', 'pay', $digest_part1, 'upgraded again: the ledger verifies against its 0.1.0 digest');
$node->safe_psql('postgres', "INSERT INTO pay (memo) VALUES ('upgraded again')");
is($node->safe_psql('postgres', 'SELECT count(*) FROM pay'), $count + 1, '... and takes rows');
$node->stop;

done_testing();
