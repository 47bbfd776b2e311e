package errs

import (
	"fmt"
	"strings"
)

// StatusError reports an HTTP response that did not start a stream: its
// status code, and the start of its body, which usually says why. A
// stream source over HTTP returns it (stream/sse does), marked with
// [RetryAfter] when the response carried a Retry-After header.
type StatusError struct {
	Code   int    // the HTTP status code, such as 503
	Status string // the status line's text, such as "503 Service Unavailable"
	Body   string // the first bytes of the response body, for the message
}

// Error reads like `HTTP 503 Service Unavailable: {"error":"overloaded"}`.
func (e *StatusError) Error() string {
	status := e.Status
	if status == "" {
		status = fmt.Sprint(e.Code)
	}
	if b := strings.TrimSpace(e.Body); b != "" {
		return fmt.Sprintf("HTTP %s: %s", status, b)
	}
	return "HTTP " + status
}
