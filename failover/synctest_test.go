package failover_test

import (
	"testing"
	"testing/synctest"
)

func synctestTest(t *testing.T, f func(t *testing.T)) { synctest.Test(t, f) }

func synctestWait() { synctest.Wait() }
