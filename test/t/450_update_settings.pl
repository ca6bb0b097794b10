# 450_update_settings.pl: ledger.exercise_threshold set by a role without
# superuser while 0.1.0 let it (PGC_USERSET then): ALTER DATABASE ... SET by
# the database's owner is stored in pg_db_role_setting, and PostgreSQL
# applies a stored entry without asking who made it (guc.c,
# set_config_option: "we assume a suitable privilege check was done when
# the pg_db_role_setting entry was made").  The update from 0.1.0 names such
# entries.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

$ENV{LEDGER_OLD_INSTALL_0_1_0}
  or BAIL_OUT('LEDGER_OLD_INSTALL_0_1_0 is not set: run through make test');
my $old_install = install_copy($ENV{LEDGER_OLD_INSTALL_0_1_0});
my $pg_config = $ENV{PG_CONFIG} or BAIL_OUT('PG_CONFIG is not set');

my $old = ledger_node('thr', install_path => $old_install);
$old->safe_psql('postgres', 'CREATE ROLE app LOGIN; CREATE DATABASE bank OWNER app');
$old->safe_psql('bank', 'CREATE EXTENSION ledger');
is($old->safe_psql('bank', "SELECT extversion FROM pg_extension WHERE extname = 'ledger'"),
	'0.1.0', 'the old installation provides 0.1.0');
# 0.1.0: any role, here the database's owner, sets it for the database
my ($ret, $out, $err) = $old->psql('bank',
	'ALTER DATABASE bank SET ledger.exercise_threshold = 1e12',
	extra_params => [ '-U', 'app' ]);
is($ret, 0, '0.1.0: the database owner sets ledger.exercise_threshold for the database');
$old->safe_psql('bank', 'ALTER ROLE app SET ledger.exercise_threshold = 7', extra_params => [ '-U', 'app' ]);
$old->stop;

# the package upgrade: new files over the old installation
install_new_package($old_install);
$old->start;

($ret, $out, $err) = $old->psql('bank', 'ALTER EXTENSION ledger UPDATE');
is($ret, 0, 'the update runs');
like($err, qr/WARNING:  ledger\.exercise_threshold is set to 1e\+?12 for database bank in pg_db_role_setting/,
	'the update names the stored setting, which a role without superuser may have made');
like($err, qr/HINT:  .*ALTER DATABASE bank RESET ledger\.exercise_threshold/,
	'... with the command that removes it');
like($err, qr/WARNING:  ledger\.exercise_threshold is set to 7 for role app in pg_db_role_setting/,
	'... and the one a role stored for itself');
like($err, qr/HINT:  .*ALTER ROLE app RESET ledger\.exercise_threshold/, '... with its command');

# what the entry does: the new, superuser-only setting still takes it
is($old->safe_psql('bank', 'SHOW ledger.exercise_threshold'), '1e+12',
	'the entry made under 0.1.0 is still applied to every session of the database');
$old->safe_psql('bank', 'ALTER DATABASE bank RESET ledger.exercise_threshold');
is($old->safe_psql('bank', 'SHOW ledger.exercise_threshold'), '0.01', 'the hint\'s command removes it');
is($old->safe_psql('bank', 'SHOW ledger.exercise_threshold', extra_params => [ '-U', 'app' ]), '7',
	'the role\'s entry too');
$old->safe_psql('bank', 'ALTER ROLE app RESET ledger.exercise_threshold');
$old->stop;

# Settings counted in seconds: PostgreSQL rounds a value given in ms to
# whole seconds half to even (guc.c, parse_int: rint), as docs/reference.md
# says ('500ms' was documented as 1 until the last read of 2026-12-06).
my $node = ledger_node('round');
for my $case ([ '499ms', '0' ], [ '500ms', '0' ], [ '501ms', '1s' ], [ '2500ms', '2s' ])
{
	my ($v, $want) = @$case;
	$node->append_conf('postgresql.conf',
		"ledger.checkpoint_interval = '$v'\nledger.margin_call_interval = '$v'\nledger.sync_reconnect_delay = '$v'\n");
	$node->reload;
	ok($node->poll_query_until('postgres',
		"SELECT current_setting('ledger.checkpoint_interval') = '$want' AND current_setting('ledger.margin_call_interval') = '$want' AND current_setting('ledger.sync_reconnect_delay') = '$want'"),
		"'$v' is $want");
}
$node->stop;
done_testing();
