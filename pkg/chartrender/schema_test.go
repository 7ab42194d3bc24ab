package chartrender

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// values.schema.json runs once per distinct values: the same values under another release name or
// namespace are still rendered (their objects differ) but not validated again; other values, a
// refused value set (same error each time) and a schema changed in place are validated.
func TestSchemaValidationRunsOncePerDistinctValues(t *testing.T) {
	ch, err := Load("testdata/app")
	require.NoError(t, err)
	render := func(release, ns string, vals map[string]interface{}) (n int64, res *Result, err error) {
		before := validations.Load()
		res, err = Render(ch, Options{ReleaseName: release, Namespace: ns, Values: vals})
		return validations.Load() - before, res, err
	}
	n, a, err := render("r", "ns1", map[string]interface{}{"cluster": true})
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	n, b, err := render("other", "ns2", map[string]interface{}{"cluster": true})
	require.NoError(t, err)
	require.EqualValues(t, 0, n, "same values: the verdict is reused")
	require.NotEqual(t, a.Keys(), b.Keys(), "but the templates ran again for the other namespace")
	n, _, err = render("r", "ns1", map[string]interface{}{"cluster": false})
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "other values are validated")

	n, _, err1 := render("r", "ns1", map[string]interface{}{"name": 3})
	require.ErrorContains(t, err1, "values don't meet the specifications of the schema")
	require.EqualValues(t, 1, n)
	n, _, err2 := render("r2", "ns2", map[string]interface{}{"name": 3})
	require.EqualValues(t, 0, n)
	require.EqualError(t, err2, err1.Error(), "a refused value set is refused again, with the same error")

	ch.Schema = []byte(`{"type": "object", "properties": {"cluster": {"type": "string"}}}`)
	n, _, err = render("r", "ns1", map[string]interface{}{"cluster": true})
	require.EqualValues(t, 1, n, "a schema changed in place is validated again")
	require.ErrorContains(t, err, "cluster")
}
