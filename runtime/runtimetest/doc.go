// Package runtimetest is the conformance suite every runtime.Runtime driver
// passes. Run it from a driver's tests:
//
//	func TestConformance(t *testing.T) {
//		runtimetest.Run(t, func(t *testing.T) runtime.Runtime { return newDriver(t) }, runtimetest.Options{
//			Sleep: ..., Print: ..., Exit: ..., // how this driver describes behaviours
//		})
//	}
//
// Each case is a subtest named for the rule it checks, in plain words ("a
// started container reports Running", "stop escalates to SIGKILL after the
// timeout"), and gets a fresh Runtime from newRuntime.
//
// Drivers differ in how a container is described: the fake takes scripts,
// the exec driver a shell command, containerd an image. So the suite asks
// Options for the ContainerConfig of each behaviour it needs ("sleep until
// stopped", "print X and exit 0", "exit 3", "listen on TCP port P"). A case
// whose behaviour is missing from Options is skipped, with the reason.
//
// Time: the suite waits on the runtime's clock. When Options.Clock returns a
// *clock.Fake, the suite advances it in small steps while it waits, so a
// fake runtime's cases take no real time.
package runtimetest
