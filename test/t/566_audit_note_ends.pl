
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# tools/ledger-audit on a signed checkpoint whose file does not end as a
# C2SP signed note does (a run of the documentation's examples,
# 2026-12-07). `psql -At` ends `SELECT ledger.signed_checkpoint(...)` with
# a newline after the last signature line's own (docs/audit.md strips it
# with `head -c -1`); the tool refused such a file saying that "the last
# signature line does not end in a newline", which it does, and said the
# same of a note with a blank line and no signature line at all. The
# checkpoint and keys are the example of docs/canonical-format.md
# ("Checkpoint"); no server is needed.

use strict;
use warnings;
use File::Temp qw(tempdir);
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = $ENV{TESTDIR} // '.';
my $tool = "$root/tools/ledger-audit";
my $dir = tempdir(CLEANUP => 1);

my $origin = 'bank-a.example/ledger/c0ffee00-0000-4000-8000-000000000001';
my $text = "$origin\n3\n1wou7drBGsZsaQo43VP/CmXzchE6GbcObUTkAlay8/g=\n";
my $sigs = "\x{2014} $origin V2xB39za81FmWcuTgg8vJGdEtIq5idxY+yl79XKnL0e7Zcbz1zt+/PKmF8TS2G0mOwTEnWmhjvoAc13ojvbSyDlWRA0=\n"
  . "\x{2014} bank-b.example/ledger X9COhzBFAiEAmd2n7TuKcyrAs6UC4fuhr0mMxR+MfmkZz652Zm4xvjwCIDwcjSF73k5B2Hh4W+qNgAQnArHXm+QxhRGoc18F/D7s\n";
my $keys = "$origin+576c41df+Ac0D+93KqicDwlFlbVzN2Z9WNbHgZTwGNrlRo6PbIdrU\n"
  . "bank-b.example/ledger+5fd08e87+AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABPcoxX5HEV8uIMwNy/loChqawpMJ/CiSivfqAc02tLe5FON4SMOmrrqQheMUJiBnHamiRuQb9u89pqTGEub0nCk=\n";

sub write_file
{
	my ($name, $content) = @_;
	open my $fh, '>:encoding(UTF-8)', "$dir/$name" or die $!;
	print $fh $content;
	close $fh;
	return "$dir/$name";
}

sub tool
{
	my ($out, $err);
	IPC::Run::run([ 'python3', $tool, @_ ], '>', \$out, '2>', \$err);
	my $rc = $? >> 8;
	chomp $out;
	return ($rc, $out . $err);
}

my $keyfile = write_file('keys.vkey', $keys);

my ($rc, $out) = tool('checkpoint', write_file('ok.txt', "$text\n$sigs"), $keyfile, '--quorum', '2');
is($rc, 0, 'the example checkpoint of canonical-format.md verifies');
like($out, qr/^OK: checkpoint of ledger c0ffee00-/, '... and says so');

# as psql -At writes it: one newline more
($rc, $out) = tool('checkpoint', write_file('extra.txt', "$text\n$sigs\n"), $keyfile);
is($rc, 1, 'a checkpoint with a newline after its last signature line fails');
like($out, qr/^FAIL: checkpoint \S+ ends in a blank line after its last signature line/,
	'... saying it ends in a blank line');
unlike($out, qr/does not end in a newline/, '... not that its last line lacks one');

# the last newline cut off
($rc, $out) = tool('checkpoint', write_file('cut.txt', "$text\n" . substr($sigs, 0, -1)), $keyfile);
is($rc, 1, 'a checkpoint whose last signature line has no newline fails');
like($out, qr/: the last signature line does not end in a newline$/, '... saying so');

# a blank line and no signature line
($rc, $out) = tool('checkpoint', write_file('none.txt', "$text\n"), $keyfile);
is($rc, 1, 'a checkpoint without a signature line fails');
like($out, qr/^FAIL: checkpoint \S+ has no signature lines after its blank line/, '... saying so');

done_testing();
