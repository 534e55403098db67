package main

import (
	"strings"

	"github.com/coxswain/coxswain/types"
)

// resolveKind finds a kind by its name, resource (plural or singular) or
// short name, case-insensitively: "pods", "pod", "po", "Pod",
// "deployments.apps".
func resolveKind(s *types.Scheme, name string) (types.KindInfo, error) {
	n := strings.ToLower(name)
	n, _, _ = strings.Cut(n, ".")
	for _, k := range s.Kinds() {
		if strings.ToLower(k.Kind) == n || k.Resource == n || strings.TrimSuffix(k.Resource, "s") == n ||
			strings.TrimSuffix(k.Resource, "es") == n {
			return k, nil
		}
		for _, sn := range k.ShortNames {
			if sn == n {
				return k, nil
			}
		}
	}
	return types.KindInfo{}, usagef("unknown resource type %q", name)
}

// qualified is how kubectl names an object in messages: deployment.apps/web.
func qualified(k types.KindInfo, name string) string {
	r := strings.ToLower(k.Kind)
	if k.Group != "" {
		r += "." + k.Group
	}
	return r + "/" + name
}

// splitRef splits "deployment/web" into kind and name.
func splitRef(args []string) (kind, name string, rest []string, err error) {
	if len(args) == 0 {
		return "", "", nil, usagef("missing KIND/NAME")
	}
	if k, n, ok := strings.Cut(args[0], "/"); ok {
		return k, n, args[1:], nil
	}
	if len(args) < 2 {
		return "", "", nil, usagef("missing the name of the %s", args[0])
	}
	return args[0], args[1], args[2:], nil
}
