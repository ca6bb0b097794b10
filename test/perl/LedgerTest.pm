# LedgerTest: helpers shared by the TAP tests in test/t/*.pl.
#
# Loaded with "use LedgerTest;" (test/run.sh puts test/perl on prove's
# include path).  Every helper takes the node it works on; none keeps
# state between calls.
package LedgerTest;

use strict;
use warnings;
use File::Copy ();
use File::Temp ();

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use InitdbTemplate;
use MIME::Base64 qw(encode_base64 decode_base64);

our @EXPORT =
  qw(ledger_node verify verify_ok wait_sealed sign_hex audit_export install_copy install_new_package b64_flip b64_char_xor
  toc_of write_list);

# A started node with ledger preloaded and logical WAL.  Options:
#   install_path => a PostgreSQL installation (default: PATH's)
#   conf         => extra postgresql.conf lines
#   allows_streaming / has_archiving: as PostgreSQL::Test::Cluster->init
# LEDGER_TEST_EXTRA_CONF is appended after all of these, at the node's first
# start (InitdbTemplate, which every test file loads).
sub ledger_node
{
	my ($name, %opt) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name,
		$opt{install_path} ? (install_path => $opt{install_path}) : ());
	$node->init(
		$opt{allows_streaming} ? (allows_streaming => $opt{allows_streaming}) : (),
		$opt{has_archiving} ? (has_archiving => 1) : ());
	$node->append_conf('postgresql.conf',
		    "shared_preload_libraries = 'ledger'\n"
		  . "wal_level = logical\n"
		  . "max_worker_processes = 16\n"
		  . "ledger.seal_interval = 100ms\n"
		  . ($opt{conf} // ''));
	$node->start;
	return $node;
}

# ledger.verify(table [, digest]) as a hash: ok ('t', 'f', or 'error' when
# the call itself failed), rows, txs, blocks, unsealed, problem.
sub verify
{
	my ($node, $db, $table, $digest) = @_;
	my $arg = '';
	if (defined $digest)
	{
		(my $d = $digest) =~ s/'/''/g;
		$arg = ", '$d'::jsonb";
	}
	my ($ret, $out, $err) = $node->psql($db,
		    "SELECT ok, rows_checked, transactions_checked, blocks_checked, "
		  . "unsealed_transactions, coalesce(problem, '') FROM ledger.verify('$table'$arg)");
	return { ok => 'error', problem => $err } if $ret != 0;
	my @f = split /\|/, $out, 6;
	return {
		ok => $f[0],
		rows => $f[1],
		txs => $f[2],
		blocks => $f[3],
		unsealed => $f[4],
		problem => $f[5] };
}

# One test: the ledger verifies (against the digest, if given).
sub verify_ok
{
	my ($node, $db, $table, $digest, $name) = @_;
	my $v = verify($node, $db, $table, $digest);
	my $ok = is($v->{ok}, 't', $name);
	diag("verify($table): $v->{problem}") unless $ok;
	return $v;
}

# ledger.export(table) checked offline by tools/ledger-audit export (against
# a digest, if given): returns (exit status, the tool's output), or (-1,
# the error) when the export itself fails (a ledger whose columns a superuser
# changed cannot be exported).
sub audit_export
{
	my ($node, $db, $table, $digest) = @_;
	my $dir = PostgreSQL::Test::Utils::tempdir();
	my ($ret, $export, $perr) = $node->psql($db, "SELECT * FROM ledger.export('$table')");
	return (-1, $perr) if $ret != 0;
	open(my $fh, '>', "$dir/export.ndjson") or die "export: $!";
	print $fh "$export\n";
	close($fh);
	my @args = ("$ENV{TESTDIR}/tools/ledger-audit", 'export', "$dir/export.ndjson");
	if (defined $digest)
	{
		open($fh, '>', "$dir/digest.json") or die "digest: $!";
		print $fh $digest;
		close($fh);
		push @args, "$dir/digest.json";
	}
	my ($out, $err) = run_command([ 'python3', @args ]);
	return ($? >> 8, $out . $err);
}

# Wait until every committed transaction of the database is sealed.
sub wait_sealed
{
	my ($node, $db, $secs) = @_;
	$secs //= 60;
	for (1 .. $secs * 10)
	{
		my $n = $node->safe_psql($db,
			'SELECT count(*) FROM ledger.transaction_blocks WHERE block_no IS NULL');
		return 1 if $n == 0;
		select(undef, undef, undef, 0.1);
	}
	return 0;
}

# A private copy of a PostgreSQL installation made by test/lib.sh (such as
# $ENV{LEDGER_OLD_INSTALL_0_1_0}, DIR/usr/lib/postgresql/15), hard-linked
# where it can be, for a test that replaces files in it: the original stays
# as it was for the tests after it.  Returns the copy's path of the same
# form.
sub install_copy
{
	my ($install) = @_;
	my ($root, $rest) = $install =~ m{^(.*?)(/usr/lib/postgresql/[^/]+)/?$}
	  or die "not a private installation: $install";
	my $to = PostgreSQL::Test::Utils::tempdir() . '/install';
	system('cp', '-al', $root, $to) == 0
	  or (system('rm', '-rf', $to) == 0 && system('cp', '-a', $root, $to) == 0)
	  or die "could not copy $root";
	return $to . $rest;
}

# The package upgrade, as a DBA's package manager does it: the library and
# the extension's control and script files of the build under test (PG_CONFIG)
# over those of the old installation $install (a copy from install_copy,
# its server stopped).
sub install_new_package
{
	my ($install) = @_;
	my $pg_config = $ENV{PG_CONFIG} or die 'PG_CONFIG is not set';
	chomp(my $new_pkglib = `$pg_config --pkglibdir`);
	chomp(my $new_share = `$pg_config --sharedir`);
	chomp(my $old_pkglib = `$install/bin/pg_config --pkglibdir`);
	chomp(my $old_share = `$install/bin/pg_config --sharedir`);
	unlink("$old_pkglib/ledger.so") or die "unlink $old_pkglib/ledger.so: $!";
	File::Copy::copy("$new_pkglib/ledger.so", "$old_pkglib/ledger.so") or die "copy ledger.so: $!";
	chmod(0755, "$old_pkglib/ledger.so");
	for my $f (glob("$new_share/extension/ledger.control"), glob("$new_share/extension/ledger--*.sql"))
	{
		my $to = "$old_share/extension/" . (split m{/}, $f)[-1];
		unlink($to);
		File::Copy::copy($f, $to) or die "copy $f: $!";
	}
	return;
}

# Hex signature of a hex message by one of test/sign_rows.py's published
# test keys (ALG: ed25519, ecdsa-p256, ecdsa-p256-p1363).
sub sign_hex
{
	my ($alg, $key, $hexmsg) = @_;
	my $script = "$ENV{TESTDIR}/test/sign_rows.py";
	my ($out, $err) = run_command([ 'python3', $script, 'sign', $alg, $key, $hexmsg ]);
	die "sign_rows.py sign $alg $key: $err" if $?;
	$out =~ s/\s+//g;
	return $out;
}

# Change byte $i of the base64 string $$ref (xor $mask, default 1: its
# lowest bit), keeping it canonical base64.
sub b64_flip
{
	my ($ref, $i, $mask) = @_;
	my $b = decode_base64($$ref);
	substr($b, $i, 1) = chr(ord(substr($b, $i, 1)) ^ ($mask // 1));
	$$ref = encode_base64($b, '');
}

# The base64 character whose 6-bit value is that of $c xor $mask.
sub b64_char_xor
{
	my ($c, $mask) = @_;
	my $alphabet = join('', 'A' .. 'Z', 'a' .. 'z', '0' .. '9', '+', '/');
	return substr($alphabet, index($alphabet, $c) ^ $mask, 1);
}

# The entries of a dump's table of contents (pg_restore -l).
sub toc_of
{
	my ($file) = @_;
	my ($toc) = run_command([ 'pg_restore', '-l', $file ]);
	return split /\n/, $toc;
}

# A new list file in $dir for pg_restore -L holding @entries, in that order.
sub write_list
{
	my ($dir, @entries) = @_;
	my ($fh, $f) = File::Temp::tempfile('listXXXXXX', DIR => $dir);
	print $fh join("\n", @entries), "\n";
	close $fh;
	return $f;
}

1;
