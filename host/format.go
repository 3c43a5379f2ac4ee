package host

import (
	"bytes"
	"debug/elf"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"
)

// machines maps Go's architectures to the ELF machine of their programs.
var machines = map[string]elf.Machine{
	"amd64": elf.EM_X86_64, "386": elf.EM_386, "arm64": elf.EM_AARCH64, "arm": elf.EM_ARM,
	"riscv64": elf.EM_RISCV, "ppc64le": elf.EM_PPC64, "ppc64": elf.EM_PPC64, "s390x": elf.EM_S390,
	"loong64": elf.EM_LOONGARCH, "mips64le": elf.EM_MIPS, "mips64": elf.EM_MIPS, "mipsle": elf.EM_MIPS, "mips": elf.EM_MIPS,
}

// checkFormat refuses, before anything is executed, a file that cannot be
// an extension: a script, which lychd does not run (it verifies the file
// it executes, and a script's interpreter and the programs it runs would
// escape that check; executing the verified descriptor of a script does
// not work either, since the interpreter reopens the script by a path
// that closes with the exec), a file that is no program at all, or a
// program for another machine.
func checkFormat(data []byte) error {
	if bytes.HasPrefix(data, []byte("#!")) {
		line, _, _ := bytes.Cut(data, []byte("\n"))
		shebang := strings.TrimSpace(string(line))
		if len(shebang) > 80 || !utf8.ValidString(shebang) {
			shebang = "#!…"
		}
		return fmt.Errorf("it is a script (%s), and lychd runs only compiled extensions: it checks the sha256 of the very file it executes, "+
			"which for a script would leave out its interpreter and every program the script runs; "+
			"build the extension as a Go program that calls sdk.Serve (see docs/extensions.md) and install the binary", shebang)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("it is not a program (it starts with neither an ELF header nor \"#!\"); give the path of the extension's binary, built with go build")
	}
	defer f.Close()
	want, known := machines[runtime.GOARCH]
	if !known || f.Machine == want {
		return nil
	}
	arch := strings.ToLower(strings.TrimPrefix(f.Machine.String(), "EM_"))
	for goarch, m := range machines {
		if m == f.Machine && m != elf.EM_MIPS && m != elf.EM_PPC64 { // one Go name only
			arch = goarch
		}
	}
	return fmt.Errorf("it is a program for %s, but this machine is %s; build it for this machine (GOARCH=%s go build) and install that binary", arch, runtime.GOARCH, runtime.GOARCH)
}
