package demarc

import (
	"fmt"
	"time"
)

// Date is a calendar day, written 2006-01-02 in files and output.
type Date struct{ time.Time }

// DateLayout is how dates are written.
const DateLayout = "2006-01-02"

// ParseDate parses a day written 2006-01-02.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
	}
	return Date{t}, nil
}

// Today returns the current day in UTC.
func Today() Date {
	y, m, d := time.Now().UTC().Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// UnmarshalText reads 2006-01-02, and also a full timestamp, keeping its day.
func (d *Date) UnmarshalText(b []byte) error {
	if t, err := time.Parse(DateLayout, string(b)); err == nil {
		d.Time = t
		return nil
	}
	t, err := time.Parse(time.RFC3339, string(b))
	if err != nil {
		return fmt.Errorf("%q is not a date (want YYYY-MM-DD)", b)
	}
	y, m, dd := t.Date()
	d.Time = time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	return nil
}

// MarshalText writes 2006-01-02; the zero date is written empty.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	return []byte(d.Format(DateLayout)), nil
}

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(DateLayout)
}

// AddMonths returns the date n months later.
func (d Date) AddMonths(n int) Date { return Date{d.AddDate(0, n, 0)} }

// MarshalJSON writes "2006-01-02" (the embedded time would write a full
// timestamp); the zero date is written as "".
func (d Date) MarshalJSON() ([]byte, error) {
	b, _ := d.MarshalText() // MarshalText cannot fail
	return []byte(`"` + string(b) + `"`), nil
}

// UnmarshalJSON reads what MarshalJSON writes, and full timestamps.
func (d *Date) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return fmt.Errorf("%s is not a date (want \"YYYY-MM-DD\")", s)
	}
	if s == `""` {
		*d = Date{}
		return nil
	}
	return d.UnmarshalText([]byte(s[1 : len(s)-1]))
}
