// Package fastpath is the stepd runtime: it executes programs compiled from
// Amazon States Language definitions.
//
// Every JSON value the runtime handles is a byte slice holding the value's
// compact encoding, usually a span of the execution's arena or of its input.
// Paths, payload templates, intrinsic calls and Choice rules are compiled once
// (by package compile) into small step lists that are evaluated by scanning
// bytes, so that executing a machine without Tasks allocates nothing once the
// execution's pooled buffers have warmed up.
//
// The package imports nothing of stepd's: the compiler targets it as a
// compiler targets a virtual machine.
package fastpath
