package types

//go:generate go run ../internal/gen/deepcopy
