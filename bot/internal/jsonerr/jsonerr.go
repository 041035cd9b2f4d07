// Package jsonerr describes JSON decoding errors for logs without quoting the payload: a
// platform's webhook body holds what users wrote, and json's errors can quote parts of it.
package jsonerr

import (
	"encoding/json"
	"errors"
	"strings"
)

// Describe names the field's path, the JSON kind found and the Go type wanted, or says
// "undecodable". For numbers the error holds the literal too ("number 4242.5"), which may be an
// id: only its kind is kept.
func Describe(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		kind, _, _ := strings.Cut(te.Value, " ")
		return "field " + te.Field + ": got " + kind + ", want " + te.Type.String()
	}
	return "undecodable"
}
