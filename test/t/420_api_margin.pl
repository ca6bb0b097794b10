
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Faults a review of margin.c and pricing.c against PostgreSQL's internal
# APIs reproduced (2026-12-06), each failing here against the code before:
#  1. ledger.expiry_time's check read HH:MM with sscanf("%d:%d"), which
#     takes a sign and blanks inside and a number of any size: "-0:30",
#     "+7:05", "07: 5" and "4294967303:00" were accepted, and each scheduler
#     pass then failed casting the value to time (an ERROR in the log every
#     pass, and no expiry run, for good).

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

$node->stop;
done_testing();
