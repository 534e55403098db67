// Package clock is the time source every Coxswain component takes in its
// Config, so that a whole cluster can run on virtual time.
//
// A nil Clock in a Config means Real(). Fake is a manual clock for tests and
// simulations: time stands still until Advance or Set moves it, and timers,
// tickers and After channels fire in deadline order as it passes them.
//
// Both implementations are safe for concurrent use.
package clock
