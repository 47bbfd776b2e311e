package failover_test

import (
	"testing"

	"github.com/relay-go/relay/failover"
	"github.com/relay-go/relay/failover/healthtest"
)

func TestNewHealthKeepsTheHealthPromises(t *testing.T) {
	t.Parallel()
	healthtest.Check(t, func(*testing.T) failover.Health { return failover.NewHealth() })
}
