package valuesdoc

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// Both charts' schemas survive a decode/encode round trip byte for byte: generating into them only
// changes what the generator sets.
func TestOrderedJSONRoundTripsTheChartSchemas(t *testing.T) {
	for _, p := range []string{"../../charts/operator/values.schema.json", "../../charts/registry-server/values.schema.json"} {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		v, err := decodeOrdered(data)
		require.NoError(t, err)
		out, err := encodeIndented(v)
		require.NoError(t, err)
		require.Equal(t, string(data), string(out), p)
	}
}
