// Package bench holds the Go benchmarks of the whole engine over the
// reference machines in ../shared/bench/machines, so that figures compare
// across packages and over time (see docs/BENCHMARKS.md).
package bench
