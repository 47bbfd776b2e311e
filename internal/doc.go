// Package internal holds what relay's users must not import: the scripted
// fake provider in [github.com/relay-go/relay/internal/fake] that the tests
// drive, and the demo program in internal/demo.
package internal
