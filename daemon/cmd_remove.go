package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/stepd/stepd/cluster"
)

// removeCommand is `stepd remove`: it takes a node out of its cluster
// through any member (the node leaving stops being a voter at once; stop
// its process afterwards).
func removeCommand(args []string, stderr io.Writer) int {
	fs := newFlagSet("stepd remove", "Usage: stepd remove -node-id ID [-api HOST:PORT] [-raft-tls-cert F -raft-tls-key F -raft-tls-ca F]\n\nRemoves the node ID from the cluster that the node at -api belongs to.\nFlags also read STEPD_<FLAG> variables.\n\nFlags:", stderr)
	id := fs.String("node-id", "", "node to remove")
	api := fs.String("api", "127.0.0.1:8083", "API address of any node of the cluster (host:port or URL)")
	var files cluster.TLSFiles
	fs.StringVar(&files.Cert, "raft-tls-cert", "", "certificate to present to the Raft port, when the cluster uses mutual TLS")
	fs.StringVar(&files.Key, "raft-tls-key", "", "key of -raft-tls-cert")
	fs.StringVar(&files.CA, "raft-tls-ca", "", "CA of the cluster's certificates")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if err := envDefaults(fs, os.Getenv); err != nil || *id == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := func() error {
		v, err := fetchClusterView(ctx, *api)
		if err != nil {
			return err
		}
		c, err := cluster.NewClient(files)
		if err != nil {
			return err
		}
		return c.Remove(ctx, v.Node.RaftAddr, *id)
	}()
	if err != nil {
		fmt.Fprintf(stderr, "stepd remove: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stderr, "stepd remove: node %s removed\n", *id)
	return exitOK
}
