// Package testpkg is a fixture for the deepcopy generator's test.
package testpkg

import "github.com/coxswain/coxswain/labels"

type TypeMeta struct {
	Kind string `json:"kind"`
}

type ObjectMeta struct {
	Labels map[string]string `json:"labels"`
}

type Object interface{ GetKind() string }

type List []string

type Value struct {
	v int64
	s string
}

type Thing struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	P          *int32                `json:"p"`
	S          []Inner               `json:"s"`
	M          map[string][]byte     `json:"m"`
	L          List                  `json:"l"`
	V          Value                 `json:"v"`
	Sel        *labels.LabelSelector `json:"sel"`
	PP         *Inner                `json:"pp"`
}

type Inner struct {
	Names []string `json:"names"`
}

type NotAPI struct {
	F func()
}
