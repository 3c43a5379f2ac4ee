/*
Package site installs a complete set of unit files (a Generation) into the
two binding sites, the Podman Quadlet directory and the systemd user unit
directory, so that Quadlet and systemd only ever see the old complete set or
the new complete set, even if lychd is killed or the machine loses power at
any moment.

# Layout

With the default XDG directories:

	~/.local/share/lychd/bindings/            BindingsDir (0700), lychd's alone
	    bind.lock                             flock(2) lock serialising Apply
	    gen-7/quadlet/lychd.pod ...           a generation: files 0644, dirs 0755
	    gen-7/systemd/lychd-coven-x.target
	    gen-7/config/prometheus.yml           config of lychd's own containers
	    current -> gen-7                      the switch: a relative symlink
	~/.config/containers/systemd/lychd        -> BindingsDir/current/quadlet
	~/.config/systemd/user/lychd-coven-x.target
	                                          -> BindingsDir/current/systemd/lychd-coven-x.target

Quadlet follows a symlinked subdirectory of its unit directory, so the single
stable link "lychd" shows it the current generation. systemd does not look
into subdirectories, so every target gets its own stable link whose path
runs through "current"; systemd follows the chain, and after "current" moves
a daemon-reload loads the new content. The links never change while the
set of names stays the same: only "current" moves. Config files (the
Harvester's prometheus.yml) are mounted by their containers through
"current" when they start, so they switch with the units.

lychd recognises its own links by their target pointing into BindingsDir.
Anything else is foreign and never touched; a foreign file at a name lychd
needs (a target name in the systemd directory, the "lychd" entry in the
Quadlet directory, or a Quadlet unit anywhere in the Quadlet tree with the
name of one of lychd's, which would shadow it) makes Plan and Apply fail with
a *ForeignFileError before anything is written.

# The steps of Apply

Before taking the lock Apply validates the names, refuses binding
directories that are not owned by the user or are writable by group or
others, refuses foreign files, and creates missing binding directories
(mkdir, then fsync of the parent). Then, under the lock, it observes the
sites again, plans again and, unless the plan is empty, does:

 1. Remove leftover temporary links of a killed run (".current.lychd-tmp",
    ".lychd.lychd-tmp", ".NAME.lychd-tmp"; only symlinks into BindingsDir).
 2. Write generation gen-N, N above every gen-* present: mkdir gen-N,
    gen-N/quadlet, gen-N/systemd (and gen-N/config when the generation
    has config files); every file created with O_EXCL|O_NOFOLLOW,
    written, fsynced; then fsync those directories, gen-N and
    BindingsDir. Skipped when "current" already
    holds exactly the wanted files.
 3. Create the "lychd" link in the Quadlet directory if it is missing (or
    replace a non-canonical one of lychd's), fsync the Quadlet directory.
 4. Create the links of target names new in this generation (or replace
    non-canonical ones of lychd's), fsync the systemd directory.
 5. The switch: symlink ".current.lychd-tmp" -> "gen-N", rename it over
    "current", fsync BindingsDir.
 6. Remove lychd's links of target names no longer present, fsync the
    systemd directory.
 7. Remove every gen-* but the current one (old and half-written ones),
    fsync BindingsDir.

New links are created with symlink(2), which fails rather than follow
anything in the way; existing links are replaced by renaming a fresh link
over them, which replaces the link itself. Nothing is ever written through
a symlink, and nothing outside the three directories is written.

# What a crash leaves

Killed (or powered off) at any point before the rename of step 5, "current"
still names the old generation, which no step ever modifies: Quadlet sees
the old Quadlet set through "lychd"; every old target link resolves to its
old file; a link made in step 4 names a file that the old generation does
not have, so it dangles, and systemd treats a dangling unit link as absent.
(Every name in the current generation has its link: links are created
before the switch that brings their name in and removed only after the
switch that takes it out. Only a link deleted by hand breaks this; Apply
then recreates it, which the plan shows as a change.)
The new gen-N is referenced by nothing, and the temporary names are hidden
and end in ".lychd-tmp", which is no unit suffix. So both see exactly the
old set.

From the rename on, "current" names gen-N, which was complete and durable
before the rename (step 2 fsyncs its files, its directories and its entry).
Quadlet sees the new Quadlet set; every new target name has a link (made in
step 4 or earlier, durable before the rename) resolving into gen-N; the
links of removed names now dangle, so they are absent. Steps 6 and 7 only
remove dangling links and unreferenced directories. So both see exactly
the new set.

Power loss: each step's fsyncs are complete before the next step starts, so
the disk can only hold a state of the sequence above. In particular the
rename is durable before step 6 removes any link, and gen-N and the new
links are durable before the rename.

The flock is released by the kernel when the holder dies, and the next
Apply treats what it finds as input: gen-* other than "current", dangling
links of lychd's and temporary links are removed (step 1, 6 or 7), links
that are already right are kept, so it converges to exactly the wanted
generation with one gen-* directory.

The replacement of a non-canonical "lychd" link (a repair, never part of a
normal run) briefly leaves ".lychd.lychd-tmp" in the Quadlet directory;
Quadlet, which also reads hidden subdirectories, then finds the same files
twice with identical content.

# Limits

Quadlet resolves the symlinked directory: the services it generates say
SourcePath=BindingsDir/gen-N/quadlet/NAME, and it resolves relative paths in
a unit (Volume=./data, EnvironmentFile=) against that directory, so units
must use absolute paths. After an Apply the old SourcePath= is gone until
the daemon-reload that follows it regenerates the services.

Atomicity is of the on-disk state. A reader that runs while Apply switches
(a Quadlet generator started by someone else's daemon-reload) may list the
old generation and then open files of the new one; lychd reloads systemd
only after Apply has returned. Other Quadlet unit directories
(/etc/containers/systemd/users/...) and systemd unit directories are not
checked for clashing names.
*/
package site
