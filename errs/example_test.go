package errs_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/relay-go/relay/errs"
)

// A provider marks its errors so that relay knows how to treat them.
func ExampleRetryAfter() {
	rateLimited := errs.RetryAfter(errors.New("429 too many requests"), 2*time.Second)
	hint, ok := errs.RetryAfterHint(rateLimited)
	fmt.Println(rateLimited, hint, ok)
	// Output: 429 too many requests 2s true
}

func ExamplePermanent() {
	bad := errs.Permanent(errors.New("400 prompt too long"))
	fmt.Println(bad, errs.IsPermanent(bad), errs.IsPermanent(fmt.Errorf("wrapped: %w", bad)))
	// Output: 400 prompt too long true true
}
