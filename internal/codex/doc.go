// Package codex loads the user's Codex, the TOML configuration under
// $XDG_CONFIG_HOME/lychd, into the Codex part of the manifest.
//
// A Codex is a directory with three optional parts (docs/codex.md is the
// user's reference):
//
//	lychd.toml        alliances, [pod], [core], [extensions.NAME], [assimilation]
//	soulstones/*.toml one table per soulstone: [NAME] with image, groups, ports, ...
//	portals/*.toml    one table per portal: [NAME] with url, capabilities, tags
//
// A missing directory or file means "nothing declared": Load then returns
// defaults. Editor leftovers in soulstones/ and portals/ (hidden files, which
// include ".#name" locks and ".name.swp" swap files, names ending in "~" or
// ".swp", and "#name#") are skipped; any other file that does not end in
// ".toml" is an error, as is a subdirectory.
//
// Loading is strict and complete. Every problem of a run is collected (an
// unknown key, a wrong type, a bad name or value, a duplicate name, a TOML
// syntax error, an unreadable file) and returned together as Errors, each
// naming the file, the line and the key, and saying how to fix it:
//
//	soulstones/vision.toml:7: vision-analyzer.gpu: unknown key; did you mean "devices"?
//
// A TOML syntax error stops the reading of that file only: go-toml reports
// the first one, so fix it and load again to see the next. Line numbers of
// semantic problems come from go-toml's unstable parser, which records the
// position of every key, table header and array element.
//
// Values are checked with package validate, the same rules the plugin host
// applies to the runes extensions register. What needs the whole manifest
// (covens named in alliances that no soulstone uses, port collisions,
// dependencies on units that do not exist) is checked later by the compiler.
package codex
