package cronjob

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed five-field cron schedule: minute, hour, day of
// month, month, day of week. Build it with Parse; it is immutable and safe
// for concurrent use.
type Schedule struct {
	minute, hour, dom, month, dow uint64 // bit i set: value i allowed
	domStar, dowStar              bool   // the field began with * or ?
}

type field struct {
	name     string
	min, max int
	names    map[string]int
}

var (
	minuteField = field{name: "minute", min: 0, max: 59}
	hourField   = field{name: "hour", min: 0, max: 23}
	domField    = field{name: "day of month", min: 1, max: 31}
	monthField  = field{name: "month", min: 1, max: 12, names: map[string]int{
		"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}}
	dowField = field{name: "day of week", min: 0, max: 7, names: map[string]int{
		"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}}
)

var descriptors = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// Parse parses a standard cron schedule: five space-separated fields
// (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of
// week 0-7 or SUN-SAT, 7 being Sunday too), each a list of values, ranges
// "a-b", "*" and steps "*/n", "a-b/n", "a/n"; or one of @yearly,
// @annually, @monthly, @weekly, @daily, @midnight, @hourly. A "TZ=" or
// "CRON_TZ=" prefix is rejected (use spec.timeZone), as Kubernetes does.
// When both day fields are restricted a day matches either (Vixie cron).
func Parse(spec string) (*Schedule, error) {
	s := strings.TrimSpace(spec)
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		return nil, fmt.Errorf("%w: %q: CRON_TZ or TZ is not supported in schedule, use spec.timeZone", ErrInvalidSchedule, spec)
	}
	if strings.HasPrefix(s, "@") {
		d, ok := descriptors[strings.ToLower(s)]
		if !ok {
			return nil, fmt.Errorf("%w: %q: unknown descriptor", ErrInvalidSchedule, spec)
		}
		s = d
	}
	f := strings.Fields(s)
	if len(f) != 5 {
		return nil, fmt.Errorf("%w: %q: expected 5 fields, found %d", ErrInvalidSchedule, spec, len(f))
	}
	var sc Schedule
	var err error
	if sc.minute, _, err = parseField(f[0], minuteField); err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrInvalidSchedule, spec, err)
	}
	if sc.hour, _, err = parseField(f[1], hourField); err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrInvalidSchedule, spec, err)
	}
	if sc.dom, sc.domStar, err = parseField(f[2], domField); err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrInvalidSchedule, spec, err)
	}
	if sc.month, _, err = parseField(f[3], monthField); err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrInvalidSchedule, spec, err)
	}
	if sc.dow, sc.dowStar, err = parseField(f[4], dowField); err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrInvalidSchedule, spec, err)
	}
	if sc.dow&(1<<7) != 0 { // 7 is Sunday
		sc.dow = sc.dow&^(1<<7) | 1
	}
	return &sc, nil
}

func parseField(s string, f field) (uint64, bool, error) {
	var set uint64
	star := strings.HasPrefix(s, "*") || strings.HasPrefix(s, "?")
	for part := range strings.SplitSeq(s, ",") {
		b, err := parseRange(part, f)
		if err != nil {
			return 0, false, fmt.Errorf("%s field %q: %w", f.name, s, err)
		}
		set |= b
	}
	return set, star, nil
}

func parseRange(s string, f field) (uint64, error) {
	rng, stepStr, hasStep := strings.Cut(s, "/")
	lo, hi := f.min, f.max
	step := 1
	switch {
	case rng == "*" || rng == "?":
	default:
		a, b, isRange := strings.Cut(rng, "-")
		var err error
		if lo, err = value(a, f); err != nil {
			return 0, err
		}
		hi = lo
		if isRange {
			if hi, err = value(b, f); err != nil {
				return 0, err
			}
		} else if hasStep {
			hi = f.max
		}
	}
	if hasStep {
		n, err := strconv.Atoi(stepStr)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("bad step %q", stepStr)
		}
		step = n
	}
	if lo > hi {
		return 0, fmt.Errorf("range %d-%d is backwards", lo, hi)
	}
	var set uint64
	for i := lo; i <= hi; i += step {
		set |= 1 << uint(i)
	}
	return set, nil
}

func value(s string, f field) (int, error) {
	if v, ok := f.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("bad value %q", s)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("value %d out of range %d-%d", n, f.min, f.max)
	}
	return n, nil
}

func has(set uint64, v int) bool { return set&(1<<uint(v)) != 0 }

func (s *Schedule) dayMatches(t time.Time) bool {
	d, w := has(s.dom, t.Day()), has(s.dow, int(t.Weekday()))
	if s.domStar || s.dowStar {
		return d && w
	}
	return d || w
}

// Next returns the first time strictly after t that the schedule matches,
// in t's location, or the zero time if there is none within five years
// (as "30 0 31 2 *", February 31st).
func (s *Schedule) Next(t time.Time) time.Time {
	loc := t.Location()
	t = t.Add(time.Minute - time.Duration(t.Second())*time.Second - time.Duration(t.Nanosecond()))
	limit := t.Year() + 5
	for t.Year() <= limit {
		if !has(s.month, int(t.Month())) {
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
			continue
		}
		if !s.dayMatches(t) {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
			continue
		}
		if !has(s.hour, t.Hour()) {
			// Next whole hour; Add keeps DST transitions right.
			t = t.Add(time.Duration(60-t.Minute()) * time.Minute)
			continue
		}
		if !has(s.minute, t.Minute()) {
			// Jump to the next allowed minute of this hour (or the next
			// hour); a 30-minute DST shift on the way falls back to steps.
			m := t.Minute()
			rest := s.minute & (^uint64(0) << uint(m))
			n := t.Add(time.Minute)
			if rest != 0 && rest&((1<<60)-1) != 0 {
				if j := t.Add(time.Duration(bits.TrailingZeros64(rest)-m) * time.Minute); j.Minute() == bits.TrailingZeros64(rest) {
					n = j
				}
			} else if j := t.Add(time.Duration(60-m) * time.Minute); j.Minute() == 0 {
				n = j
			}
			t = n
			continue
		}
		return t
	}
	return time.Time{}
}

// times returns the last match in (from, to] and how many there are,
// counting at most max+1.
func (s *Schedule) times(from, to time.Time, max int) (last time.Time, n int) {
	for t := s.Next(from); !t.IsZero() && !t.After(to); t = s.Next(t) {
		last = t
		n++
		if n > max {
			// Too many: jump near the end and keep only the most recent.
			return s.lastBefore(to), n
		}
	}
	return last, n
}

// lastBefore finds the last match not after to by walking back in
// widening steps.
func (s *Schedule) lastBefore(to time.Time) time.Time {
	for back := time.Hour; back <= 6*366*24*time.Hour; back *= 2 {
		var last time.Time
		for t := s.Next(to.Add(-back)); !t.IsZero() && !t.After(to); t = s.Next(t) {
			last = t
		}
		if !last.IsZero() {
			return last
		}
	}
	return time.Time{}
}
