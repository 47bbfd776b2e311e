// Package streamtest helps test code that produces or consumes streams,
// in the manner of net/http/httptest and testing/fstest.
//
// For code that consumes streams, [New] makes a scripted [Provider]: each
// call plays a [Script] of tokens, delays and an outcome, or one of the
// ways a careless provider breaks the stream contract (nil channels, an
// error with its token channel left open, an outcome after the close,
// channels never closed, sends that ignore cancellation, a panic in the
// call). A Provider counts its calls and can wait for every goroutine it
// started, so a test can prove that nothing was left running. Scripts use
// timers, so inside a testing/synctest bubble their delays cost nothing.
//
// For code that produces streams, [Check] runs a [stream.Source] through
// the contract (the outcome before the close, a prompt end on
// cancellation whether or not anyone reads, no goroutine left behind) and
// reports every rule it breaks, as testing/fstest.TestFS does for a file
// system:
//
//	func TestMySource(t *testing.T) {
//		synctest.Test(t, func(t *testing.T) {
//			if err := streamtest.Check(mySource, "a request"); err != nil {
//				t.Error(err)
//			}
//		})
//	}
package streamtest
