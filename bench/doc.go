// Package bench measures relay's hot paths beside the baselines they are
// judged against, in the same run: a direct read of a provider's channel,
// a minimal hand-written forwarder, a bare provider call, and failsafe-go's
// retry and fallback. It is its own module, so that peers measured here
// never enter the root module's dependencies.
//
// Run every benchmark and print the ratios as a markdown table:
//
//	cd bench && go run ./cmd/report
//
// or compare runs with benchstat:
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 10 > new.txt
package bench
