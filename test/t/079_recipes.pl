# 079_recipes.pl: the ORM recipes in doc/orm/*.md are the code the ORM client
# tests run.  No server needed.
#
# The convention (coord README, "ORM client tests"):
#   - in a client's source under test/orm/, a region starts at a line that
#     contains "recipe:begin NAME" and ends at a line that contains
#     "recipe:end NAME" (in any comment syntax: #, //, --, <!-- -->, ...);
#   - in a doc page doc/orm/<client>.md, a line
#         <!-- recipe: test/orm/<path> NAME -->
#     is directly followed by a fenced code block (``` or ~~~, any info
#     string) whose content equals that region.
#
# Equal means: the region's lines without its marker lines (lines of other
# regions nested inside it that carry recipe:begin/recipe:end are left out
# too), both sides with their common indentation removed, trailing
# whitespace of each line and leading/trailing blank lines ignored.
# Everything else must match byte for byte.
#
# One test per recipe block, named by doc file, line and recipe.  Fails, naming
# the doc file and line, when: the marker is not directly followed by a fenced
# block, the fence is not closed, the path is not under test/orm/ or does not
# exist, the source has no (or more than one) "recipe:begin NAME", no
# "recipe:end NAME" after it, or the block differs (the first differing line
# of each side is shown).  A region in test/orm/ that no doc page shows is
# only reported (diag), not a failure.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Spec;
use Cwd qw(abs_path);
use Test::More;

my $root = abs_path(File::Spec->catdir(dirname(abs_path(__FILE__)), '..', '..'));
my @docs = sort glob("$root/doc/orm/*.md");
plan skip_all => 'no doc/orm/*.md pages' unless @docs;

my %shown;    # "path\0name" => 1, regions some doc page shows

sub read_lines
{
	my ($file) = @_;
	open(my $fh, '<:encoding(UTF-8)', $file) or return;
	my @lines = <$fh>;
	close $fh;
	chomp @lines;
	s/\r\z// for @lines;
	return \@lines;
}

