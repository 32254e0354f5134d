package daemon

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/stepd/stepd/compile"
)

func validateCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("stepd validate", "Usage: stepd validate [flags] FILE...\n\nPrints one diagnostic a line, FILE: /json/pointer: CODE: message.\nExit status: 0 all valid, 1 some definition has errors, 2 bad usage.\n\nFlags:", stderr)
	typ := machineType("EXPRESS")
	fs.Var(&typ, "type", "state machine type whose validation rules apply: EXPRESS or STANDARD")
	dump := fs.Bool("dump", false, "also print the compiled program of each valid definition")
	files, err := parseInterspersed(fs, args)
	if err == flag.ErrHelp {
		return exitOK
	}
	if err == nil {
		err = envDefaults(fs, os.Getenv)
	}
	if err == nil && len(files) == 0 {
		err = errors.New("validate needs at least one file")
	}
	if err != nil {
		fmt.Fprintf(stderr, "stepd validate: %v\n", err)
		return exitUsage
	}
	code := exitOK
	for _, f := range files {
		def, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "stepd validate: %v\n", err)
			return exitUsage
		}
		prog, err := compile.Compile(def, compile.MachineType(typ))
		var de *compile.DefinitionError
		switch {
		case errors.As(err, &de):
			for _, d := range de.Diagnostics {
				fmt.Fprintf(stdout, "%s: %s\n", f, d)
			}
			code = exitFailed
			continue
		case err != nil:
			fmt.Fprintf(stdout, "%s: %v\n", f, err)
			code = exitFailed
			continue
		}
		for _, d := range compile.Validate(def, compile.MachineType(typ)) {
			fmt.Fprintf(stdout, "%s: %s\n", f, d) // warnings of a valid definition
		}
		if *dump {
			fmt.Fprintf(stdout, "%s:\n%s", f, prog.Disassemble())
		}
	}
	return code
}
