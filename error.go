package demarc

import (
	"errors"
	"fmt"
)

// Error codes name the kind of failure so that callers (the CLI, a server)
// can map them to exit codes or HTTP statuses without parsing messages.
const (
	EInvalid  = "invalid"   // the input is malformed or breaks a rule
	ENotFound = "not_found" // a named thing does not exist
	EConflict = "conflict"  // the input contradicts itself or stored state
	EInternal = "internal"  // a defect in demarc
)

// Error is demarc's application error. Message is safe to show to a user.
// Op names the operation that failed; Err is the wrapped cause, if any.
type Error struct {
	Code    string
	Message string
	Op      string
	Err     error
}

func (e *Error) Error() string {
	switch {
	case e.Message != "" && e.Err != nil:
		return e.Message + ": " + e.Err.Error()
	case e.Message != "":
		return e.Message
	case e.Err != nil:
		return e.Err.Error()
	}
	return e.Code
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return EInternal
}

// Position is a place in an input file. Line is 1-based; zero means unknown.
type Position struct {
	File string `json:"file,omitempty" yaml:"file,omitempty"`
	Line int    `json:"line,omitempty" yaml:"line,omitempty"`
}

func (p Position) String() string {
	switch {
	case p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Problem is one defect found in an input file: where it is, which field,
// and what was expected.
type Problem struct {
	Pos     Position `json:"position"`
	Field   string   `json:"field,omitempty"`
	Message string   `json:"message"`
}

func (p Problem) String() string {
	s := p.Pos.String()
	if p.Field != "" {
		if s != "" {
			s += ": "
		}
		s += p.Field
	}
	if s != "" {
		s += ": "
	}
	return s + p.Message
}

// Problems is a list of defects; as an error it prints one per line.
type Problems []Problem

func (ps Problems) Error() string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += "\n"
		}
		s += p.String()
	}
	return s
}

// Err returns nil when ps is empty and otherwise an *Error with code
// EInvalid wrapping ps.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Err: ps}
}
