// Package unitfile builds systemd and Podman Quadlet unit files from typed Go
// values, with a serializer that cannot be tricked into writing an extra line,
// section or key, and a parser that reads files back.
//
// A File holds ordered sections of ordered entries; File.Add appends one entry
// per call and File.Bytes writes them deterministically, checking every
// section name, key name and value first. Values are built with one of eight
// constructors, and the constructor decides how the value is escaped:
//
//	Literal(s)          user text read as one string (Description=, StartWithPod=)
//	Specifier(s)        trusted lychd text that uses systemd specifiers (%h, %t)
//	Arg(s)              user text Quadlet copies onto the podman command line as
//	                    one argument (Image=, ContainerName=, Volume=, PublishPort=)
//	Word(s)             one word of a key Quadlet splits and unquotes (AddDevice=)
//	Words(args...)      an argument vector (Quadlet Exec=, PodmanArgs=, Label=)
//	EnvAssign(name, v)  one NAME=VALUE for Quadlet's [Container] Environment=
//	EnvSpecifier(n, v)  EnvAssign for trusted lychd text that uses specifiers (HOME=%h)
//	List(items...)      plain tokens such as unit names (After=, Conflicts=)
//
// Parse reads a file the way systemd does; UnescapeLiteral, UnescapeArg,
// SplitWords and ParseEnvAssign invert the escaping, for round-trip tests.
//
// # Names and lines
//
// Section and key names must be an ASCII letter followed by ASCII letters,
// digits and '-': no '=', white space, brackets or control characters can
// reach a header or key. A line may be at most MaxLineBytes (64 KiB) long;
// systemd's own limit, LONG_LINE_MAX, is 1 MiB and Quadlet has none. One Add
// is one line; File.AddWrapped spreads a long list over repeated keys when the
// caller asks for it.
//
// # What Quadlet 5.4.2 and systemd 252 really do
//
// Every rule below was checked by feeding .container files through the real
// generator (quadlet -dryrun -user -no-kmsg-log, Podman 5.4.2) and the
// generated services through systemd-analyze --user verify (systemd 252), and
// end to end in a booted systemd 252 (systemd-nspawn, Quadlet as the user
// generator, a stub podman logging the argv it receives): for 38 tricky Exec=
// words, 13 Environment= values, a ContainerName= and a Description= with
// quotes, backslashes, '%', '$', "${X}", ';', newlines, tabs, Unicode, leading
// and trailing spaces and text that looks like a directive, podman received
// exactly the intended strings. The tests in this package repeat those checks
// (quadlet_test.go, booted_test.go).
//
// Lines. Quadlet trims every physical line with Go's strings.TrimSpace
// (Unicode white space, including U+00A0) and treats ANY line ending in a
// backslash, even an escaped "\\", as continued on the next line, dropping the
// backslash (systemd turns it into a space and only continues on an odd
// number of trailing backslashes). A Description ending in "\\" swallowed the
// following "[Container]" header. Hence Literal, Specifier and Arg reject
// leading or trailing white space and a trailing backslash, and every value
// rejects control characters, so a value can never end a line.
//
// Single-value keys. For keys Quadlet reads with its Lookup (Image=,
// ContainerName=, UserNS=, ...) it strips every leading and trailing double
// quote: ContainerName="quoted" gave --name quoted, ContainerName=abc" gave
// --name abc. For list keys (Volume=, PublishPort=) the quotes stay:
// Volume="/a:/b" gave -v "\"/a:/b\"". Arg rejects values that start or end
// with a double quote.
//
// Split keys. Quadlet reads AddDevice= (and [Install] WantedBy=) with its
// strv splitter: words separated by white space, quotes removed, escapes
// kept. AddDevice=/dev/dri /etc/shadow gave --device /dev/dri --device
// /etc/shadow, and AddDevice=/dev/dri"/x" gave --device /dev/dri/x. Word
// rejects white space, quotes and backslashes, so a Word is always exactly
// one word.
//
// '%' and '$'. Quadlet copies '%' and '$' unchanged into ExecStart= (Exec=
// "%%h $$X $${Y}" came out as "%%h $$X $${Y}"), and systemd then expands
// specifiers in every value and $VAR / ${VAR} in command lines ("$$" gives
// "$"). So Literal doubles '%'; Arg, Word, Words and EnvAssign double both
// '%' and '$'; Specifier and EnvSpecifier keep their specifiers and double
// '$' (Environment="HOME=%h" reached the container as the user's home). systemd does
// not expand '$' in Description= or in a [Service]
// Environment= (there "A=$$x %%h" reached the process as "A=$$x %h"), which
// is why Literal leaves '$' alone and EnvAssign is only for Quadlet's
// [Container] Environment=.
//
// Exec= and other split keys. Quadlet splits Exec= (and Environment=,
// PodmanArgs=, Label=) with a port of systemd's extract_first_word: separators
// are space, tab, CR and LF; single and double quotes group and are removed;
// C escapes (\n \t \\ \" \' \s \xHH \ooo \uHHHH ...) are decoded in and
// outside quotes. It then writes ExecStart= itself, putting words that hold
// white space, control characters, quotes or a backslash in double quotes
// with C escapes. Words uses the same form, so the ExecStart= Quadlet writes
// carries Words' text unchanged. Three traps found on the real binary:
//
//   - An empty word (a pair of double or single quotes) ends the list:
//     Exec=a "" b c gave only "a".
//     Words rejects empty words; an empty argument cannot pass through
//     Quadlet 5.4 at all.
//   - An unknown escape such as \$ makes Quadlet drop the whole Exec=
//     silently (exit status 0, no podman arguments). Words only writes \\ \"
//     and \a \b \f \n \r \t \v \xHH.
//   - The word ";", however quoted or escaped (";", \x3b), is written bare
//     into ExecStart=, where systemd reads it as a command separator. Words
//     rejects it; "a;b" or ";x" are fine.
//
// Environment=. Quadlet splits the value like Exec=, cuts each word at its
// first '=', stores the pairs in a map (a later assignment of the same name
// wins) and emits them as --env NAME=VALUE arguments sorted by name. EnvAssign
// writes one assignment as one quoted word; File.Bytes rejects a name assigned
// twice under one key. An empty value (NAME=) survives as --env NAME=.
//
// Unicode. Non-ASCII text passes through both parsers untouched; C1 control
// characters are rejected because Quadlet re-escapes U+0080 as the single
// byte \x80, and NUL because Quadlet refuses \x00.
package unitfile
