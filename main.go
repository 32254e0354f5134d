// Command stepd runs AWS Step Functions state machines. See README.md.
package main

import (
	"os"

	"github.com/stepd/stepd/daemon"
)

func main() {
	os.Exit(daemon.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
