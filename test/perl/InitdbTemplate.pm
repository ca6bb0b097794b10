# InitdbTemplate: a node's data directory copied from one initdb per run.
#
# test/run.sh runs initdb once per TAP suite, as the test user, with the
# same PATH and environment as the tests and the arguments of
# PostgreSQL::Test::Cluster's init (-A trust -N), into $ENV{INITDB_TEMPLATE}.
# Loaded by LedgerTest (and by the test files that make nodes without it),
# this module makes PostgreSQL 15's Cluster->init copy that directory
# (cp -RPp) in the place of its own initdb call, as PostgreSQL 17's
# Cluster.pm does with the same variable; everything init does after initdb
# (pg_regress --config-auth, the postgresql.conf lines, replication and
# archiving settings) still runs.  An initdb costs about a second of CPU,
# the copy a tenth of that, and a run makes about 130 nodes.
#
# The copy is used only for a node of the default installation (no
# install_path: the upgrade tests' old releases run their own initdb) that
# asks for no extra initdb arguments, and only when init calls initdb with
# exactly the arguments the template was made with; anything else, or no
# INITDB_TEMPLATE (prove run by hand), runs initdb as before.  A copied data
# directory shares the template's system identifier, which nothing in the
# extension or its tests reads.
package InitdbTemplate;

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $cluster_init = \&PostgreSQL::Test::Cluster::init;

sub _init_from_template
{
	my ($self, %params) = @_;
	my $template = $ENV{INITDB_TEMPLATE};
	return $cluster_init->(@_)
	  if !defined $template
	  || !-d $template
	  || defined $params{extra}
	  || $params{force_initdb}
	  || defined $self->{_install_path};

	my $pgdata = $self->data_dir;
	my $system_or_bail = \&PostgreSQL::Test::Utils::system_or_bail;
	no warnings 'redefine';
	local *PostgreSQL::Test::Utils::system_or_bail = sub {
		return $system_or_bail->(@_)
		  unless "@_" eq "initdb -D $pgdata -A trust -N";
		note('initializing database system by copying the initdb template');
		my $ret = PostgreSQL::Test::Utils::system_log('cp', '-RPp', $template, $pgdata);
		BAIL_OUT("could not copy the initdb template $template to $pgdata: $ret")
		  if $ret != 0;
		return;
	};
	return $cluster_init->(@_);
}

# LEDGER_TEST_EXTRA_CONF (docs/testing.md): its text is appended to a node's
# postgresql.conf just before the node's first start, so after every line the
# test file itself appended, which it overrides; e.g.
# LEDGER_TEST_EXTRA_CONF='ledger.seal_interval = 1s' runs the suite against a
# slow sealer.  Here, not in LedgerTest's ledger_node, so that it reaches the
# nodes test files make with PostgreSQL::Test::Cluster->new as well.  A
# standby made from a backup has the lines already and gets them again, which
# changes nothing.
my $cluster_start = \&PostgreSQL::Test::Cluster::start;

sub _start_with_extra_conf
{
	my ($self) = @_;
	my $extra = $ENV{LEDGER_TEST_EXTRA_CONF};
	$self->append_conf('postgresql.conf', "\n$extra\n")
	  if !$self->{_ledger_extra_conf}++ && defined $extra && $extra ne '';
	return $cluster_start->(@_);
}

{
	no warnings 'redefine';
	*PostgreSQL::Test::Cluster::init = \&_init_from_template;
	*PostgreSQL::Test::Cluster::start = \&_start_with_extra_conf;
}

1;
