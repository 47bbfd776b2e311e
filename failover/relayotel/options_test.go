package relayotel_test

import (
	"strings"
	"testing"

	"github.com/relay-go/relay/failover/relayotel"
)

func TestMisuseAtConstructionPanics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		make func()
	}{
		{"New without a group name panics", func() { relayotel.New("") }},
		{"New with a nil option panics", func() { relayotel.New("chat", nil) }},
		{"WithTracerProvider with a nil provider panics", func() { relayotel.WithTracerProvider(nil) }},
		{"WithMeterProvider with a nil provider panics", func() { relayotel.WithMeterProvider(nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "failover: relayotel.") {
					t.Errorf("it panicked with %q, want a message starting %q", msg, "failover: relayotel.")
				}
			}()
			tc.make()
		})
	}
}
