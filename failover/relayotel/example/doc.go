// Command example shows relayotel at work on a small scripted run, on
// loopback only, and exits by itself:
//
//	cd failover/relayotel && go run ./example
//
// It observes two failover groups, an outer one whose second provider is
// an inner group, with relayotel.New; serves their metrics to Prometheus
// through OpenTelemetry's Prometheus exporter on a loopback port; makes a
// few calls (one served at once, one that fails over, one served by a
// hedge, one through the inner group); then prints the span tree of each
// call and the relay metrics it scrapes from its own /metrics endpoint.
// With -hold it keeps serving that long first, for a Prometheus of your
// own to scrape.
package main
