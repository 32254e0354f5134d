// Package daemon is stepd's outer layer: the command line (cmd_*.go), the
// one Config, the HTTP server with the AWS JSON API and the REST API, the
// one execute path every execution takes (execute.go), ARNs, metrics and
// the node's view of the replicated registry. Task integrations
// (daemon/integrations), authentication (daemon/auth), the execution
// history (daemon/history) and the console (daemon/console) are packages
// of their own; docs/ARCHITECTURE.md maps them. It is the only package
// that reads flags or the environment; everything below it takes plain
// values.
package daemon
