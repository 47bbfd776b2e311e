// Package healthtest tests an implementation of [failover.Health]
// against the promises every Health keeps, as testing/fstest.TestFS
// tests a file system: the in-process [failover.NewHealth] and the Redis
// one in failover/redishealth run the same kit, and so can a Health of
// your own.
//
//	func TestMyHealth(t *testing.T) {
//		healthtest.Check(t, func(t *testing.T) failover.Health {
//			return myhealth.New(...) // a fresh, empty Health for each subtest
//		})
//	}
//
// The kit drives the Health through its interface alone, with times of
// its own choosing (Check, Record and Defer take the time as an argument
// or a deadline), so it runs in no time and needs no fake clock.
package healthtest
