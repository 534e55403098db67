package labels

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string // canonical String; "" with wantErr unset means empty
		err  error  // nil: valid
	}{
		{in: "", want: ""},
		{in: "   ", want: ""},
		{in: "x", want: "x"},
		{in: "!x", want: "!x"},
		{in: " ! x ", want: "!x"},
		{in: "x=a", want: "x=a"},
		{in: "x==a", want: "x==a"},
		{in: "x!=a", want: "x!=a"},
		{in: "x = a , y", want: "x=a,y"},
		{in: "x=", want: "x="},
		{in: "x= ,y", want: "x=,y"},
		{in: "x>1", want: "x>1"},
		{in: "x<007", want: "x<007"},
		{in: "x in (b,a,a)", want: "x in (a,b)"},
		{in: "x notin ()", want: "x notin ()"},
		{in: "x in (,)", want: "x in ()"},
		{in: "x in (a,,b)", want: "x in (,a,b)"},
		{in: "in in (in)", want: "in in (in)"},
		{in: "z,y,x", want: "x,y,z"},
		{in: "example.com/app=web", want: "example.com/app=web"},
		{in: "x\t=\ny\r", want: "x=y"},
		{in: "x \x00garbage(", want: "x"},
		{in: "x\x00garbage", err: ErrSyntax},
		{in: "\x00(", want: ""},
		{in: "x=\x00y", want: "x=y"},
		{in: "x,", err: ErrSyntax},
		{in: ",x", err: ErrSyntax},
		{in: "x y", err: ErrSyntax},
		{in: "x in a", err: ErrSyntax},
		{in: "x in (a", err: ErrSyntax},
		{in: "x in (a b)", err: ErrSyntax},
		{in: "x=a b", err: ErrSyntax},
		{in: "!x=a", err: ErrSyntax},
		{in: "x>", err: ErrInvalidValues},
		{in: "x>a", err: ErrInvalidValues},
		{in: "x>1.5", err: ErrInvalidValues},
		{in: "x>-1", err: ErrInvalidValue},
		{in: "x>9223372036854775808", err: ErrInvalidValues},
		{in: "x gt 1", err: ErrSyntax},
		{in: "x\vy", err: ErrInvalidKey},
		{in: "-x", err: ErrInvalidKey},
		{in: "a/b/c", err: ErrInvalidKey},
		{in: "A.b/c", err: ErrInvalidKey},
		{in: "x=-a", err: ErrInvalidValue},
		{in: "x=ü", err: ErrInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sel, err := Parse(tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse(%q) error = %v, want %v", tt.in, err, tt.err)
				}
				if sel != nil {
					t.Errorf("Parse(%q) returned a selector with an error", tt.in)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := sel.String(); got != tt.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
			if got, want := sel.Empty(), tt.want == ""; got != want {
				t.Errorf("Parse(%q).Empty() = %v, want %v", tt.in, got, want)
			}
		})
	}
}

func TestParseErrorNamesInput(t *testing.T) {
	_, err := Parse("app in (web")
	if err == nil || !contains(err.Error(), `"app in (web"`) || !contains(err.Error(), "offset 11") {
		t.Errorf("error %q should quote the input and the offset", err)
	}
	_, err = Parse("Bad_/x=1")
	if err == nil || !contains(err.Error(), `"Bad_/x"`) {
		t.Errorf("error %q should name the key", err)
	}
	_, err = Parse("x=-v")
	if err == nil || !contains(err.Error(), `"-v"`) || !contains(err.Error(), `"x"`) {
		t.Errorf("error %q should name the value and the key", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse of an invalid selector did not panic")
		}
	}()
	MustParse("x in (")
}

func TestParseRequirements(t *testing.T) {
	reqs, err := ParseRequirements("b in (y,x), a")
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 || reqs[0].Key() != "a" || reqs[0].Operator() != Exists || reqs[1].Operator() != In {
		t.Fatalf("got %v", reqs)
	}
	if got := reqs[1].Values(); len(got) != 2 || got[0] != "x" || got[1] != "y" {
		t.Errorf("values = %q, want sorted [x y]", got)
	}
	if got := reqs.String(); got != "a, b in (x,y)" {
		t.Errorf("Requirements.String() = %q", got)
	}
}
