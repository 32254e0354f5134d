// Package e2e holds the black-box tests of the built stepd binary: they
// start `stepd serve` processes on free loopback ports and drive them as
// clients do (the AWS SDK for Go v2, net/http, the AWS CLI, a browser).
// harness_test.go is the one shared harness: it builds the binary once,
// starts nodes and clusters, and makes clients; emulators the tests need
// start from there too.
package e2e
