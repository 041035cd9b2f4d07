// Package flows embeds the default conversation content: one YAML file per flow and offices.yaml.
// An office replaces it without rebuilding by pointing RETURNBOT_FLOWS at its own directory.
package flows

import "embed"

// FS holds the default flows.
//
//go:embed *.yaml
var FS embed.FS
