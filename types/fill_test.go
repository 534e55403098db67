package types

import (
	"reflect"
	"time"
)

// fill sets every exported field reachable from v to a non-zero value, so
// tests can see whether a copy or a round trip keeps all of them. seed
// varies the values.
func fill(v reflect.Value, seed int, depth int) {
	if depth > 12 {
		return
	}
	switch x := v.Addr().Interface().(type) {
	case *Quantity:
		*x = MustParseQuantity([]string{"1", "250m", "64Mi", "2"}[seed%4])
		return
	case *IntOrString:
		if seed%2 == 0 {
			*x = FromInt32(int32(seed + 1))
		} else {
			*x = FromString("25%")
		}
		return
	case *Time:
		*x = NewTime(time.Date(2024, 1, 2, 3, 4, 5+seed, 0, time.UTC))
		return
	case *MicroTime:
		*x = NewMicroTime(time.Date(2024, 1, 2, 3, 4, 5, 123456000+seed, time.UTC))
		return
	case *RawExtension:
		x.Raw = []byte(`{"a":1}`)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), seed+i, depth+1)
			}
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), seed, depth+1)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte{byte(seed), 'x'})
			return
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), seed, depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, seed, depth+1)
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, seed, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.String:
		v.SetString("v" + string(rune('a'+seed%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(seed%100 + 1))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(seed%100 + 1))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(seed) + 0.5)
	}
}

// aliased reports the path of the first pointer, slice or map that a and b
// share, or "".
func aliased(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		return aliased(a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.Len() == 0 || b.Len() == 0 {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		for i := range a.Len() {
			if p := aliased(a.Index(i), b.Index(i), path+"[]"); p != "" {
				return p
			}
		}
	case reflect.Map:
		if a.Len() == 0 || b.Len() == 0 {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		for _, k := range a.MapKeys() {
			bv := b.MapIndex(k)
			if bv.IsValid() {
				if p := aliased(a.MapIndex(k), bv, path+"[k]"); p != "" {
					return p
				}
			}
		}
	case reflect.Struct:
		if a.Type() == reflect.TypeFor[Quantity]() {
			return "" // immutable value
		}
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				if p := aliased(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
					return p
				}
			}
		}
	}
	return ""
}
