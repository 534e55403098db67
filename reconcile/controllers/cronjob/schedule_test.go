package cronjob

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func mustTime(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04 Mon", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	tests := []struct {
		spec, from, want string
	}{
		{"* * * * *", "2026-01-01 00:00 Thu", "2026-01-01 00:01 Thu"},
		{"*/15 * * * *", "2026-01-01 00:07 Thu", "2026-01-01 00:15 Thu"},
		{"0 9-17/4 * * *", "2026-01-01 10:00 Thu", "2026-01-01 13:00 Thu"},
		{"30 2 * * MON-FRI", "2026-01-02 03:00 Fri", "2026-01-05 02:30 Mon"},
		{"0 0 1 JAN *", "2026-01-01 00:00 Thu", "2027-01-01 00:00 Fri"},
		{"@hourly", "2026-01-01 00:59 Thu", "2026-01-01 01:00 Thu"},
		{"@daily", "2026-01-01 00:00 Thu", "2026-01-02 00:00 Fri"},
		{"@midnight", "2026-01-01 12:00 Thu", "2026-01-02 00:00 Fri"},
		{"@weekly", "2026-01-01 00:00 Thu", "2026-01-04 00:00 Sun"},
		{"@monthly", "2026-01-15 00:00 Thu", "2026-02-01 00:00 Sun"},
		{"@yearly", "2026-06-01 00:00 Mon", "2027-01-01 00:00 Fri"},
		{"@annually", "2026-06-01 00:00 Mon", "2027-01-01 00:00 Fri"},
		// Vixie OR: the 13th or any Friday.
		{"0 0 13 * 5", "2026-01-01 00:00 Thu", "2026-01-02 00:00 Fri"},
		{"0 0 13 * 5", "2026-01-10 00:00 Sat", "2026-01-13 00:00 Tue"},
		// A star in one day field makes it AND.
		{"0 0 */1 * 5", "2026-01-01 00:00 Thu", "2026-01-02 00:00 Fri"},
		{"0 0 ? * SUN", "2026-01-01 00:00 Thu", "2026-01-04 00:00 Sun"},
		{"0 0 * * 7", "2026-01-01 00:00 Thu", "2026-01-04 00:00 Sun"},
		{"5,10 1 * * *", "2026-01-01 01:05 Thu", "2026-01-01 01:10 Thu"},
		{"0 0 29 2 *", "2026-01-01 00:00 Thu", "2028-02-29 00:00 Tue"},
		{"10/20 * * * *", "2026-01-01 00:00 Thu", "2026-01-01 00:10 Thu"},
	}
	for _, tt := range tests {
		t.Run(tt.spec+" after "+tt.from, func(t *testing.T) {
			s, err := Parse(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Next(mustTime(tt.from)); !got.Equal(mustTime(tt.want)) {
				t.Errorf("Next = %s, want %s", got.Format("2006-01-02 15:04 Mon"), tt.want)
			}
		})
	}
}

func TestNextNever(t *testing.T) {
	s, err := Parse("0 0 31 2 *")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Next(mustTime("2026-01-01 00:00 Thu")); !got.IsZero() {
		t.Errorf("Feb 31 Next = %v, want zero", got)
	}
}

func TestNextTimeZone(t *testing.T) {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	s, _ := Parse("0 9 * * *")
	got := s.Next(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).In(loc))
	if want := time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("9:00 New York = %v, want %v", got.UTC(), want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"", "expected 5 fields"},
		{"* * * *", "expected 5 fields"},
		{"60 * * * *", "minute field"},
		{"* 24 * * *", "hour field"},
		{"* * 0 * *", "day of month field"},
		{"* * * 13 *", "month field"},
		{"* * * * 8", "day of week field"},
		{"*/0 * * * *", "bad step"},
		{"5-1 * * * *", "backwards"},
		{"* * * FOO *", "bad value"},
		{"TZ=UTC * * * * *", "spec.timeZone"},
		{"CRON_TZ=UTC * * * * *", "spec.timeZone"},
		{"@every 5m", "unknown descriptor"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := Parse(tt.spec)
			if !errors.Is(err, ErrInvalidSchedule) {
				t.Fatalf("Parse(%q) = %v, want ErrInvalidSchedule", tt.spec, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestMostRecentNoFlood(t *testing.T) {
	s, _ := Parse("*/5 * * * *")
	from := mustTime("2026-01-01 00:00 Thu")
	now := from.Add(10 * time.Hour).Add(2 * time.Minute)
	got, n := MostRecent(s, from, now, nil, 100)
	if want := from.Add(10 * time.Hour); !got.Equal(want) {
		t.Errorf("most recent = %v, want %v", got, want)
	}
	if n <= 100 {
		t.Errorf("missed %d, want > 100 (120 start times were missed)", n)
	}
	dl := int64(60)
	got, n = MostRecent(s, from, now, &dl, 100)
	if !got.IsZero() || n != 0 {
		t.Errorf("with a 60s deadline, 2 minutes late: got %v (%d), want none", got, n)
	}
	dl = 200
	got, n = MostRecent(s, from, now, &dl, 100)
	if !got.Equal(from.Add(10*time.Hour)) || n != 1 {
		t.Errorf("with a 200s deadline: got %v (%d), want the last start only", got, n)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"* * * * *", "*/5 1-3 1,15 JAN-MAR MON-FRI", "@daily", "0 0 ? * 7", "1/2 * * * *", "TZ=UTC * * * * *", "a b c d e"} {
		f.Add(s)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := Parse(spec)
		if err != nil {
			return
		}
		n := s.Next(from)
		if n.IsZero() {
			return
		}
		if !n.After(from) {
			t.Fatalf("%q: Next(%v) = %v, not after", spec, from, n)
		}
		if n.Second() != 0 || !has(s.minute, n.Minute()) || !has(s.hour, n.Hour()) || !has(s.month, int(n.Month())) || !s.dayMatches(n) {
			t.Fatalf("%q: Next = %v does not match the schedule", spec, n)
		}
	})
}

func ExampleParse() {
	s, err := Parse("30 9 * * MON-FRI")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Next(time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)).Format(time.RFC1123))
	// Output: Mon, 05 Jan 2026 09:30:00 UTC
}
