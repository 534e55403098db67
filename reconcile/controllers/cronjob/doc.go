// Package cronjob is the CronJob controller and its cron schedule parser.
//
// Parse reads the standard five-field schedules ("*/15 9-17 * * MON-FRI")
// and the @yearly, @annually, @monthly, @weekly, @daily, @midnight and
// @hourly descriptors. When both the day-of-month and day-of-week fields
// are restricted, a day matching either runs (Vixie cron's rule, as in
// Kubernetes). A TZ= or CRON_TZ= prefix is rejected: spec.timeZone (an IANA
// name loaded with time.LoadLocation) sets the zone, UTC by default.
//
// At each sync the controller finds the most recent start time in
// (lastScheduleTime or creationTimestamp, now]. Only that one runs, however
// many were missed, so a controller that was down for a day does not start
// a flood of Jobs; more than Config.MaxMissed (100) missed times also
// records a TooManyMissedTimes warning. With startingDeadlineSeconds only
// start times inside that window before now count, and a start later than
// its deadline is skipped. concurrencyPolicy Allow runs Jobs side by side,
// Forbid skips a run while one is active, Replace deletes the active ones
// first; which Jobs are active is then read from the store itself, not the
// informer's cache, which may not have seen the last Job yet. A Job is named "<cronjob>-<scheduled time in minutes since the
// epoch>", so a start is never created twice. Finished Jobs beyond
// successfulJobsHistoryLimit (default 3) and failedJobsHistoryLimit
// (default 1) are deleted, oldest first. status.active, lastScheduleTime
// and lastSuccessfulTime are kept; the next run is a RequeueAfter on the
// injected clock.
package cronjob
