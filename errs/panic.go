package errs

import "fmt"

// PanicError is the cause of an attempt whose source panicked. It keeps the
// panic's value and the stack of the goroutine that panicked.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the goroutine's stack at the panic, as runtime/debug.Stack prints it
}

// Error reads like `panic: boom`; the stack is in the Stack field, not the
// message.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic value when it is an error, and nil otherwise.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}
