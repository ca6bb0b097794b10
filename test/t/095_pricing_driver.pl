# Pure pricing numerics under AddressSanitizer and UndefinedBehaviorSanitizer:
# test/pricing_driver.c (put-call parity, implied volatility round trips,
# American bounds, symmetry and Greeks over grids with the wings) built
# with the source files of the extension, without PostgreSQL.
use strict;
use warnings;
use File::Temp qw(tempdir);
use Test::More;

my $src = $ENV{TESTDIR} // '.';
my $dir = tempdir(CLEANUP => 1);
my $bin = "$dir/pricing_driver";
my @files = map { "$src/src/$_" }
  qw(pricing_normal.c pricing_european.c pricing_iv.c pricing_american.c);
my $cc = $ENV{CC} // 'gcc';

my $out = `$cc -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -Wall -Wextra -Werror -I$src/src $src/test/pricing_driver.c @files -lm -o $bin 2>&1`;
is($?, 0, 'pricing driver builds with -fsanitize=address,undefined')
  or diag($out);

$out = `ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $bin 2>&1`;
is($?, 0, 'pricing driver exits 0 (no failure, no sanitizer report)')
  or diag(substr($out, -3000));
like($out, qr/^\d+ cases, 0 failures$/m, 'pricing driver: every case passes');
unlike($out, qr/runtime error|AddressSanitizer/, 'no sanitizer report');

done_testing();
