// Package e2e holds the end-to-end tests: they build the real relay, sos and
// console binaries and run them against each other over QUIC on loopback.
package e2e
