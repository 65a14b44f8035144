#!/usr/bin/perl
# sisimai.pl - the reference decoder's side of the benchmark: run
# Sisimai->make over one mbox file or one directory and print
# "messages=N results=R" so bench/run.sh can check it read everything.
#   Usage: sisimai.pl MBOX_OR_DIR
# Messages are counted here (From_ lines, or files) rather than taken from
# Sisimai, which only returns the ones it recognised as bounces.
use strict;
use warnings;
use Sisimai;

my $path = shift or die "usage: $0 MBOX_OR_DIR\n";
my $messages = 0;
if (-d $path) {
    opendir(my $dh, $path) or die "$path: $!\n";
    $messages = grep { !/^\./ && -f "$path/$_" } readdir($dh);
    closedir($dh);
} else {
    open(my $fh, '<', $path) or die "$path: $!\n";
    while (<$fh>) { $messages++ if /^From / }
    close($fh);
}
my $data = Sisimai->make($path, 'delivered' => 1) || [];
printf "messages=%d results=%d\n", $messages, scalar @$data;
