// Package daemon is stepd's outer layer: the command line (run, validate,
// serve), configuration, and, as they arrive, the HTTP API, metrics, task
// integrations and history. It is the only package that reads flags or the
// environment; everything below it takes plain values.
package daemon
