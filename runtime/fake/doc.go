// Package fake is an in-memory runtime.Runtime for tests and simulations.
// Nothing runs: a container follows a Script (run for a while and exit with
// a code, crash, be OOM-killed, ignore SIGTERM, start slowly, fail to pull
// its image, print lines, report scripted usage), and every time it reports
// is read from the injected clock, so a run on a clock.Fake is deterministic
// and replays exactly.
//
// Time passes lazily: a container scripted to run for a minute is Running
// until the clock reads a minute past its start, and Exited from then on,
// with FinishedAt exactly at that minute. No goroutine or timer is kept per
// container, so one process holds many thousands of pods. Only calls that
// must wait (StopContainer on a container that ignores SIGTERM, a slow
// start or pull, Logs with Follow) block, on the clock, until it is advanced.
//
// Scripts are found per container: Config.ScriptFor first, then
// Config.Scripts (and SetScript) by image name, then Config.Default. A container's lines of
// Output are expanded against its environment, which holds POD_IP and
// HOSTNAME as well as its own variables. Exec runs Script.Exec, or a few
// built-in commands: echo, printenv, env, true, false, exit N and sleep.
//
// Logs are kept in memory: a container's status reports the LogPath it
// would have, but no file is written.
//
// Fault injection: Config.Inject is called at the start of every call and
// fails it with the error it returns; Crash ends a running container now;
// SetScript changes an image's behaviour (a registry that starts failing
// pulls, a new version that crashes); SetStats overrides usage.
//
// A Runtime is safe for concurrent use.
package fake