# the lines as compared: trailing blanks off, edge blank lines off, common
# indentation off
sub normalize
{
	my @l = map { (my $x = $_) =~ s/\s+\z//; $x } @_;
	shift @l while @l && $l[0] eq '';
	pop @l while @l && $l[-1] eq '';
	my $indent;
	for my $line (@l)
	{
		next if $line eq '';
		my ($lead) = $line =~ /^([ \t]*)/;
		if (!defined $indent)
		{
			$indent = $lead;
		}
		else
		{
			# longest common prefix of the two leads
			my $i = 0;
			$i++
			  while $i < length($indent)
			  && $i < length($lead)
			  && substr($indent, $i, 1) eq substr($lead, $i, 1);
			$indent = substr($indent, 0, $i);
		}
	}
	$indent //= '';
	my $n = length $indent;
	return map { $_ eq '' ? '' : substr($_, $n) } @l;
}

# the region NAME of a source file: (\@lines, undef) or (undef, error)
sub region
{
	my ($path, $name) = @_;
	my $lines = read_lines("$root/$path");
	return (undef, "$path cannot be read: $!") unless $lines;
	my $q = quotemeta $name;
	my @begins = grep { $lines->[$_] =~ /recipe:begin\s+$q(?:\s|$|-->|\*\/)/ } 0 .. $#$lines;
	return (undef, "$path has no line with \"recipe:begin $name\"") unless @begins;
	return (undef,
		"$path has " . scalar(@begins) . " lines with \"recipe:begin $name\" (lines "
		  . join(', ', map { $_ + 1 } @begins) . ')')
	  if @begins > 1;
	my @region;
	for my $i ($begins[0] + 1 .. $#$lines)
	{
		my $line = $lines->[$i];
		return (\@region, undef)
		  if $line =~ /recipe:end\s+$q(?:\s|$|-->|\*\/)/;
		next if $line =~ /recipe:(?:begin|end)\s/;
		push @region, $line;
	}
	return (undef,
		"$path has no line with \"recipe:end $name\" after its \"recipe:begin $name\" (line "
		  . ($begins[0] + 1) . ')');
}

# where two normalized texts first differ, as a message
sub first_difference
{
	my ($doc, $src) = @_;
	my $i = 0;
	$i++ while $i < @$doc && $i < @$src && $doc->[$i] eq $src->[$i];
	my $show = sub {
		my ($l) = @_;
		return $i < @$l ? "\"$l->[$i]\"" : '(end of text)';
	};
	return sprintf("first difference at line %d of the block:\n  doc:    %s\n  source: %s",
		$i + 1, $show->($doc), $show->($src));
}

for my $doc (@docs)
{
	(my $docname = $doc) =~ s{^\Q$root\E/}{};
	my $lines = read_lines($doc);
	if (!$lines)
	{
		fail("$docname can be read");
		next;
	}
	my $blocks = 0;
	for (my $i = 0; $i < @$lines; $i++)
	{
		next unless $lines->[$i] =~ /<!--\s*recipe:/;
		my $where = "$docname:" . ($i + 1);
		$blocks++;
		if ($lines->[$i] !~ /^\s*<!--\s*recipe:\s*(\S+)\s+(\S+)\s*-->\s*$/)
		{
			fail("$where: recipe marker");
			diag("$where: a recipe marker must read <!-- recipe: test/orm/<path> NAME -->, got: $lines->[$i]");
			next;
		}
		my ($path, $name) = ($1, $2);
		my $test = "$where recipe $path $name";
		$shown{"$path\0$name"} = 1;

		if ($path !~ m{^test/orm/} || $path =~ m{(?:^|/)\.\.(?:/|$)})
		{
			fail($test);
			diag("$where: recipe path \"$path\" must be a file under test/orm/");
			next;
		}
		my $fence_line = $i + 1;
		if ($fence_line > $#$lines || $lines->[$fence_line] !~ /^(\s*)(`{3,}|~{3,})/)
		{
			fail($test);
			diag("$where: the recipe marker for \"$path $name\" must be directly followed by a fenced code block (``` or ~~~)");
			next;
		}
		my $fence = $2;
		my $fc = substr($fence, 0, 1);
		my @block;
		my $closed;
		for my $j ($fence_line + 1 .. $#$lines)
		{
			if ($lines->[$j] =~ /^\s*(\Q$fc\E{3,})\s*$/ && length($1) >= length($fence))
			{
				$closed = $j;
				last;
			}
			push @block, $lines->[$j];
		}
		if (!defined $closed)
		{
			fail($test);
			diag("$where: the code block of recipe \"$path $name\" (opened at line "
				  . ($fence_line + 1) . ") is never closed");
			next;
		}
		$i = $closed;

		my ($region, $err) = region($path, $name);
		if (!$region)
		{
			fail($test);
			diag("$where: recipe \"$name\": $err");
			next;
		}
		my @d = normalize(@block);
		my @s = normalize(@$region);
		if (@s == 0)
		{
			fail($test);
			diag("$where: recipe \"$name\" in $path is empty");
			next;
		}
		if (join("\n", @d) eq join("\n", @s))
		{
			pass($test);
		}
		else
		{
			fail($test);
			diag("$where: the code block differs from recipe \"$name\" in $path; "
				  . first_difference(\@d, \@s));
		}
	}
	diag("$docname shows no recipe blocks") unless $blocks;
}

# regions nobody shows: reported, not failed
for my $src (sort split /\n/, `cd '$root' && find test/orm -type f -not -path '*/node_modules/*' 2>/dev/null`)
{
	my $lines = read_lines("$root/$src") or next;
	for my $line (@$lines)
	{
		next unless $line =~ /recipe:begin\s+(\S+?)(?:-->|\*\/)?(?:\s|$)/;
		diag("$src: recipe \"$1\" is shown by no doc/orm page")
		  unless $shown{"$src\0$1"};
	}
}

done_testing();
