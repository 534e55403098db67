package framework

import (
	"fmt"
	"maps"
)

// Registry maps plugin names to factories. It is a plain value: build one,
// merge your own plugins into it and hand it to the scheduler's Config.
type Registry map[string]Factory

// Register adds a factory under name; registering a name twice is an error
// wrapping ErrDuplicatePlugin.
func (r Registry) Register(name string, f Factory) error {
	if _, ok := r[name]; ok {
		return fmt.Errorf("plugin %q: %w", name, ErrDuplicatePlugin)
	}
	r[name] = f
	return nil
}

// Merge adds every factory of o to r; a name in both is an error.
func (r Registry) Merge(o Registry) error {
	for name, f := range o {
		if err := r.Register(name, f); err != nil {
			return err
		}
	}
	return nil
}

// Clone returns a copy of r.
func (r Registry) Clone() Registry { return maps.Clone(r) }

// FactoryOf returns a Factory that returns p, for a plugin that needs no
// Handle and no arguments.
func FactoryOf(p Plugin) Factory {
	return func(any, Handle) (Plugin, error) { return p, nil }
}
